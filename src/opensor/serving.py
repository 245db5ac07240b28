"""One ASGI application serving the lookup service and the register side by side.

``sor serve`` runs :func:`create_app` (both parts on one port, as the quickstart does),
:func:`create_register_app` (``--only register``) or :func:`create_lookup_app`
(``--only lookup``). The dispatcher looks only at the path:

* ``/manage/static/…`` — the register's static files (every installed app's ``static/``),
  served by Starlette with ``ETag``/``Last-Modified``;
* ``/manage…`` and ``/api/v1/register…`` — the register (Django: the maintainers' UI and the
  write API). Django runs its synchronous views in a thread and closes the database
  connections at the end of each request (its ``request_finished`` signal);
* everything else — the lookup service.

Lifespan events go to the lookup service (Django has no lifespan); in register-only mode they
are acknowledged here.

Every request body is read to its end on the event loop, within ``SOR_SERVE_BODY_TIMEOUT``
seconds, before the application sees it (:func:`read_body_first`). Granian bounds how long a
client may take over its request *headers* (``sor serve --header-timeout``) but not over its
body, and the register reads bodies in a worker thread: without this, a few clients trickling
a body byte by byte would hold every thread of the register. A body that does not arrive in
time is answered ``408`` here, and the application never runs.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

__all__ = [
    "BODY_TIMEOUT_VARIABLE",
    "DEFAULT_BODY_TIMEOUT",
    "REGISTER_PREFIXES",
    "STATIC_PREFIX",
    "body_timeout",
    "create_app",
    "create_lookup_app",
    "create_register_app",
    "is_register_path",
    "read_body_first",
]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STATIC_PREFIX = "/manage/static"
REGISTER_PREFIXES = ("/manage", "/api/v1/register")


def is_register_path(path: str) -> bool:
    """Whether the register (not the lookup service) answers ``path``."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in REGISTER_PREFIXES)


def _static_directories() -> list[Path]:
    from django.apps import apps

    found = []
    for config in apps.get_app_configs():
        directory = Path(config.path) / "static"
        if directory.is_dir():
            found.append(directory)
    return found


class _Static:
    """The apps' static files under :data:`STATIC_PREFIX` (first directory that has a file)."""

    def __init__(self) -> None:
        from starlette.staticfiles import StaticFiles

        self.apps = [StaticFiles(directory=directory) for directory in _static_directories()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.exceptions import HTTPException
        from starlette.responses import PlainTextResponse

        scope = {**scope, "root_path": scope.get("root_path", "") + STATIC_PREFIX}
        for app in self.apps:
            try:
                response = await app.get_response(app.get_path(scope), scope)
            except HTTPException as error:
                if error.status_code == 404:
                    continue
                response = PlainTextResponse(str(error.detail), status_code=error.status_code)
            await response(scope, receive, send)
            return
        await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)


POOL_MAX = int(os.environ.get("SOR_DB_POOL_MAX", "8"))
"""Database connections per worker process when the register runs on PostgreSQL."""


def _pool_connections() -> None:
    """Borrow the served register's PostgreSQL connections from a pool.

    Served over ASGI, Django runs each request's view in a fresh thread: persistent
    connections would pile up (one per thread) until PostgreSQL refuses new clients. So the
    served register closes its connection after every request and borrows it from a psycopg
    pool instead (``SOR_DB_POOL_MAX`` connections per worker). SQLite keeps its settings.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        database["CONN_MAX_AGE"] = 0
        options = database.setdefault("OPTIONS", {})
        options["pool"] = {"min_size": 1, "max_size": POOL_MAX, "timeout": 30}


BODY_TIMEOUT_VARIABLE = "SOR_SERVE_BODY_TIMEOUT"
"""The environment variable ``sor serve --body-timeout`` hands the worker processes."""
DEFAULT_BODY_TIMEOUT = 30.0
"""Seconds a client has for a request body (256 KiB at 10 KB/s takes 26 s)."""


def body_timeout() -> float:
    """Seconds a client has to send a request body (``SOR_SERVE_BODY_TIMEOUT``, default 30)."""
    text = os.environ.get(BODY_TIMEOUT_VARIABLE, "")
    if not text:
        return DEFAULT_BODY_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{BODY_TIMEOUT_VARIABLE}={text!r}: give a number of seconds above 0")
    return seconds


def _announced_body(scope: Scope) -> tuple[bool, int | None]:
    """Whether the request has a body (RFC 9112 §6.3), and its Content-Length if it gives one."""
    chunked, length = False, None
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding":
            chunked = True
        elif name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return True, None  # granian refuses such a request first; read it as chunked
    return chunked or bool(length), length


class _Body:
    """A request body read from ``receive``: its chunks, its size and how it ended."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.disconnected = False

    async def read(self, receive: Receive) -> None:
        """Read until the body ends, the client leaves, or more than ``limit`` bytes came."""
        while self.size <= self.limit:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                return
            chunk = bytes(message.get("body", b""))
            self.chunks.append(chunk)
            self.size += len(chunk)
            if not message.get("more_body", False):
                return


