"""Views of the maintainers' web UI that read, and the page of a form the CSRF check refused.

The reading views show the tree of the user's units, search and a unit. Each view parses the
request, calls the selectors and renders; the pages work without JavaScript, and htmx (a
static file, no inline script) swaps in search results and subtrees.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opensor.domain.records import Level
from opensor.domain.responsibility import Permission
from opensor.register.codes.selectors import code_lists
from opensor.register.maintenance.placement import placement_of, placement_under
from opensor.register.maintenance.versions import unit_timeline
from opensor.register.units.selectors import UnitNotFound, unit_history, unit_view_on
from opensor.register.web import selectors
from opensor.register.web.auth import maintainer_view
from opensor.register.web.common import lang, pop_flash, today
from opensor.register.web.edit import child_level
from opensor.register.web.forms import ADDRESS_KINDS, CONTACT_PARTS, FLAGS, GROUPS, TEXT_CODES

__all__ = ["csrf_failure", "home", "tree_children", "unit_page"]

UNIT_ACTIONS = (
    (Permission.UNIT_UPDATE, "edit"),
    (Permission.UNIT_MOVE, "move"),
    (Permission.UNIT_CLOSE, "close"),
    (Permission.UNIT_REOPEN, "reopen"),
    (Permission.UNIT_SUCCESSOR, "successor"),
)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_GET
@maintainer_view
def home(request: HttpRequest) -> HttpResponse:
    """The tree of the units in the user's scope, with search by name, SOR-ID or SHAK."""
    actor = request.actor  # type: ignore[attr-defined]
    day = today()
    query = request.GET.get("q", "").strip()[:100]
    results = selectors.scope_search(actor, query, day) if query else None
    if _is_htmx(request) and request.headers.get("HX-Target") == "results":
        return render(request, "web/_search_results.html", {"results": results, "q": query})
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    scope = selectors.scope_roots(actor, day, page)
    context = {
        "q": query,
        "results": results,
        "scope": scope,
        "flash": pop_flash(request),
        "roles": [role.label_da for role in actor.roles],
    }
    return render(request, "web/home.html", context)


@require_GET
@maintainer_view
def tree_children(request: HttpRequest, sor_id: int) -> HttpResponse:
    """The units directly under a unit (a fragment for htmx, a small page without it)."""
    nodes = selectors.children_of(sor_id, today())
    template = "web/_tree_nodes.html" if _is_htmx(request) else "web/children.html"
    return render(request, template, {"nodes": nodes, "parent": sor_id})


def _unit_context(request: HttpRequest, sor_id: int) -> dict[str, Any]:
    actor = request.actor  # type: ignore[attr-defined]
    day = today()
    try:
        view = unit_view_on(sor_id, day)
    except UnitNotFound as missing:
        history = unit_history(sor_id)
        if not history:
            raise Http404(str(missing)) from None
        last = history[-1]
        return {
            "closed": True,
            "history": history,
            "sor_id": sor_id,
            "day": day,
            "may_reopen": actor.may(Permission.UNIT_REOPEN, placement_of(last, day)),
        }
    unit = view.unit
    document = view.as_dict()
    placement = placement_of(unit, day)
    allowed = {name: actor.may(permission, placement) for permission, name in UNIT_ACTIONS}
    if unit.level is Level.OWNER:
        del allowed["move"]  # an owner has no parent to move under
    # A new unit is the steward's of where it will sit, not of its parent (an OE under an SI).
    allowed["create"] = actor.may(
        Permission.UNIT_CREATE, placement_under(unit, child_level(unit), day=day)
    )
    location_decision = actor.may(Permission.LOCATION_UPDATE, placement)
    history = unit_history(sor_id)
    publication = selectors.last_publication()
    audit = selectors.audit_trail(sor_id)
    unpublished = [
        event
        for event in audit
        if publication is None
        or publication.created_at is None
        or event.recorded_at > publication.created_at
    ]
    codes = code_lists()
    language = lang()
    messages = codes.get("message_type")
    number = document["effective"]["location_number"]
    return {
        "closed": False,
        "sor_id": sor_id,
        "day": day,
        "doc": document,
        "unit": unit,
        "own": document["unit"],
        "effective": document["effective"],
        "location": number,
        "location_message_types": [
            {"code": code, "name": messages.name_of(code, language)}  # type: ignore[arg-type]
            for code in ((number.get("value") or {}).get("message_types") or [])
        ],
        "type_name": _type_name(unit, codes, language),
        "allowed": allowed,
        "may_location": location_decision,
        "may_audit": actor.may(Permission.AUDIT_READ, placement),
        "etag": unit_timeline(sor_id).etag(),
        "history": list(reversed(history)),
        "pending": selectors.pending_versions(history, day),
        "publication": publication,
        "audit": audit,
        "unpublished": unpublished,
        "children": selectors.children_of(sor_id, day),
        "flash": pop_flash(request),
        "groups": list(GROUPS.items()),
        "own_rows": _own_rows(unit, document, codes, language),
        "effective_rows": _effective_rows(document),
    }


