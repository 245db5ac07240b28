"""The write API's views: units, location numbers and the audit trail.

Each view parses the call, calls one maintenance service (which checks the scope first, then
``If-Match``, then the values) and answers with the write's result, the new ``ETag`` and the
resource as it now is. Reads are open to every authenticated caller (the register is public);
the audit trail is not (``register:audit:read``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from opensor.domain.records import Level, record_to_dict
from opensor.domain.responsibility import Permission
from opensor.register.accounts.actors import Actor
from opensor.register.api import audit
from opensor.register.api.http import ApiError, api_view, json_response, problem_response
from opensor.register.api.params import Body, gln_param, query_date, sor_id_param
from opensor.register.api.scope import (
    location_scope,
    unit_create_scope,
    unit_record,
    unit_scope,
)
from opensor.register.maintenance import locations, units
from opensor.register.maintenance.errors import Forbidden, NotFound
from opensor.register.maintenance.placement import placement_of
from opensor.register.maintenance.recording import WriteResult, require
from opensor.register.maintenance.versions import location_etag, location_timeline, unit_etag
from opensor.register.units.mapping import location_record_from_row
from opensor.register.units.selectors import UnitNotFound, unit_view_on

__all__ = ["methods"]

View = Callable[..., HttpResponse]


def methods(**handlers: View) -> View:
    """One URL's view: dispatch on the HTTP method; 405 problem JSON for any other method."""
    allowed = ", ".join(sorted(handlers))

    @csrf_exempt
    def dispatch(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        handler = handlers.get(request.method or "")
        if handler is None:
            response = problem_response(
                ApiError(
                    405,
                    "method-not-allowed",
                    "Method not allowed",
                    f"{request.method} is not allowed here; use {allowed}",
                    f"{request.method} er ikke tilladt her; brug {allowed}",
                )
            )
            response.headers["Allow"] = allowed
            return response
        return handler(request, **kwargs)

    return dispatch


def _minimal(request: HttpRequest) -> bool:
    return "return=minimal" in request.headers.get("Prefer", "")


def _if_match(request: HttpRequest) -> str | None:
    return request.headers.get("If-Match")


def _result(result: WriteResult) -> dict[str, Any]:
    return {
        "target_type": result.target_type,
        "target_id": result.target_id,
        "etag": result.etag,
        "change_set_id": result.change_set_id,
        "effective_from": result.effective_from and result.effective_from.isoformat(),
        "changed": list(result.changed),
        **result.extra,
    }


def _unit_document(sor_id: int, day: date) -> dict[str, Any] | None:
    try:
        return unit_view_on(sor_id, day).as_dict()
    except UnitNotFound:
        return None


def _unit_written(request: HttpRequest, result: WriteResult, status: int = 200) -> HttpResponse:
    body = _result(result)
    if not _minimal(request):
        day = max(result.effective_from or timezone.localdate(), timezone.localdate())
        body["unit"] = _unit_document(int(result.target_id), day)
    return json_response(body, status=status, headers={"ETag": result.etag})


def _location_document(gln: str, day: date) -> dict[str, Any] | None:
    row = location_timeline(gln).valid_on(day)
    return record_to_dict(location_record_from_row(row)) if row is not None else None


def _location_written(request: HttpRequest, result: WriteResult, status: int = 200) -> HttpResponse:
    body = _result(result)
    if not _minimal(request):
        day = max(result.effective_from or timezone.localdate(), timezone.localdate())
        body["location"] = _location_document(result.target_id, day)
    return json_response(body, status=status, headers={"ETag": result.etag})


# -- units --------------------------------------------------------------------------------


@api_view
def unit_get(request: HttpRequest, actor: Actor, sor_id: str) -> HttpResponse:
    """The effective unit as of ``?as_of=`` (today by default), with its ``ETag``."""
    number = sor_id_param(sor_id)
    day = query_date(request, "as_of", timezone.localdate())
    try:
        document = unit_view_on(number, day).as_dict()
    except UnitNotFound as error:
        raise NotFound(str(error), str(error)) from None
    return json_response(document, headers={"ETag": unit_etag(number)})


@api_view
def unit_patch(request: HttpRequest, actor: Actor, sor_id: str) -> HttpResponse:
    """Change a unit's attributes: ``{"changes": {...}, "effective": "YYYY-MM-DD"}``."""
    number = sor_id_param(sor_id)
    body = Body(request)
    effective = body.date()
    changes = body.object("changes")
    body.only("changes", "effective")
    body.settle(lambda: unit_scope(actor, Permission.UNIT_UPDATE, number, effective))
    result = units.unit_update(
        actor, number, changes, if_match=_if_match(request), effective=effective
    )
    return _unit_written(request, result)


@api_view
def unit_post(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Create a unit: ``{"level", "parent", "values", "effective"}``."""
    body = Body(request)
    level_text = body.choice("level", tuple(level.value for level in Level))
    level = Level(level_text) if level_text else None
    parent = body.sor_id("parent", required=level is not Level.OWNER)
    values = body.object("values")
    effective = body.date()
    body.only("level", "parent", "values", "effective")
    body.settle(lambda: unit_create_scope(actor, parent, level, effective))
    assert level is not None
    result = units.unit_create(
        actor, level=level, parent_sor_id=parent, values=values, effective=effective
    )
    response = _unit_written(request, result, status=201)
    response.headers["Location"] = f"/api/v1/register/units/{result.target_id}"
    return response


@api_view
def unit_move(request: HttpRequest, actor: Actor, sor_id: str) -> HttpResponse:
    """Move a unit under a new parent: ``{"parent", "effective"}``."""
    number = sor_id_param(sor_id)
    body = Body(request)
    parent = body.sor_id("parent")
    effective = body.date()
    body.only("parent", "effective")
    body.settle(lambda: unit_scope(actor, Permission.UNIT_MOVE, number, effective))
    assert parent is not None
    result = units.unit_move(
        actor, number, parent, if_match=_if_match(request), effective=effective
    )
    return _unit_written(request, result)


@api_view
def unit_close(request: HttpRequest, actor: Actor, sor_id: str) -> HttpResponse:
    """Close a unit: ``{"effective", "children": refuse|close|move, "move_children_to"}``."""
    number = sor_id_param(sor_id)
    body = Body(request)
    effective = body.date()
    children = body.choice("children", ("refuse", "close", "move"), default="refuse")
    move_to = body.sor_id("move_children_to", required=False)
    body.only("effective", "children", "move_children_to")
    body.settle(lambda: unit_scope(actor, Permission.UNIT_CLOSE, number, effective))
    result = units.unit_close(
        actor,
        number,
        if_match=_if_match(request),
        effective=effective,
        children=children,  # type: ignore[arg-type]
        move_children_to=move_to,
    )
    return _unit_written(request, result)


@api_view
def unit_reopen(request: HttpRequest, actor: Actor, sor_id: str) -> HttpResponse:
    """Reopen a closed unit with its last attributes: ``{"effective"}``."""
    number = sor_id_param(sor_id)
    body = Body(request)
    effective = body.date()
    body.only("effective")
    body.settle(lambda: unit_scope(actor, Permission.UNIT_REOPEN, number, effective))
    result = units.unit_reopen(actor, number, if_match=_if_match(request), effective=effective)
    return _unit_written(request, result)


@api_view
def unit_successor(request: HttpRequest, actor: Actor, sor_id: str) -> HttpResponse:
    """Record the unit's successor: ``{"successor", "effective"}``."""
    number = sor_id_param(sor_id)
    body = Body(request)
    successor = body.sor_id("successor")
    effective = body.date()
    body.only("successor", "effective")
    body.settle(lambda: unit_scope(actor, Permission.UNIT_SUCCESSOR, number, effective))
    assert successor is not None
    result = units.unit_successor(
        actor, number, successor, if_match=_if_match(request), effective=effective
    )
    return _unit_written(request, result)


@api_view
def unit_audit(request: HttpRequest, actor: Actor, sor_id: str) -> HttpResponse:
    """The audit trail of a unit, newest first (``register:audit:read``)."""
    number = sor_id_param(sor_id)
    today = timezone.localdate()
    require(actor, Permission.AUDIT_READ, placement_of(unit_record(number, today), today))
    return json_response(audit.page(request, target_type="unit", target_id=str(number)))


# -- location numbers ----------------------------------------------------------------------


@api_view
def location_get(request: HttpRequest, actor: Actor, gln: str) -> HttpResponse:
    """The location number as of ``?as_of=`` (today by default), with its ``ETag``."""
    number = gln_param(gln)
    day = query_date(request, "as_of", timezone.localdate())
    document = _location_document(number, day)
    if document is None:
        raise NotFound(
            f"location number {number} is unknown or not valid on {day}",
            f"lokationsnummer {number} findes ikke eller er ikke gyldigt den {day}",
        )
    return json_response(document, headers={"ETag": location_etag(number)})


@api_view
def location_patch(request: HttpRequest, actor: Actor, gln: str) -> HttpResponse:
    """Change a location number (message types too): ``{"changes", "effective"}``."""
    number = gln_param(gln)
    body = Body(request)
    effective = body.date()
    changes = body.object("changes")
    body.only("changes", "effective")
    body.settle(lambda: location_scope(actor, Permission.LOCATION_UPDATE, number, effective))
    result = locations.location_update(
        actor, number, changes, if_match=_if_match(request), effective=effective
    )
    return _location_written(request, result)


@api_view
def location_post(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Register a location number: ``{"gln", "owner", "values", "effective"}``."""
    body = Body(request)
    gln = body.string("gln")
    owner = body.sor_id("owner")
    values = body.object("values") if "values" in body.data else {}
    effective = body.date()
    body.only("gln", "owner", "values", "effective")
    if owner is not None:
        body.settle(lambda: unit_scope(actor, Permission.LOCATION_CREATE, owner, effective))
    else:
        body.settle(lambda: None)
    assert gln is not None and owner is not None
    result = locations.location_create(
        actor, gln, owner_sor_id=owner, values=values, effective=effective
    )
    response = _location_written(request, result, status=201)
    response.headers["Location"] = f"/api/v1/register/locations/{result.target_id}"
    return response


@api_view
def location_move(request: HttpRequest, actor: Actor, gln: str) -> HttpResponse:
    """Give the location number to another unit: ``{"owner", "effective"}``."""
    number = gln_param(gln)
    body = Body(request)
    owner = body.sor_id("owner")
    effective = body.date()
    body.only("owner", "effective")
    body.settle(lambda: location_scope(actor, Permission.LOCATION_MOVE, number, effective))
    assert owner is not None
    result = locations.location_move(
        actor, number, owner, if_match=_if_match(request), effective=effective
    )
    return _location_written(request, result)


@api_view
def location_close(request: HttpRequest, actor: Actor, gln: str) -> HttpResponse:
    """Close a location number: ``{"effective"}``."""
    number = gln_param(gln)
    body = Body(request)
    effective = body.date()
    body.only("effective")
    body.settle(lambda: location_scope(actor, Permission.LOCATION_CLOSE, number, effective))
    result = locations.location_close(
        actor, number, if_match=_if_match(request), effective=effective
    )
    return _location_written(request, result)


@api_view
def location_audit(request: HttpRequest, actor: Actor, gln: str) -> HttpResponse:
    """The audit trail of a location number, newest first (``register:audit:read``)."""
    number = gln_param(gln)
    location_scope(actor, Permission.AUDIT_READ, number, None)
    return json_response(audit.page(request, target_type="location", target_id=number))


# -- the audit trail of a user -------------------------------------------------------------


@api_view
def audit_of_user(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The writes of one user (``?actor=NAME``; yourself by default), newest first.

    The authority reads anyone's; every other user reads only their own.
    """
    name = request.GET.get("actor") or actor.username
    if name != actor.username and not actor.is_authority:
        raise Forbidden(
            "only the authority reads other users' audit trails",
            "kun myndigheden kan læse andre brugeres revisionsspor",
        )
    return json_response(audit.page(request, actor=name))


# -- the description -----------------------------------------------------------------------


@csrf_exempt
def openapi_json(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.1 document (public, no token needed)."""
    from opensor.register.api.openapi import openapi_document

    return json_response(openapi_document())


@csrf_exempt
def index(request: HttpRequest) -> HttpResponse:
    """Where the description and the resources are (public)."""
    return json_response(
        {
            "title": "OpenSOR register write API",
            "openapi": "/api/v1/register/openapi.json",
            "documentation": "docs/api-register.md",
            "resources": {
                "units": "/api/v1/register/units/{sorId}",
                "locations": "/api/v1/register/locations/{gln}",
                "audit": "/api/v1/register/audit?actor={name}",
                "requests": "/api/v1/register/requests/",
            },
            "authentication": "Authorization: Bearer <token> (sor token create NAME)",
        }
    )
