"""Template helpers of the maintainers' UI."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from opensor.domain.responsibility import RoleKind
from opensor.register.accounts.services import roles_of
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


@register.simple_tag(takes_context=True)
def request_links(context: Any) -> list[tuple[str, str, str]]:
    """The navigation links to the change requests: ``(id, url, label)`` per link.

    A practice user gets "Mine anmodninger" (file and follow requests), an authority case
    worker "Sagskø" (the queue); other users, and visitors who are not logged in, get none.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    actor = getattr(request, "actor", None)
    roles = actor.roles if actor is not None else roles_of(user.pk)
    kinds = {role.kind for role in roles}
    links = []
    if RoleKind.PRACTICE in kinds:
        links.append(("nav-requests", reverse("requests_web:mine"), _("Mine anmodninger")))
    if RoleKind.AUTHORITY in kinds:
        links.append(("nav-queue", reverse("requests_web:queue"), _("Sagskø")))
    return links