async def _request_timeout(send: Send, seconds: float, received: int, length: int | None) -> None:
    """Answer 408 (problem JSON) and close the connection: the body came too slowly."""
    of = "" if length is None else f" of {length}"
    of_da = "" if length is None else f" af {length}"
    body = json.dumps(
        {
            "type": "https://opensor.dk/problems/request-timeout",
            "title": "Request timeout",
            "status": 408,
            "detail": f"the request body did not arrive within {seconds:g} seconds "
            f"({received}{of} bytes came); send it again without pausing",
            "detail_da": f"forespørgslens indhold nåede ikke frem inden for {seconds:g} "
            f"sekunder ({received}{of_da} byte kom); send den igen uden pauser",
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 408,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def read_body_first(
    app: ASGIApp, *, limit: int, timeout: float, refuses_by_length: bool = False
) -> ASGIApp:
    """``app``, given each request body only once all of it has arrived within ``timeout``.

    The body is read on the event loop (no thread waits for a slow client) up to ``limit`` + 1
    bytes — one more than ``app`` accepts, so that it still refuses a larger body with its own
    error; what lies beyond is never read. A body that has not arrived ``timeout`` seconds
    after the headers is answered ``408`` and ``app`` does not run; a client that leaves first
    gets nothing. Requests without a body pass straight through. ``refuses_by_length`` says
    that ``app`` refuses a Content-Length over ``limit`` without reading the body (Django
    does): such a body is not read at all, and ``app`` is given it empty.
    """

    async def bounded(scope: Scope, receive: Receive, send: Send) -> None:
        has_body, length = _announced_body(scope) if scope["type"] == "http" else (False, None)
        if not has_body:
            await app(scope, receive, send)
            return
        body = _Body(limit)
        if not (refuses_by_length and length is not None and length > limit):
            try:
                await asyncio.wait_for(body.read(receive), timeout)
            except TimeoutError:
                await _request_timeout(send, timeout, body.size, length)
                return
            if body.disconnected:
                return
        replayed = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(body.chunks), "more_body": False}
            while True:  # only a disconnect is news now; an unread rest is skipped
                message = await receive()
                if message["type"] != "http.request":
                    return message

        await app(scope, replay, send)

    return bounded


def _django() -> ASGIApp:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opensor.register.settings")
    _pool_connections()
    import django
    from django.core.wsgi import get_wsgi_application

    from opensor.wsgi_bridge import BufferedWsgiBridge

    django.setup()
    # Django's WSGI handler on a thread pool: its ASGI handler hops threads for every
    # request and costs several times more CPU per request on the write path.
    return BufferedWsgiBridge(get_wsgi_application(), workers=POOL_MAX)


async def _lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _dispatcher(register: ASGIApp, static: ASGIApp, other: ASGIApp | None) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await (other or _lifespan)(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path.startswith(STATIC_PREFIX + "/"):
            await static(scope, receive, send)
        elif other is None or is_register_path(path):
            await register(scope, receive, send)
        else:
            await other(scope, receive, send)

    return app


def _bounded_register() -> ASGIApp:
    from django.conf import settings

    register = _django()
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return read_body_first(register, limit=limit, timeout=body_timeout(), refuses_by_length=True)


def create_lookup_app() -> ASGIApp:
    """The lookup service alone (``sor serve --only lookup``), its request bodies bounded."""
    from opensor.lookup.app import create_app as create_lookup
    from opensor.lookup.fhir.routes import MAX_BATCH_BYTES

    return read_body_first(create_lookup(), limit=MAX_BATCH_BYTES, timeout=body_timeout())


def create_app() -> ASGIApp:
    """The lookup service and the register on one port (``sor serve``)."""
    register = _bounded_register()
    return _dispatcher(register, _Static(), create_lookup_app())


def create_register_app() -> ASGIApp:
    """The register alone: the maintainers' UI and the write API (``sor serve --only register``)."""
    return _dispatcher(_bounded_register(), _Static(), None)
