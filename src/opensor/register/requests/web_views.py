"""Pages of the self-service requests and the case work: parse, call one service, render.

Practice users file requests through guided forms that validate as they type (htmx posts the
form to :func:`validate`, which answers with the field messages); they follow their requests'
status. Case workers see the queue, open a request with its diff against the register and
approve, reject with a reason, or ask for more information.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opensor.domain.codelists import CodeListName
from opensor.domain.responsibility import Permission
from opensor.domain.validation import FieldProblem
from opensor.register.accounts.actors import Actor
from opensor.register.accounts.services import actor_for_user
from opensor.register.codes.selectors import code_lists
from opensor.register.maintenance.errors import ServiceError, ValidationFailed
from opensor.register.maintenance.recording import require
from opensor.register.requests import services
from opensor.register.requests.forms import (
    effective_of,
    payload_from_form,
    postcode_hint,
    unit_fields,
)
from opensor.register.requests.labels import field_label
from opensor.register.requests.models import ChangeRequest
from opensor.register.requests.selectors import (
    practice_units,
    request_queue,
    request_view,
    requests_of,
)
from opensor.register.requests.targets import proposal, target_resolve
from opensor.register.units.selectors import location_number_owned_on, unit_on

__all__ = [
    "decide",
    "detail",
    "file_form",
    "mine",
    "queue",
    "validate",
]

KINDS_WITH_FORMS = ("unit_update", "unit_create", "unit_close", "location_update")
FLASH = "requests_flash"


def _actor(request: HttpRequest) -> Actor:
    return actor_for_user(request.user, request_id=request.headers.get("X-Request-Id", "")[:100])


def _flash(request: HttpRequest, text: str) -> None:
    request.session[FLASH] = text


def _problems(error: ServiceError) -> list[dict[str, str]]:
    if isinstance(error, ValidationFailed):
        return [_problem(p) for p in error.problems]
    return [{"field": "", "label": "", "message": error.message_da}]


def _problem(problem: FieldProblem) -> dict[str, str]:
    return {
        "field": problem.field,
        "label": field_label(problem.field),
        "message": problem.message_da,
    }


def _missing(request: HttpRequest, what: str) -> HttpResponse:
    return render(request, "requests/error.html", {"problems": [{"message": what}]}, status=404)


def _error(
    request: HttpRequest, error: ServiceError, template: str, context: dict[str, Any]
) -> HttpResponse:
    return render(request, template, {**context, "problems": _problems(error)}, status=error.status)


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The practice's own requests with their status, and the ways to file a new one."""
    actor = _actor(request)
    return render(
        request,
        "requests/mine.html",
        {
            "requests": requests_of(actor)[:200],
            "is_case_worker": bool(actor.may(Permission.REQUEST_DECIDE, None)),
            "flash": request.session.pop(FLASH, ""),
        },
    )


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The case workers' queue (open requests, or those of one status)."""
    actor = _actor(request)
    status = request.GET.get("status", "")
    if status not in ChangeRequest.Status.values:
        status = ""
    try:
        rows = list(request_queue(actor, status or None)[:500])
    except ServiceError as error:
        return _error(request, error, "requests/error.html", {})
    return render(
        request,
        "requests/queue.html",
        {"requests": rows, "status": status, "statuses": ChangeRequest.Status.choices},
    )


def _form_context(
    actor: Actor, kind: str, form: QueryDict | None, params: QueryDict
) -> dict[str, Any]:
    today = timezone.localdate()
    units = practice_units(actor, today)
    selected = str((form or params).get("unit", "")).strip()
    unit = None
    if selected.isdigit():
        unit = next((u.record for u in units if str(u.record.sor_id) == selected), None)
    codes = code_lists()
    context: dict[str, Any] = {
        "kind": kind,
        "kind_label": ChangeRequest.Kind(kind).label,
        "units": units,
        "unit": unit,
        "selected": selected,
        "effective": str((form or params).get("effective", "")),
        "note": str((form or params).get("note", "")),
    }
    if kind in ("unit_update", "unit_create"):
        context["fields"] = unit_fields(None if kind == "unit_create" else unit, form)
    if kind == "unit_create":
        level = str((form or params).get("level", "OE"))
        list_name = CodeListName.INSTITUTION_TYPE if level == "SI" else CodeListName.UNIT_TYPE
        context["level"] = level
        context["type_code"] = str((form or params).get("type_code", ""))
        context["type_choices"] = [(e.code, e.name("da")) for e in codes.get(list_name) if e.active]
    if kind == "location_update":
        numbered = [u for u in units if u.gln]
        gln = str((form or params).get("gln", "")) or (numbered[0].gln if numbered else "")
        context["numbered"] = numbered
        context["gln"] = gln
        current: list[str] = []
        number_unit = next((u.record for u in numbered if u.gln == gln), None)
        if number_unit is not None:
            number = location_number_owned_on(number_unit.sor_id, today)
            current = list(number.message_types) if number else []
        checked = form.getlist("message_types") if form is not None else current
        context["message_types"] = [
            (e.code, e.name("da"), e.code in checked)
            for e in codes.get(CodeListName.MESSAGE_TYPE)
            if e.active
        ]
    return context


