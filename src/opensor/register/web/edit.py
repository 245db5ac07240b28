"""Views of the maintainers' web UI that write units.

Attribute groups, move, close, reopen, successor and new units.
Each POST calls one service of :mod:`opensor.register.maintenance.units`, which checks the
user's permission, the version the form was based on (the hidden ``etag``), the values and the
tree rules. A refused write re-renders the form with the service's reasons beside the fields;
a write outside the user's scope gets the 403 page with the reason in Danish.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods

from opensor.domain.records import Level, UnitRecord
from opensor.domain.responsibility import Permission, Placement
from opensor.register.codes.selectors import code_lists
from opensor.register.maintenance import units as unit_services
from opensor.register.maintenance.errors import (
    Conflict,
    PreconditionFailed,
    ServiceError,
    ValidationFailed,
)
from opensor.register.maintenance.placement import placement_of, placement_under
from opensor.register.maintenance.recording import require
from opensor.register.maintenance.versions import unit_timeline
from opensor.register.units.mapping import unit_record_from_row
from opensor.register.units.selectors import unit_on
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
from opensor.register.web.forms import FormField

__all__ = ["child_level", "unit_child_create", "unit_edit", "unit_operation"]

STALE = gettext_noop(
    "Enheden er ændret af en anden, siden du åbnede formularen. Genindlæs siden for at se "
    "de nye værdier, og foretag din ændring igen."
)


def _unit_or_404(sor_id: int) -> UnitRecord:
    record = unit_on(sor_id, today())
    if record is None:
        latest = unit_timeline(sor_id).last()
        if latest is None:
            raise Http404(f"no unit {sor_id}")
        return unit_record_from_row(latest)
    return record


def _attach_problems(
    fields: list[FormField], error: ValidationFailed, renames: dict[str, str]
) -> list[str]:
    """Put each problem beside its input; return those that match no input."""
    by_name = {f.name: f for f in fields}
    loose = []
    for problem in error.problems:
        name = renames.get(problem.field, problem.field)
        target = by_name.get(name)
        if target is None:
            # A whole group (``postal_address``) or a part not shown: the group's first input.
            target = next((f for f in fields if f.name.startswith(name + ".")), None)
        if target is None:
            loose.append(f"{problem.field}: {problem_text(problem)}")
        else:
            target.error = (target.error + " " if target.error else "") + problem_text(problem)
    return loose


def _refill(fields: list[FormField], post: Any) -> None:
    for f in fields:
        if f.kind == "checkbox":
            f.value = post.get(f.name) == "on"
        elif f.kind != "hidden":
            f.value = post.get(f.name, "")


def _render_form(
    request: HttpRequest,
    record: UnitRecord,
    *,
    title: str,
    fields: list[FormField],
    etag: str,
    effective: str,
    errors: list[str] = (),  # type: ignore[assignment]
    status: int = 200,
    intro: str = "",
    submit: str = "",
) -> HttpResponse:
    return render(
        request,
        "web/form.html",
        {
            "unit": record,
            "title": title,
            "fields": fields,
            "etag": etag,
            "effective": effective,
            "errors": list(errors),
            "intro": intro,
            "submit": submit or _("Gem"),
        },
        status=status,
    )


def _form_refused(
    request: HttpRequest, permission: Permission, placement: Placement
) -> HttpResponse | None:
    """The 403 page when the user may not do what the form is for (``None`` when allowed).

    The service checks again on submit; this only spares an out-of-scope user a form they
    could never send.
    """
    try:
        require(request.actor, permission, placement)  # type: ignore[attr-defined]
    except ServiceError as error:
        return error_page(request, error)
    return None


OPERATION_PERMISSIONS = {
    "move": Permission.UNIT_MOVE,
    "close": Permission.UNIT_CLOSE,
    "reopen": Permission.UNIT_REOPEN,
    "successor": Permission.UNIT_SUCCESSOR,
}


def _done(request: HttpRequest, sor_id: int) -> HttpResponse:
    flash(request, saved_message())
    return HttpResponseRedirect(reverse("web:unit", args=[sor_id]))


def _refused(
    request: HttpRequest,
    error: ServiceError,
    fields: list[FormField],
    renames: dict[str, str],
    render_again: Callable[..., HttpResponse],
) -> HttpResponse:
    if isinstance(error, ValidationFailed):
        loose = _attach_problems(fields, error, renames)
        return render_again(
            errors=[_("Ændringen er ikke gemt. Ret felterne markeret nedenfor."), *loose],
            status=422,
        )
    if isinstance(error, PreconditionFailed):
        return render_again(errors=[_(STALE)], status=412)
    if isinstance(error, Conflict):
        return render_again(errors=[message_of(error)], status=409)
    return error_page(request, error)


@require_http_methods(["GET", "POST"])
@maintainer_view
def unit_edit(request: HttpRequest, sor_id: int, group: str) -> HttpResponse:
    """Edit one attribute group of a unit, effective from a date that may lie in the future."""
    if group not in forms.GROUPS:
        raise Http404(f"no attribute group {group!r}")
    record = _unit_or_404(sor_id)
    codes = code_lists()
    fields = forms.group_fields(group, record, codes, lang())
    title = str(forms.GROUPS[group].label)
    etag = unit_timeline(sor_id).etag()
    effective = today().isoformat()
    renames: dict[str, str] = {}

    def again(**extra: Any) -> HttpResponse:
        return _render_form(
            request, record, title=title, fields=fields, etag=etag, effective=effective, **extra
        )

    if request.method == "GET":
        refused = _form_refused(request, Permission.UNIT_UPDATE, placement_of(record, today()))
        return refused or again()
    post = request.POST
    _refill(fields, post)
    effective = post.get("effective", "")
    etag = post.get("etag", "")
    day, date_problem = forms.parse_effective(effective, today())
    if day is None:
        return again(errors=[date_problem], status=422)
    changes, renames = forms.changes_from_post(group, post, record)
    try:
        unit_services.unit_update(
            request.actor,  # type: ignore[attr-defined]
            sor_id,
            changes,
            if_match=etag or None,
            effective=day,
        )
    except ServiceError as error:
        return _refused(request, error, fields, renames, again)
    return _done(request, sor_id)


def _operation_fields(operation: str, record: UnitRecord) -> list[FormField]:
    if operation == "move":
        return [FormField("new_parent", _("Ny overordnet enhed (SOR-ID)"), required=True)]
    if operation == "close":
        return [
            FormField(
                "children",
                _("Underenheder"),
                kind="radio",
                value="refuse",
                choices=[
                    ("refuse", _("Afvis lukning, hvis enheden har åbne underenheder")),
                    ("close", _("Luk også underenhederne")),
                    ("move", _("Flyt underenhederne til en anden enhed")),
                ],
            ),
            FormField("move_children_to", _("Flyt underenhederne til (SOR-ID)")),
        ]
    if operation == "successor":
        return [FormField("successor", _("Efterfølger (SOR-ID)"), required=True)]
    if operation == "reopen":
        return []
    raise Http404(f"no operation {operation!r}")


OPERATION_TITLES = {
    "move": gettext_noop("Flyt enhed"),
    "close": gettext_noop("Luk enhed"),
    "reopen": gettext_noop("Genåbn enhed"),
    "successor": gettext_noop("Registrér efterfølger"),
}


@require_http_methods(["GET", "POST"])
@maintainer_view
def unit_operation(request: HttpRequest, sor_id: int, operation: str) -> HttpResponse:
    """Move, close (with a policy for open children), reopen, or record a successor."""
    record = _unit_or_404(sor_id)
    fields = _operation_fields(operation, record)
    title = _(OPERATION_TITLES[operation])
    etag = unit_timeline(sor_id).etag()
    effective = today().isoformat()

    def again(**extra: Any) -> HttpResponse:
        return _render_form(
            request, record, title=title, fields=fields, etag=etag, effective=effective,
            submit=title, **extra,
        )  # fmt: skip

    if request.method == "GET":
        permission = OPERATION_PERMISSIONS[operation]
        refused = _form_refused(request, permission, placement_of(record, today()))
        return refused or again()
    post = request.POST
    _refill(fields, post)
    effective, etag = post.get("effective", ""), post.get("etag", "") or None
    day, date_problem = forms.parse_effective(effective, today())
    if day is None:
        return again(errors=[date_problem], status=422)
    actor = request.actor  # type: ignore[attr-defined]
    try:
        if operation == "move":
            parent, problem = forms.parse_sor_id(post.get("new_parent", ""))
            if parent is None:
                fields[0].error = problem
                return again(status=422)
            unit_services.unit_move(actor, sor_id, parent, if_match=etag, effective=day)
        elif operation == "close":
            policy = post.get("children", "refuse")
            if policy not in ("refuse", "close", "move"):
                policy = "refuse"
            target = None
            if policy == "move":
                target, problem = forms.parse_sor_id(post.get("move_children_to", ""))
                if target is None:
                    fields[1].error = problem
                    return again(status=422)
            unit_services.unit_close(
                actor, sor_id, if_match=etag, effective=day, children=policy,  # type: ignore[arg-type]
                move_children_to=target,
            )  # fmt: skip
        elif operation == "reopen":
            unit_services.unit_reopen(actor, sor_id, if_match=etag, effective=day)
        else:
            successor, problem = forms.parse_sor_id(post.get("successor", ""))
            if successor is None:
                fields[0].error = problem
                return again(status=422)
            unit_services.unit_successor(actor, sor_id, successor, if_match=etag, effective=day)
    except ServiceError as error:
        return _refused(request, error, fields, {}, again)
    return _done(request, sor_id)


def child_level(parent: UnitRecord) -> Level:
    """The level of a unit created under ``parent``: an institution under an owner, else a unit."""
    return Level.INSTITUTION if parent.level is Level.OWNER else Level.UNIT


@require_http_methods(["GET", "POST"])
@maintainer_view
def unit_child_create(request: HttpRequest, sor_id: int) -> HttpResponse:
    """Create a unit directly under this one (an institution under an owner, else a unit)."""
    parent = _unit_or_404(sor_id)
    level = child_level(parent)
    type_name, list_name, type_label = forms.type_field_of(level)
    fields = [
        FormField("name", _("Navn"), required=True),
        FormField(
            type_name,
            str(type_label),
            kind="select",
            choices=forms.code_choices(code_lists(), list_name, lang()),
        ),
        FormField("shak", _("SHAK-kode")),
    ]
    title = _("Opret underenhed")
    effective = today().isoformat()

    def again(**extra: Any) -> HttpResponse:
        return _render_form(
            request, parent, title=title, fields=fields, etag="", effective=effective,
            submit=_("Opret"), **extra,
        )  # fmt: skip

    if request.method == "GET":
        placement = placement_under(parent, level, day=today())
        return _form_refused(request, Permission.UNIT_CREATE, placement) or again()
    post = request.POST
    _refill(fields, post)
    effective = post.get("effective", "")
    day, date_problem = forms.parse_effective(effective, today())
    if day is None:
        return again(errors=[date_problem], status=422)
    values = {f.name: (post.get(f.name) or "").strip() or None for f in fields}
    try:
        result = unit_services.unit_create(
            request.actor,  # type: ignore[attr-defined]
            level=level,
            parent_sor_id=sor_id,
            values=values,
            effective=day,
        )
    except ServiceError as error:
        return _refused(request, error, fields, {}, again)
    return _done(request, int(result.target_id))
