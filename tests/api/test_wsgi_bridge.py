"""The one-hop WSGI bridge: the environ it builds and the response it hands back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from opensor.wsgi_bridge import BufferedWsgiBridge

SCOPE: dict[str, Any] = {
    "type": "http",
    "http_version": "1.1",
    "method": "PATCH",
    "scheme": "http",
    "path": "/api/v1/register/units/æøå",
    "root_path": "",
    "query_string": b"as_of=2026-01-01&x=%C3%B8",
    "headers": [
        (b"host", b"127.0.0.1:8000"),
        (b"content-type", b"application/json"),
        (b"content-length", b"11"),
        (b"x-request-id", b"r-1"),
        (b"accept", b"text/html"),
        (b"accept", b"application/json"),
    ],
    "client": ("10.0.0.7", 51234),
    "server": ("127.0.0.1", 8000),
}


def _serve(
    app: Callable[..., Iterable[bytes]], messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Run one request through the bridge; return what it sent."""
    bridge = BufferedWsgiBridge(app, workers=2)
    sent: list[dict[str, Any]] = []
    incoming = list(messages)

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(bridge(SCOPE, receive, send))
    return sent


def test_the_environ_carries_the_request_as_pep_3333_says():
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.update(environ)
        seen["body"] = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    _serve(
        app,
        [
            {"type": "http.request", "body": b'{"a":', "more_body": True},
            {"type": "http.request", "body": b' "b"}', "more_body": False},
        ],
    )
    assert seen["REQUEST_METHOD"] == "PATCH"
    assert seen["PATH_INFO"] == "/api/v1/register/units/æøå".encode().decode("latin1")
    assert seen["QUERY_STRING"] == "as_of=2026-01-01&x=%C3%B8"
    assert seen["CONTENT_TYPE"] == "application/json"
    assert seen["CONTENT_LENGTH"] == "11"
    assert seen["HTTP_X_REQUEST_ID"] == "r-1"
    assert seen["HTTP_ACCEPT"] == "text/html,application/json"
    assert "HTTP_CONTENT_TYPE" not in seen
    assert (seen["REMOTE_ADDR"], seen["REMOTE_PORT"]) == ("10.0.0.7", "51234")
    assert (seen["SERVER_NAME"], seen["SERVER_PORT"]) == ("127.0.0.1", "8000")
    assert seen["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert seen["wsgi.url_scheme"] == "http"
    assert seen["body"] == b'{"a": "b"}'


def test_the_response_comes_back_whole_in_order_and_closed():
    closed: list[bool] = []

    class Body:
        def __iter__(self):
            yield b"two "
            write(b"three ")  # written while iterating: after what came before
            yield b"four"

        def close(self) -> None:
            closed.append(True)

    write: Callable[[bytes], None]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Body:
        nonlocal write
        # Django writes Set-Cookie values with a leading space
        write = start_response(
            "201 Created", [("Content-Type", "text/plain"), ("Set-Cookie", " a=1; Path=/")]
        )
        write(b"one ")
        return Body()

    sent = _serve(app, [{"type": "http.request", "body": b"", "more_body": False}])
    assert sent[0] == {
        "type": "http.response.start",
        "status": 201,
        "headers": [(b"content-type", b"text/plain"), (b"set-cookie", b"a=1; Path=/")],
    }
    assert sent[1] == {"type": "http.response.body", "body": b"one two three four"}
    assert closed == [True]


def test_a_client_gone_before_its_body_arrived_gets_nothing_and_runs_nothing():
    ran: list[bool] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        ran.append(True)
        start_response("200 OK", [])
        return [b""]

    assert _serve(app, [{"type": "http.disconnect"}]) == []
    assert ran == []


def test_an_app_that_never_starts_the_response_is_an_error():
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        return [b"no status"]

    with pytest.raises(RuntimeError, match="without calling start_response"):
        _serve(app, [{"type": "http.request", "body": b"", "more_body": False}])
