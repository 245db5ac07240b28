"""One ASGI application serving the lookup service and the register side by side.

``sor serve`` runs :func:`create_app` (both parts on one port, as the quickstart does),
:func:`create_register_app` (``--only register``) or the lookup service's own factory
(``--only lookup``). The dispatcher looks only at the path:

* ``/manage/static/…`` — the register's static files (every installed app's ``static/``),
  served by Starlette with ``ETag``/``Last-Modified``;
* ``/manage…`` and ``/api/v1/register…`` — the register (Django: the maintainers' UI and the
  write API). Django runs its synchronous views in a thread and closes the database
  connections at the end of each request (its ``request_finished`` signal);
* everything else — the lookup service.

Lifespan events go to the lookup service (Django has no lifespan); in register-only mode they
are acknowledged here.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

__all__ = [
    "REGISTER_PREFIXES",
    "STATIC_PREFIX",
    "create_app",
    "create_register_app",
    "is_register_path",
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


def _same_thread_close(app: Any) -> Any:
    """Run a WSGI app and close its response in the same thread.

    Django returns the request's database connection (to the pool) when the response is
    closed, from the thread that served it; a2wsgi may close from another thread.
    """

    def run(environ: Any, start_response: Any) -> list[bytes]:
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return run


def _django() -> ASGIApp:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opensor.register.settings")
    _pool_connections()
    import django
    from a2wsgi import WSGIMiddleware
    from django.core.wsgi import get_wsgi_application

    django.setup()
    # Django's WSGI handler on a thread pool: its ASGI handler hops threads for every
    # request and costs several times more CPU per request on the write path.
    bridge = WSGIMiddleware(_same_thread_close(get_wsgi_application()), workers=POOL_MAX)

    async def register(scope: Scope, receive: Receive, send: Send) -> None:
        async def receive_coroutine() -> Any:
            return await receive()  # a2wsgi needs a coroutine; some servers' receive is not

        await bridge(scope, receive_coroutine, send)  # type: ignore[arg-type]

    return register


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


def create_app() -> ASGIApp:
    """The lookup service and the register on one port (``sor serve``)."""
    from opensor.lookup.app import create_app as create_lookup_app

    register = _django()
    return _dispatcher(register, _Static(), create_lookup_app())  # type: ignore[arg-type]


def create_register_app() -> ASGIApp:
    """The register alone: the maintainers' UI and the write API (``sor serve --only register``)."""
    register = _django()
    return _dispatcher(register, _Static(), None)