def _address_text(address: dict[str, Any] | None) -> str:
    if not address:
        return ""
    street = " ".join(
        part for part in (address.get("street_name"), address.get("building")) if part
    )
    extra = ", ".join(part for part in (address.get("floor"), address.get("suite")) if part)
    town = " ".join(part for part in (address.get("postcode"), address.get("district")) if part)
    return ", ".join(part for part in (street, extra, town) if part)


def _effective_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per effective value: label, shown value, and the unit it is inherited from."""
    names = {a["sor_id"]: a["name"] for a in document["ancestry"]}
    effective = document["effective"]
    rows = []

    def add(label: Any, sourced: dict[str, Any], text: str) -> None:
        source = sourced.get("source_sor_id")
        rows.append(
            {
                "label": label,
                "value": text,
                "inherited": bool(sourced.get("inherited")),
                "source": source,
                "source_name": names.get(source, ""),
            }
        )

    for kind, label in ADDRESS_KINDS:
        add(label, effective[kind], _address_text(effective[kind].get("value")))
    for part, label in CONTACT_PARTS:
        sourced = effective["contact"].get(part) or {}
        add(label, sourced, sourced.get("value") or "")
    number = effective["location_number"]
    add(_("Lokationsnummer"), number, (number.get("value") or {}).get("gln") or "")
    return rows


def _own_rows(
    unit: Any, document: dict[str, Any], codes: Any, language: str
) -> list[tuple[Any, str]]:
    """The unit's own codes, specialities, flags and validity, as label/value pairs."""
    own = document["unit"]
    rows: list[tuple[Any, str]] = [
        (label, own.get(name) or "") for name, label in TEXT_CODES if own.get(name)
    ]
    specialities = codes.get("speciality")
    if unit.specialities:
        rows.append(
            (
                _("Specialer"),
                ", ".join(
                    f"{specialities.name_of(s.code, language) or s.code} ({s.type})"
                    for s in unit.specialities
                ),
            )
        )
    for name, label in FLAGS:
        value = getattr(unit, name)
        if value is not None:
            rows.append((label, _("ja") if value else _("nej")))
    validity = unit.validity
    rows.append((_("Gyldig"), f"{validity.valid_from} – {validity.valid_to or ''}".strip()))
    return rows


def _type_name(unit: Any, codes: Any, language: str) -> str:
    if unit.level is Level.OWNER:
        field, list_name = unit.owner_type, "owner_type"
    elif unit.level is Level.INSTITUTION:
        field, list_name = unit.institution_type, "institution_type"
    else:
        field, list_name = unit.unit_type, "unit_type"
    if not field:
        return ""
    return codes.get(list_name).name_of(field, language) or field


@require_GET
@maintainer_view
def unit_page(request: HttpRequest, sor_id: int) -> HttpResponse:
    """A unit: effective values with provenance, history, pending changes, audit, actions."""
    return render(request, "web/unit.html", _unit_context(request, sor_id))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The page of a form post refused by the CSRF check (403), in the user's language.

    Django's ``reason`` is technical and stays in the server log; the page tells the user what
    to do instead.
    """
    context = {
        "title": _("Formularen blev ikke sendt"),
        "reason": _(
            "Siden var for gammel, eller browseren sendte ikke sikkerhedsnøglen med "
            "(CSRF-beskyttelse). Gå tilbage, genindlæs siden og prøv igen. Er du blevet logget "
            "ud, så log ind igen."
        ),
    }
    return render(request, "web/error.html", context, status=403)
