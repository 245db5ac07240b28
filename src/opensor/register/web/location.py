"""The location-number and message-type editor of a unit.

Shows the unit's own location number (or where an inherited one comes from), and lets the
number's steward change its accepted message types and notes, close it, move it to another
unit, or register a number for a unit that has none. Every write is one call to
:mod:`opensor.register.maintenance.locations`; a user outside the number's stewardship sees
why (the rule's Danish reason) instead of the save button, and a write posted anyway is
refused by the service.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from opensor.domain.records import LocationNumberRecord, UnitRecord
from opensor.domain.responsibility import Permission
from opensor.register.codes.selectors import code_lists
from opensor.register.maintenance import locations as location_services
from opensor.register.maintenance.errors import (
    Conflict,
    PreconditionFailed,
    ServiceError,
    ValidationFailed,
)
from opensor.register.maintenance.placement import placement_of
from opensor.register.maintenance.versions import location_timeline
from opensor.register.units.selectors import (
    UnitNotFound,
    location_number_owned_on,
    unit_view_on,
)
from opensor.register.web import forms
from opensor.register.web.auth import maintainer_view
from opensor.register.web.common import (
    error_page,
    flash,
    lang,
    message_of,
    problem_text,
    saved_message,
    today,
)
from opensor.register.web.edit import STALE

__all__ = ["location_editor"]

TEXT_FIELDS = ("note",)
FLAG_FIELDS = ("only_internal", "non_active")
ACTIONS = ("update", "create", "close", "move")


def _message_type_choices(selected: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    language = lang()
    listed = code_lists().get("message_type")
    choices = [
        {
            "code": entry.code,
            "name": entry.name(language),  # type: ignore[arg-type]
            "checked": entry.code in selected,
            "active": entry.active,
        }
        for entry in listed
        if entry.active or entry.code in selected
    ]
    known = {choice["code"] for choice in choices}
    # A type the code list no longer knows stays visible, so unticking it is a choice.
    choices += [
        {"code": code, "name": code, "checked": True, "active": False}
        for code in selected
        if code not in known
    ]
    return choices


def _changes(post: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {"message_types": post.getlist("message_types")[:200]}
    for name in TEXT_FIELDS:
        changes[name] = (post.get(name) or "").strip() or None
    for name in FLAG_FIELDS:
        changes[name] = post.get(name) == "on"
    return changes


def _context(
    request: HttpRequest, unit: UnitRecord, view: Any, own: LocationNumberRecord | None
) -> dict[str, Any]:
    actor = request.actor  # type: ignore[attr-defined]
    placement = placement_of(unit, today())
    permission = Permission.LOCATION_UPDATE if own is not None else Permission.LOCATION_CREATE
    decision = actor.may(permission, placement)
    selected = list(own.message_types) if own is not None else []
    return {
        "unit": unit,
        "own": own,
        "effective": view.as_dict()["effective"]["location_number"],
        "decision": decision,
        "reason": decision.reason_en if lang() == "en" else decision.reason_da,
        "may_close": actor.may(Permission.LOCATION_CLOSE, placement),
        "may_move": actor.may(Permission.LOCATION_MOVE, placement),
        "message_types": _message_type_choices(selected),
        "etag": location_timeline(own.gln).etag() if own is not None else "",
        "effective_day": today().isoformat(),
        "values": {
            "note": (own.note or "") if own is not None else "",
            "only_internal": own.only_internal if own is not None else False,
            "non_active": own.non_active if own is not None else False,
            "gln": "",
            "new_owner": "",
        },
        "errors": [],
        "field_errors": {},
    }


def _refill(context: dict[str, Any], post: Any) -> None:
    chosen = post.getlist("message_types")
    for choice in context["message_types"]:
        choice["checked"] = choice["code"] in chosen
    values = context["values"]
    values["note"] = post.get("note", "")
    values["gln"] = post.get("gln", "")
    values["new_owner"] = post.get("new_owner", "")
    values["only_internal"] = post.get("only_internal") == "on"
    values["non_active"] = post.get("non_active") == "on"
    context["etag"] = post.get("etag", "")
    context["effective_day"] = post.get("effective", "")


def _write(
    request: HttpRequest, action: str, unit: UnitRecord, own: LocationNumberRecord | None
) -> Any:
    """Call the service the posted action asks for; returns ``None`` or a form error text."""
    actor = request.actor  # type: ignore[attr-defined]
    post = request.POST
    day, problem = forms.parse_effective(post.get("effective", ""), today())
    if day is None:
        raise ValidationFailed([_field_problem("effective", problem)])
    etag = post.get("etag", "") or None
    if action == "create":
        location_services.location_create(
            actor, (post.get("gln") or "").strip(), owner_sor_id=unit.sor_id,
            values=_changes(post), effective=day,
        )  # fmt: skip
        return
    if own is None:
        raise Http404("the unit has no location number of its own")
    if action == "update":
        location_services.location_update(
            actor, own.gln, _changes(post), if_match=etag, effective=day
        )
    elif action == "close":
        location_services.location_close(actor, own.gln, if_match=etag, effective=day)
    else:
        new_owner, problem = forms.parse_sor_id(post.get("new_owner", ""))
        if new_owner is None:
            raise ValidationFailed([_field_problem("new_owner", problem)])
        location_services.location_move(actor, own.gln, new_owner, if_match=etag, effective=day)


def _field_problem(field: str, text: str) -> Any:
    from opensor.domain.validation import FieldProblem

    return FieldProblem(field, text, text)


@require_http_methods(["GET", "POST"])
@maintainer_view
def location_editor(request: HttpRequest, sor_id: int) -> HttpResponse:
    """The unit's location number and accepted message types (view and edit)."""
    day = today()
    try:
        view = unit_view_on(sor_id, day)
    except UnitNotFound as missing:
        raise Http404(str(missing)) from None
    unit = view.unit
    own = location_number_owned_on(sor_id, day)
    context = _context(request, unit, view, own)
    if request.method == "GET":
        return render(request, "web/location.html", context)
    action = request.POST.get("action", "update")
    if action not in ACTIONS:
        action = "update"
    _refill(context, request.POST)
    try:
        _write(request, action, unit, own)
    except ValidationFailed as error:
        errors: dict[str, str] = {}
        for problem in error.problems:
            key = problem.field.split(".")[0]
            errors[key] = (errors.get(key, "") + " " + problem_text(problem)).strip()
        context["field_errors"] = errors
        context["errors"] = [_("Ændringen er ikke gemt. Ret felterne markeret nedenfor.")]
        return render(request, "web/location.html", context, status=422)
    except PreconditionFailed:
        context["errors"] = [_(STALE)]
        return render(request, "web/location.html", context, status=412)
    except Conflict as error:
        context["errors"] = [message_of(error)]
        return render(request, "web/location.html", context, status=409)
    except ServiceError as error:
        return error_page(request, error)
    flash(request, saved_message())
    return HttpResponseRedirect(reverse("web:unit", args=[sor_id]))
