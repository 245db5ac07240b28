"""The Starlette routes of the FHIR API (mounted at ``/fhir``) and the dispatch of one GET.

``GET`` requests are dispatched by path: ``metadata``, ``[type]`` (search), ``[type]/[id]``
(read), ``[type]/_history`` and ``[type]/[id]/_history``. ``POST /fhir/`` takes a ``batch``
Bundle of such GETs. Each request reads the model the provider returns (the current
publication) through its per-thread read-only connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope, Send

from opensor.domain.codelists import CodeLists
from opensor.lookup.fhir.capability import capability_statement
from opensor.lookup.fhir.history import history
from opensor.lookup.fhir.interactions import READ_SQL, Context, read, search, version_of
from opensor.lookup.fhir.results import FHIR_JSON, FhirError, FhirResult, dumps, reason_phrase
from opensor.lookup.readmodel import NoPublication, ReadModel

__all__ = ["MAX_BATCH_BYTES", "MAX_BATCH_ENTRIES", "dispatch_get", "read_fast_paths", "routes"]

MAX_BATCH_ENTRIES = 1000
MAX_BATCH_BYTES = 1_048_576

_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})
_CACHE = {"read": "public, max-age=300", "history": "public, max-age=60"}


def _check_format(items: Sequence[tuple[str, str]]) -> None:
    for key, value in items:
        if key == "_format" and value.split(";")[0].strip() not in _FORMATS:
            raise FhirError(
                406,
                "not-supported",
                f"_format={value!r}: only JSON is served (json, "
                "application/json, application/fhir+json)",
                expression="_format",
            )


def dispatch_get(
    context: Context,
    codes: CodeLists,
    model: ReadModel,
    path: str,
    items: Sequence[tuple[str, str]],
) -> FhirResult:
    """Answer one GET below the FHIR base (``path`` without leading slash)."""
    _check_format(items)
    segments = [unquote(part) for part in path.strip("/").split("/")] if path.strip("/") else []
    if segments == ["metadata"]:
        for key, _ in items:
            if key != "_format":
                raise FhirError.bad_parameter(key, "", "metadata takes no parameters")
        created = model.meta.get("created_at") or datetime.now(UTC).isoformat()
        return FhirResult(200, dumps(capability_statement(created, context.base)))
    if not segments:
        raise FhirError(
            400, "not-supported", "a search across all types is not supported; name a type"
        )
    resource_type = segments[0]
    if len(segments) == 1:
        return search(context, resource_type, items)
    if len(segments) == 2 and segments[1] == "_history":
        return history(context, codes, resource_type, None, items)
    if len(segments) == 2:
        for key, _ in items:
            if key != "_format":
                raise FhirError.bad_parameter(key, "", "a read takes no parameters")
        return read(context, resource_type, segments[1])
    if len(segments) == 3 and segments[2] == "_history":
        return history(context, codes, resource_type, segments[1], items)
    if len(segments) == 4 and segments[2] == "_history":
        raise FhirError(
            405,
            "not-supported",
            "reading one version (vread) is not supported; "
            f"GET {resource_type}/{segments[1]}/_history lists them",
        )
    raise FhirError(404, "not-found", f"no FHIR interaction at {path!r}")


def _base(request: Request) -> str:
    url = request.url
    return f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}".rstrip("/")


class _FhirResponse(Response):
    """JSON bytes with a ready raw header list (cheaper than building ``Headers``)."""

    def __init__(self, body: bytes, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"content-type", _MEDIA),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ]


_MEDIA = FHIR_JSON.encode()


def _response(result: FhirResult, cache: str | None = None) -> Response:
    headers = [(name.lower().encode(), value.encode()) for name, value in result.headers.items()]
    if cache and result.status == 200:
        headers.append((b"cache-control", cache.encode()))
    return _FhirResponse(result.body, result.status, headers)


def _error(status: int, code: str, text: str) -> Response:
    return _response(FhirError(status, code, text).result())


def _etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    return any(
        tag.strip() == "*" or tag.strip().removeprefix("W/") == wanted for tag in header.split(",")
    )


def routes(model_provider: Callable[[], ReadModel]) -> list[BaseRoute]:
    """The FHIR routes, to be mounted at ``/fhir`` (``Mount("/fhir", routes=...)``).

    ``model_provider`` returns the read model to answer from (raising
    :class:`~opensor.lookup.readmodel.NoPublication` when there is none: 503).
    """
    codes = CodeLists.bundled()

    def context_for(request: Request) -> tuple[Context, ReadModel]:
        model = model_provider()
        return Context(model.connection(), lambda: _base(request)), model

    async def get(request: Request) -> Response:
        path = request.path_params.get("path", "")
        raw: bytes = request.scope.get("query_string", b"")
        items = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True) if raw else []
        try:
            context, model = context_for(request)
            result = dispatch_get(context, codes, model, path, items)
        except FhirError as error:
            return _response(error.result())
        except NoPublication as error:
            return _error(503, "transient", str(error))
        etag = result.headers.get("ETag")
        if etag and _etag_matches(request, etag):
            return _FhirResponse(b"", 304, [(b"etag", etag.encode())])
        cache = _CACHE["history"] if "_history" in path else _CACHE["read"]
        return _response(result, cache)

    async def batch(request: Request) -> Response:
        media = request.headers.get("content-type", "application/fhir+json").split(";")[0].strip()
        if media not in ("application/fhir+json", "application/json"):
            return _error(
                415, "not-supported", f"send the batch as application/fhir+json, not {media}"
            )
        body = await request.body()
        if len(body) > MAX_BATCH_BYTES:
            return _error(413, "too-costly", f"a batch may be at most {MAX_BATCH_BYTES} bytes")
        try:
            context, model = context_for(request)
            return _response(FhirResult(200, run_batch(context, codes, model, body)))
        except FhirError as error:
            return _response(error.result())
        except NoPublication as error:
            return _error(503, "transient", str(error))

    return [
        Route("/", batch, methods=["POST"]),
        Route("/{path:path}", get, methods=["GET", "HEAD"]),
    ]


_FAST_TYPES = ("Organization", "Location")
"""Resource types whose plain read :func:`read_fast_paths` answers (ids are SOR-IDs)."""


def read_fast_paths(
    model_provider: Callable[[], ReadModel],
) -> dict[str, Callable[[Scope, Send], Any]]:
    """Handlers answering a plain ``GET /fhir/{type}/{id}`` hit without routing; by prefix.

    A handler answers only a read with no query string and no ``If-None-Match`` of a resource
    that exists, exactly as :func:`read` and the ``GET`` route would (same bytes, ``ETag``
    and ``Cache-Control``), and declines (``False``) everything else, which then goes
    through the routes as usual — so errors, 304s and parameters are answered in one place.
    """
    cache = _CACHE["read"].encode()

    def handler(resource_type: str) -> Callable[[Scope, Send], Any]:
        prefix_length = len(f"/fhir/{resource_type}/")
        sql = READ_SQL[resource_type]

        async def answer(scope: Scope, send: Send) -> bool:
            text: str = scope["path"][prefix_length:]
            if scope["query_string"] or not (text.isdigit() and text.isascii() and len(text) <= 18):
                return False
            if any(name == b"if-none-match" for name, _ in scope["headers"]):
                return False
            try:
                model = model_provider()
            except NoPublication:
                return False
            row = model.connection().execute(sql, (int(text),)).fetchone()
            if row is None or row[0] is None:
                return False
            body = bytes(row[0])
            headers = [(b"content-type", _MEDIA), (b"content-length", str(len(body)).encode())]
            version = version_of(body)
            if version is not None:
                headers.append((b"etag", f'W/"{version}"'.encode()))
            headers.append((b"cache-control", cache))
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return True

        return answer

    return {f"/fhir/{name}/": handler(name) for name in _FAST_TYPES}


def _requests(body: bytes) -> list[Any]:
    try:
        bundle = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise FhirError(400, "structure", f"the request body is not JSON: {error}") from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError(400, "structure", "POST /fhir/ takes a Bundle of type batch")
    if bundle.get("type") != "batch":
        raise FhirError(
            400, "not-supported", f"Bundle.type {bundle.get('type')!r}: only batch is supported"
        )
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise FhirError(400, "structure", "Bundle.entry must be a list")
    if len(entries) > MAX_BATCH_ENTRIES:
        raise FhirError(400, "too-costly", f"a batch may hold at most {MAX_BATCH_ENTRIES} entries")
    return entries


def run_batch(context: Context, codes: CodeLists, model: ReadModel, body: bytes) -> bytes:
    """Answer a ``batch`` Bundle of GETs with a ``batch-response`` Bundle (entries in order)."""
    parts = []
    for position, entry in enumerate(_requests(body)):
        request = entry.get("request") if isinstance(entry, dict) else None
        method = request.get("method") if isinstance(request, dict) else None
        url = request.get("url") if isinstance(request, dict) else None
        try:
            if method != "GET":
                raise FhirError(
                    405,
                    "not-supported",
                    f"entry {position}: only GET is supported in a batch, not {method!r}",
                )
            if not isinstance(url, str) or not url:
                raise FhirError(400, "structure", f"entry {position}: request.url is missing")
            if url.startswith(context.base + "/"):
                url = url[len(context.base) + 1 :]
            split = urlsplit(url)
            if split.scheme or split.netloc:
                raise FhirError(
                    400, "not-supported", f"entry {position}: {url!r} is not on this server"
                )
            items = parse_qsl(split.query, keep_blank_values=True)
            result = dispatch_get(context, codes, model, split.path, items)
        except FhirError as error:
            result = error.result()
        response: dict[str, Any] = {"status": reason_phrase(result.status)}
        if "ETag" in result.headers:
            response["etag"] = result.headers["ETag"]
        if result.status < 400:
            parts.append(b'{"resource":' + result.body + b',"response":' + dumps(response) + b"}")
        else:
            parts.append(
                b'{"response":' + dumps(response)[:-1] + b',"outcome":' + result.body + b"}}"
            )
    head = b'{"resourceType":"Bundle","type":"batch-response"'
    if not parts:
        return head + b"}"
    return head + b',"entry":[' + b",".join(parts) + b"]}"