def _filing(actor: Actor, kind: str, form: QueryDict) -> dict[str, Any]:
    """The arguments of :func:`services.request_file` from a posted form (422 on bad input)."""
    effective, problems = effective_of(form)
    if problems:
        raise ValidationFailed(problems)
    day = effective or timezone.localdate()
    unit_text = str(form.get("unit", "")).strip()
    target_sor_id = int(unit_text) if unit_text.isdigit() else None
    arguments: dict[str, Any] = {"kind": kind, "effective": effective, "note": form.get("note", "")}
    if kind == "location_update":
        arguments["target_gln"] = str(form.get("gln", "")).strip()
        arguments["payload"] = {"message_types": [str(c) for c in form.getlist("message_types")]}
        return arguments
    arguments["target_sor_id"] = target_sor_id
    if kind == "unit_close":
        arguments["payload"] = {}
        return arguments
    if kind == "unit_create":
        arguments["level"] = str(form.get("level", "")) or None
        arguments["payload"] = payload_from_form(form, None, creating=True)
        return arguments
    unit = unit_on(target_sor_id, day) if target_sor_id is not None else None
    arguments["payload"] = payload_from_form(form, unit, creating=False)
    return arguments


@login_required
@require_http_methods(["GET", "POST"])
def file_form(request: HttpRequest, kind: str) -> HttpResponse:
    """A guided form to request a change of one of the practice's units or its location number."""
    if kind not in KINDS_WITH_FORMS:
        return _missing(request, "Ukendt formular")
    actor = _actor(request)
    if request.method == "GET":
        return render(request, "requests/file.html", _form_context(actor, kind, None, request.GET))
    try:
        filed = services.request_file(actor, **_filing(actor, kind, request.POST))
    except ServiceError as error:
        context = _form_context(actor, kind, request.POST, request.GET)
        return _error(request, error, "requests/file.html", context)
    _flash(request, f"Anmodning #{filed.pk} er indsendt til Sundhedsdatastyrelsen.")
    return redirect("requests_web:detail", request_id=filed.pk)


@login_required
@require_POST
def validate(request: HttpRequest, kind: str) -> HttpResponse:
    """The field messages of a request form as the user types (an htmx fragment)."""
    actor = _actor(request)
    problems: list[dict[str, str]] = []
    try:
        arguments = _filing(actor, kind, request.POST)
        day = arguments.get("effective") or timezone.localdate()
        target = target_resolve(
            kind,
            day=day,
            target_sor_id=arguments.get("target_sor_id"),
            target_gln=arguments.get("target_gln", ""),
            level=arguments.get("level"),
        )
        require(actor, Permission.REQUEST_FILE, target.placement)
        _, found = proposal(target, arguments.get("payload", {}), code_lists())
        problems = [_problem(p) for p in found]
    except ServiceError as error:
        problems = _problems(error)
    return render(
        request,
        "requests/_problems.html",
        {"problems": problems, "hint": postcode_hint(request.POST), "checked": True},
    )


@login_required
@require_GET
def detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """One request: its values against the register, its history, and what the user may do."""
    actor = _actor(request)
    try:
        view = request_view(actor, request_id)
    except ServiceError as error:
        return _error(request, error, "requests/error.html", {})
    return render(request, "requests/detail.html", _detail_context(actor, view, request))


def _detail_context(actor: Actor, view: Any, request: HttpRequest) -> dict[str, Any]:
    return {
        "view": view,
        "req": view.request,
        "is_case_worker": bool(actor.may(Permission.REQUEST_DECIDE, None)),
        "is_follower": services.may_follow(actor, view.request),
        "flash": request.session.pop(FLASH, ""),
    }


_STEPS = {
    "approve": "Anmodningen er godkendt og gennemført i registeret. Den bliver synlig for "
    "opslagstjenesten ved næste offentliggørelse.",
    "reject": "Anmodningen er afvist.",
    "ask-info": "Spørgsmålet er sendt til anmoderen.",
    "answer": "Svaret er sendt til sagsbehandleren.",
    "withdraw": "Anmodningen er trukket tilbage.",
}


def _step(actor: Actor, step: str, request_id: int, form: QueryDict) -> None:
    if step == "approve":
        services.request_approve(actor, request_id, if_match=form.get("etag") or None)
    elif step == "reject":
        services.request_reject(actor, request_id, form.get("reason", ""))
    elif step == "ask-info":
        services.request_ask_info(actor, request_id, form.get("message", ""))
    elif step == "answer":
        services.request_answer(actor, request_id, form.get("message", ""))
    else:
        services.request_withdraw(actor, request_id)


@login_required
@require_POST
def decide(request: HttpRequest, request_id: int, step: str) -> HttpResponse:
    """One step of the case: approve, reject, ask for information, answer, withdraw."""
    if step not in _STEPS:
        return _missing(request, "Ukendt handling")
    actor = _actor(request)
    try:
        _step(actor, step, request_id, request.POST)
    except ServiceError as error:
        try:
            view = request_view(actor, request_id)
        except ServiceError as outer:
            return _error(request, outer, "requests/error.html", {})
        context = {**_detail_context(actor, view, request), "form": request.POST}
        return _error(request, error, "requests/detail.html", context)
    _flash(request, _STEPS[step])
    return redirect("requests_web:detail", request_id=request_id)
