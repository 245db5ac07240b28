"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the lookup service answers is a :class:`ApiError` turned into a problem document
by :func:`problem_response`. The ``type`` of each problem is a reference to its description on
the service's documentation page (``/api/v1/docs#problem-…``), so a client can follow it.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from opensor.lookup.readmodel import NoPublication

__all__ = [
    "PROBLEM_TYPES",
    "ApiError",
    "bad_parameter",
    "http_exception_handler",
    "no_publication_handler",
    "problem_response",
    "server_error_handler",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"

PROBLEM_TYPES: dict[str, tuple[int, str, str]] = {
    "invalid-parameter": (
        400,
        "Invalid parameter",
        "A path or query parameter is malformed or out of range; `parameter` names it and "
        "`allowed` says what is accepted.",
    ),
    "unknown-parameter": (
        400,
        "Unknown query parameter",
        "The request has a query parameter this endpoint does not take (or one given twice); "
        "`parameter` names it and `allowed` lists the parameters the endpoint takes.",
    ),
    "not-found": (
        404,
        "Not found",
        "No resource has that identifier (an unknown SOR-ID, SHAK code, GLN, publication "
        "or file), or the path is not part of the API.",
    ),
    "method-not-allowed": (405, "Method not allowed", "The endpoint answers GET and HEAD only."),
    "cursor-expired": (
        410,
        "Cursor expired",
        "The cursor belongs to a publication that is no longer kept; start again from the "
        "first page.",
    ),
    "no-publication": (
        503,
        "No publication yet",
        "The publication store holds no complete publication; run `sor publish` (the service "
        "serves it within a second of its appearing).",
    ),
    "server-error": (
        500,
        "Internal server error",
        "A fault in the service itself (never the result of bad input); it is logged.",
    ),
}
"""Every problem type: slug → (status, title, description)."""


class ApiError(Exception):
    """An error answered as a problem document of type ``slug`` (see :data:`PROBLEM_TYPES`)."""

    def __init__(self, slug: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.slug = slug
        self.status = PROBLEM_TYPES[slug][0]
        self.detail = detail
        self.extensions = extensions
        self.headers: dict[str, str] = {}


def bad_parameter(name: str, value: object, reason: str, allowed: str) -> ApiError:
    """A 400 problem naming the parameter, the value given, why it fails and what is allowed."""
    return ApiError(
        "invalid-parameter",
        f"parameter {name!r}: {value!r} {reason}; allowed: {allowed}",
        parameter=name,
        value=value if isinstance(value, str | int | float) else str(value),
        allowed=allowed,
    )


def problem_response(
    slug: str,
    detail: str,
    *,
    instance: str | None = None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response of type ``slug``."""
    status, title, _ = PROBLEM_TYPES[slug]
    body: dict[str, Any] = {
        "type": f"/api/v1/docs#problem-{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    if extensions:
        body.update(extensions)
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    all_headers = {"cache-control": "no-store"}
    if headers:
        all_headers.update(headers)
    return Response(content, status, headers=all_headers, media_type=PROBLEM_MEDIA_TYPE)


def _instance(request: Request) -> str:
    query = request.scope.get("query_string", b"")
    path: str = request.scope.get("path", "")
    return path + ("?" + query.decode("latin-1") if query else "")


async def api_error_handler(request: Request, exc: Exception) -> Response:
    """Answer an :class:`ApiError` as its problem document."""
    assert isinstance(exc, ApiError)
    return problem_response(
        exc.slug,
        exc.detail,
        instance=_instance(request),
        extensions=exc.extensions,
        headers=exc.headers,
    )


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Answer Starlette's routing errors (unknown path, wrong method) as problem documents."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return problem_response(
            "method-not-allowed",
            f"{request.method} is not allowed on {request.url.path}; use GET or HEAD",
            instance=_instance(request),
            headers={"allow": "GET, HEAD"},
        )
    if exc.status_code == 404:
        return problem_response(
            "not-found",
            f"no such endpoint: {request.url.path} (the API is described at /api/v1/docs)",
            instance=_instance(request),
        )
    return problem_response(
        "invalid-parameter" if exc.status_code == 400 else "server-error",
        str(exc.detail),
        instance=_instance(request),
    )


async def no_publication_handler(request: Request, exc: Exception) -> Response:
    """Answer 503 while the store holds no publication."""
    return problem_response(
        "no-publication", str(exc), instance=_instance(request), headers={"retry-after": "60"}
    )


async def server_error_handler(request: Request, exc: Exception) -> Response:
    """Answer a fault of the service as a 500 problem document (the traceback is logged)."""
    return problem_response(
        "server-error",
        f"the service failed while answering this request ({type(exc).__name__})",
        instance=_instance(request),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: api_error_handler,
    HTTPException: http_exception_handler,
    NoPublication: no_publication_handler,
    Exception: server_error_handler,
}
"""The handlers :func:`opensor.lookup.app.create_app` installs."""
