"""Template helpers of the access pages: the authority's navigation links, report cells."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opensor.domain.responsibility import RoleKind
from opensor.register.accounts.services import roles_of

register = template.Library()


@register.simple_tag(takes_context=True)
def access_links(context: Any) -> list[tuple[str, str, str]]:
    """The authority's links to the access pages: ``(id, url, label)`` per link.

    Only a logged-in user holding the authority's role gets them (the pages refuse everyone
    else anyway).
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    actor = getattr(request, "actor", None)
    roles = actor.roles if actor is not None else roles_of(user.pk)
    if RoleKind.AUTHORITY not in {role.kind for role in roles}:
        return []
    return [
        ("nav-access-requests", reverse("access_web:queue"), _("Adgangsanmodninger")),
        ("nav-access-clients", reverse("access_web:clients"), _("API-klienter")),
        ("nav-gdpr", reverse("access_web:gdpr"), _("Indsigtsrapport")),
    ]


_OPERATIONS = {
    "access:request:approve": gettext_lazy("Godkendt"),
    "access:request:reject": gettext_lazy("Afvist"),
    "access:client:rotate": gettext_lazy("Hemmelighed fornyet"),
    "access:client:revoke": gettext_lazy("Klient tilbagekaldt"),
}


@register.filter
def operation_name(operation: str) -> str:
    """An access operation of the audit trail in words (else as recorded)."""
    return str(_OPERATIONS.get(operation, operation))


_STATUSES = {
    "pending": gettext_lazy("Afventer"),
    "approved": gettext_lazy("Godkendt"),
    "rejected": gettext_lazy("Afvist"),
}


@register.filter
def status_name(status: str) -> str:
    """An access request's status in the request's language (the model's labels are Danish)."""
    return str(_STATUSES.get(status, status))


def _address(value: dict[str, Any]) -> str:
    """``Adelgade 115, 2. th., 1473 København K`` (the country when it is not Denmark)."""
    street = " ".join(str(value[k]) for k in ("street_name", "building") if value.get(k))
    floor = " ".join(str(value[k]) for k in ("floor", "suite") if value.get(k))
    town = " ".join(str(value[k]) for k in ("postcode", "district") if value.get(k))
    country = value.get("country") if value.get("country") not in (None, "", "DK") else None
    return ", ".join(str(part) for part in (street, floor, town, country) if part)


@register.filter
def cell(value: Any) -> str:
    """A value of the data subject's report as short text for a table cell.

    An address reads as an address, other objects as ``key: value`` pairs (empty ones left
    out), lists joined with commas; ``None`` is empty.
    """
    if value is None:
        return ""
    if isinstance(value, dict):
        if "street_name" in value and "postcode" in value:
            return _address(value)
        return ", ".join(f"{k}: {cell(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, bool):
        return _("ja") if value else _("nej")
    return str(value)
