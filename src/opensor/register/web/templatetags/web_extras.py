"""Template helpers of the maintainers' UI."""

from __future__ import annotations

from typing import Any

from django import template

from opensor.register.web.common import lang

register = template.Library()


@register.simple_tag
def reason(decision: Any) -> str:
    """The reason of a permission decision in the request's language."""
    if decision is None:
        return ""
    return str(decision.reason_en if lang() == "en" else decision.reason_da)


@register.filter
def field_of(fields: Any, name: str) -> Any:
    """The form field called ``name`` (for templates that lay fields out by hand)."""
    return next((f for f in fields if f.name == name), None)


@register.filter
def operation_label(operation: str) -> str:
    """An audit event's operation in Danish when it is a permission (else as recorded)."""
    from opensor.domain.responsibility import Permission

    try:
        return Permission(operation).label_da
    except ValueError:
        return operation
