"""The register's Django (WSGI) application served from the ASGI server, one hop per request.

``sor serve`` serves the register and the lookup service on one port from one ASGI server.
Django runs as a WSGI application on a pool of threads: its own ASGI handler hops threads
several times for every request. A general WSGI-to-ASGI adapter still hands the response over
piece by piece (start, every chunk, the end), each a hop between the thread and the event loop.

Here the request body has already been read whole (with its size and time limits) before the
request reaches the register, and the register's answers are small documents, so the bridge
does it in one hop: the thread gets the whole request, runs Django, and hands back the whole
response (status, headers, body), which the event loop then sends. A response is closed in the
thread that made it: Django returns the request's database connection (to the pool) on close,
from the thread that used it.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from opensor.serving import Receive, Scope, Send

__all__ = ["BufferedWsgiBridge"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ (PEP 3333) of an ASGI HTTP request with its whole body."""
    script_name = scope.get("root_path", "").encode("utf8").decode("latin1")
    path_info = scope["path"].encode("utf8").decode("latin1")
    if script_name and path_info.startswith(script_name):
        path_info = path_info[len(script_name) :]
    server_name, server_port = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path_info,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin1"),
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port or 0),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"], port = client[0], client[1]
        environ["REMOTE_PORT"] = str(port)
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin1").upper().replace("-", "_")
        if name not in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            name = "HTTP_" + name
        value = raw_value.decode("latin1")
        if name in environ:  # a repeated header: joined, as RFC 9110 allows
            value = environ[name] + "," + value
        environ[name] = value
    return environ


class BufferedWsgiBridge:
    """An ASGI app running a WSGI app on ``workers`` threads, one hop per request.

    For requests whose body the ASGI side has read whole before (see
    :func:`opensor.serving.read_body_first`) and responses small enough to hold in memory.
    """

    def __init__(self, app: WsgiApp, *, workers: int) -> None:
        self._app = app
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="register")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        loop = asyncio.get_running_loop()
        status, headers, body = await loop.run_in_executor(
            self._executor, self._run, scope, b"".join(chunks)
        )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _run(self, scope: Scope, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        started: list[tuple[int, list[tuple[bytes, bytes]]]] = []
        written: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            # Django writes Set-Cookie values with a leading space (``cookie.output(header="")``)
            encoded = [(n.lower().encode("latin1"), v.strip().encode("latin1")) for n, v in headers]
            started[:] = [(int(status.split(" ", 1)[0]), encoded)]
            return written.append

        response = self._app(_environ(scope, body), start_response)
        try:
            for chunk in response:  # after anything passed to write(), in order
                written.append(chunk)
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()
        if not started:
            raise RuntimeError("the WSGI application returned without calling start_response")
        status, headers = started[0]
        return status, headers, b"".join(written)
