"""What every write-API view shares: the token, the JSON body and RFC 9457 problems.

Views stay thin: :func:`api_view` authenticates the bearer token (401 without a valid one),
reads the JSON body (400 naming the problem), calls the view, and turns any
:class:`~opensor.register.maintenance.errors.ServiceError` into problem JSON with its status.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from opensor.register.accounts.actors import Actor
from opensor.register.accounts.services import actor_for_token
from opensor.register.maintenance.errors import ServiceError

__all__ = ["ApiError", "api_view", "json_body", "json_response", "problem_response"]

PROBLEM_BASE = "https://opensor.dk/problems/"

logger = logging.getLogger(__name__)


class ApiError(ServiceError):
    """A request the API refuses before any service runs (bad JSON, missing token …)."""

    def __init__(
        self, status: int, slug: str, title: str, detail: str, detail_da: str = ""
    ) -> None:
        self.status = status
        self.slug = slug
        self.title = title
        super().__init__(detail, detail_da or detail)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    """A JSON response (UTF-8, compact)."""
    return HttpResponse(
        orjson.dumps(data), status=status, content_type="application/json", headers=headers
    )


def problem_response(error: ServiceError, request_id: str = "") -> HttpResponse:
    """The error as ``application/problem+json`` with its status (and the current ETag on 412)."""
    body = {**error.problem(), "instance": request_id and f"urn:uuid:{request_id}"}
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="opensor-register"'
    current = getattr(error, "current_etag", None)
    if current:
        headers["ETag"] = current
    return HttpResponse(
        orjson.dumps(body),
        status=error.status,
        content_type="application/problem+json",
        headers=headers,
    )


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object body; raises :class:`ApiError` (400/413/415) naming the problem."""
    content_type = request.content_type or ""
    if content_type not in ("application/json", "application/merge-patch+json"):
        raise ApiError(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"send the body as application/json, not {content_type or 'nothing'}",
            "send indholdet som application/json",
        )
    try:
        raw = request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raise ApiError(
            413,
            "payload-too-large",
            "Payload too large",
            f"the body is larger than {limit} bytes, the limit of every request",
            f"indholdet er større end {limit} byte, grænsen for enhver forespørgsel",
        ) from None
    try:
        data = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as error:
        raise ApiError(
            400,
            "malformed-json",
            "Malformed JSON",
            f"the body is not valid JSON: {error}",
            f"indholdet er ikke gyldig JSON: {error}",
        ) from None
    if not isinstance(data, dict):
        raise ApiError(
            400,
            "malformed-json",
            "Malformed JSON",
            "the body must be a JSON object",
            "indholdet skal være et JSON-objekt",
        )
    return data


def _actor(request: HttpRequest, request_id: str) -> Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "unauthenticated",
            "Authentication required",
            "send an API token: Authorization: Bearer <token> (see `sor token create`)",
            "send en API-nøgle: Authorization: Bearer <nøgle>",
        )
    actor = actor_for_token(token.strip(), request_id=request_id)
    if actor is None:
        raise ApiError(
            401,
            "invalid-token",
            "Invalid token",
            "the token is unknown or revoked",
            "nøglen er ukendt eller tilbagekaldt",
        )
    return actor


def api_view(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Wrap a view ``view(request, actor, **kwargs)``: authenticate, run, map errors to problems.

    Every response carries ``X-Request-Id`` (the caller's, if it sent a sane one).
    """

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        given = request.headers.get("X-Request-Id", "")
        request_id = given if 0 < len(given) <= 100 and given.isprintable() else str(uuid.uuid4())
        try:
            actor = _actor(request, request_id)
            response = view(request, actor, **kwargs)
        except ServiceError as error:
            response = problem_response(error, request_id)
        except (OperationalError, InterfaceError) as error:
            # The database restarting, unreachable or locked: the client may retry. With
            # If-Match a write that did commit before the connection broke is then refused
            # with 412 rather than applied twice.
            logger.warning(
                "%s %s: database unavailable (request %s): %s",
                *(request.method, request.path, request_id, error),
            )
            response = problem_response(
                ApiError(
                    503,
                    "database-unavailable",
                    "Database unavailable",
                    "the register's database is unavailable for the moment; try again shortly",
                    "registrets database er utilgængelig lige nu; prøv igen om lidt",
                ),
                request_id,
            )
            response.headers["Retry-After"] = "2"
        except Exception:
            logger.exception("%s %s failed (request %s)", request.method, request.path, request_id)
            response = problem_response(
                ApiError(
                    500,
                    "internal-error",
                    "Internal error",
                    "the register failed to answer; nothing was changed (the error is logged)",
                    "registret kunne ikke svare; intet blev ændret (fejlen er logget)",
                ),
                request_id,
            )
        response.headers["X-Request-Id"] = request_id
        return response

    return wrapper
