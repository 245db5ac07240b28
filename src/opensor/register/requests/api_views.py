"""JSON views of change requests: parse, call one service or selector, answer.

Every view is wrapped in :func:`~opensor.register.api.http.api_view` (bearer token, problem
JSON for every refusal). A request's document carries its diff against the current register and
the subject's version in ``etag`` (also the ``ETag`` header); approving sends it back in
``If-Match``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods, require_POST

from opensor.domain.errors import DomainError
from opensor.domain.identifiers import validate_sor_id
from opensor.domain.validation import FieldProblem
from opensor.register.accounts.actors import Actor
from opensor.register.api.http import api_view, json_body, json_response
from opensor.register.maintenance.errors import ValidationFailed
from opensor.register.requests import services
from opensor.register.requests.selectors import (
    request_queue,
    request_summary,
    request_view,
    requests_of,
)

__all__ = [
    "request_answer",
    "request_approve",
    "request_ask_info",
    "request_detail",
    "request_queue_list",
    "request_reject",
    "request_withdraw",
    "requests_collection",
]

MAX_LISTED = 500


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(
            [FieldProblem("effective", f"{value!r} er ikke en dato (ÅÅÅÅ-MM-DD)", "not a date")]
        ) from None


def _sor_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationFailed(
            [FieldProblem("target_sor_id", "skal være et SOR-ID", "must be a SOR-ID")]
        )
    try:
        return validate_sor_id(value)
    except DomainError as error:
        raise ValidationFailed(
            [FieldProblem("target_sor_id", f"ugyldigt SOR-ID: {value!r}", str(error))]
        ) from None


def _document(actor: Actor, request_id: int, status: int = 200) -> HttpResponse:
    view = request_view(actor, request_id)
    headers = {"ETag": view.etag} if view.etag else {}
    headers["Location"] = f"/api/v1/register/requests/{request_id}"
    return json_response(view.as_dict(), status=status, headers=headers)


@api_view
@require_http_methods(["GET", "POST"])
def requests_collection(request: HttpRequest, actor: Actor) -> HttpResponse:
    """``GET``: the caller's (practice's) requests; ``POST``: file a request (201)."""
    if request.method == "GET":
        rows = requests_of(actor)[:MAX_LISTED]
        return json_response({"requests": [request_summary(row) for row in rows]})
    body = json_body(request)
    filed = services.request_file(
        actor,
        kind=str(body.get("kind", "")),
        target_sor_id=_sor_id(body.get("target_sor_id")),
        target_gln=str(body.get("target_gln") or ""),
        level=body.get("level"),
        payload=body.get("payload", {}),
        effective=_date(body.get("effective")),
        note=body.get("note") or "",
    )
    return _document(actor, filed.pk, status=201)


@api_view
@require_http_methods(["GET"])
def request_queue_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The case workers' queue (open requests, or ``?status=``)."""
    rows = request_queue(actor, request.GET.get("status") or None)[:MAX_LISTED]
    return json_response({"requests": [request_summary(row) for row in rows]})


@api_view
@require_http_methods(["GET"])
def request_detail(request: HttpRequest, actor: Actor, request_id: int) -> HttpResponse:
    """One request with its history and its diff against the current register."""
    return _document(actor, request_id)


@api_view
@require_POST
def request_ask_info(request: HttpRequest, actor: Actor, request_id: int) -> HttpResponse:
    """Ask the requester for more information (``{"message": …}``)."""
    services.request_ask_info(actor, request_id, json_body(request).get("message", ""))
    return _document(actor, request_id)


@api_view
@require_POST
def request_answer(request: HttpRequest, actor: Actor, request_id: int) -> HttpResponse:
    """Answer the case worker (``{"message": …, "payload": {…}?}``)."""
    body = json_body(request)
    services.request_answer(actor, request_id, body.get("message", ""), body.get("payload"))
    return _document(actor, request_id)


@api_view
@require_POST
def request_approve(request: HttpRequest, actor: Actor, request_id: int) -> HttpResponse:
    """Approve and apply; ``If-Match`` is the ``etag`` of the request document you read."""
    if_match = request.headers.get("If-Match")
    services.request_approve(actor, request_id, if_match=if_match)
    return _document(actor, request_id)


@api_view
@require_POST
def request_reject(request: HttpRequest, actor: Actor, request_id: int) -> HttpResponse:
    """Reject with a reason (``{"reason": …}``)."""
    services.request_reject(actor, request_id, json_body(request).get("reason", ""))
    return _document(actor, request_id)


@api_view
@require_POST
def request_withdraw(request: HttpRequest, actor: Actor, request_id: int) -> HttpResponse:
    """Withdraw an open request (the requester's practice)."""
    services.request_withdraw(actor, request_id)
    return _document(actor, request_id)
