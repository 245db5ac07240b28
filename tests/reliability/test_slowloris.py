"""Slowloris-style clients against a real ``sor serve``: cut off in time, nobody else waits.

``sor serve`` runs with short limits (``--header-timeout 2 --body-timeout 3``) over a fresh,
published demo register (SQLite, or a new PostgreSQL database when ``SOR_TEST_DATABASE_URL``
names one). Raw sockets then play the slow clients:

* 200 connections send a request's headers one byte every 0.2 s, and 20 more send nothing at
  all; meanwhile ordinary requests to the lookup service and the write API are answered at
  once, and every slow connection is closed by the server once the header timeout has passed,
  without an answer;
* a connection left idle after its answer (keep-alive) is closed after the same time;
* 20 clients trickle request bodies to the write API (more than the register's 8 worker
  threads) and the FHIR batch endpoint; an ordinary write meanwhile succeeds at once, and each
  slow body is answered ``408`` once the body timeout has passed, its request never run;
* with more slow connections than ``--max-connections``, a new client waits in the listen
  queue, at most until the header timeout has freed places.

See ``docs/reliability.md`` (Slow clients).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.reliability.faults import fresh_register, sor
from tests.servers import running_sor_serve

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 3.0
LIMITS = ["--header-timeout", str(HEADER_TIMEOUT), "--body-timeout", str(BODY_TIMEOUT)]
DRIP = 0.2
"""Seconds between two bytes of a slow client."""
SLACK = 1.5
"""How late after its timeout a slow connection may be closed (a loaded 2-core machine)."""
PROMPT = 1.0
"""How long an ordinary request may take while the slow clients hang."""
HEADERS = b"GET /api/v1/units?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 500


@dataclass(frozen=True)
class Served:
    """The running server, a token with the ``authority`` role and two units' SOR-IDs."""

    base: str
    token: str
    sor_ids: tuple[str, str]
    env: dict[str, str]

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(urlsplit(self.base).port or 0)


@dataclass(frozen=True)
class Ending:
    """How a slow connection ended: seconds after its opening, and what the server sent."""

    seconds: float
    answer: bytes


@pytest.fixture(scope="module")
def register_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A fresh, published demo register (scale 0.01) with an authority user ``slow``."""
    home = tmp_path_factory.mktemp("slowloris") / "home"
    with fresh_register(home, os.environ.get("SOR_TEST_DATABASE_URL")) as env:
        sor(env, "demo", "--scale", "0.01")
        sor(env, "publish")
        sor(env, "user", "add", "slow", "--role", "authority")
        yield env


@pytest.fixture(scope="module")
def served(register_env: dict[str, str]) -> Iterator[Served]:
    """``sor serve`` (one worker) with a 2 s header timeout and a 3 s body timeout."""
    token = sor(register_env, "token", "create", "slow", "--label", "slow").stdout.split()[-1]
    publications = Path(register_env["SOR_PUBLICATIONS"])
    with running_sor_serve(publications, env=register_env, args=LIMITS) as base:
        units = httpx.get(f"{base}/api/v1/units", params={"limit": 2}, timeout=10).json()
        sor_ids = tuple(item["sor_id"] for item in units["items"])
        yield Served(base, token, (sor_ids[0], sor_ids[1]), register_env)


async def _slow_client(port: int, head: bytes, drip: bytes, *, give_up: float) -> Ending:
    """Send ``head``, then ``drip`` one byte every :data:`DRIP` seconds (nothing if empty).

    Returns when the server closes the connection; after ``give_up`` seconds the ending's
    ``seconds`` is infinite (the server never closed it).
    """
    loop = asyncio.get_running_loop()
    # Timed from before the connection is opened: the server's timer starts when it accepts,
    # and with hundreds of connections opening at once this coroutine may resume a good
    # while after that (a clock started then made the server look early by ~0.1 s).
    opened, answer = loop.time(), b""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        for byte in itertools.cycle(drip) if drip else itertools.repeat(None):
            try:
                chunk = await asyncio.wait_for(reader.read(65536), DRIP)
            except TimeoutError:
                chunk = None
            if chunk == b"":
                return Ending(loop.time() - opened, answer)
            answer += chunk or b""
            if loop.time() - opened > give_up:
                return Ending(float("inf"), answer)
            if byte is not None:
                writer.write(bytes([byte]))
                await writer.drain()
    except (ConnectionResetError, BrokenPipeError):
        with contextlib.suppress(OSError):
            answer += await asyncio.wait_for(reader.read(65536), DRIP)
        return Ending(loop.time() - opened, answer)
    finally:
        writer.close()


async def _timed(
    client: httpx.AsyncClient, method: str, url: str, **options: Any
) -> tuple[float, httpx.Response]:
    """Send one ordinary request; return how long its answer (which must be 200) took."""
    started = time.monotonic()
    response = await client.request(method, url, **options)
    assert response.status_code == 200, response.text
    return time.monotonic() - started, response


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _problem(answer: bytes) -> dict[str, object]:
    return dict(json.loads(answer.partition(b"\r\n\r\n")[2]))


def test_slow_and_silent_headers_are_cut_off_while_others_are_answered(served: Served) -> None:
    """220 connections hang in their headers; others are served; all 220 closed after 2 s."""

    async def scenario() -> tuple[list[Ending], list[float], float]:
        give_up = HEADER_TIMEOUT * 4
        slow = [
            asyncio.create_task(
                _slow_client(served.port, HEADERS[:1], HEADERS[1:], give_up=give_up)
            )
            for _ in range(200)
        ]
        slow += [
            asyncio.create_task(_slow_client(served.port, b"", b"", give_up=give_up))
            for _ in range(20)
        ]
        await asyncio.sleep(0.5)  # every slow connection is open and hanging
        auth = {"Authorization": f"Bearer {served.token}"}
        latencies = []
        async with httpx.AsyncClient(base_url=served.base, timeout=30) as client:
            for number in range(20):
                seconds, _ = await _timed(client, "GET", f"/api/v1/units?limit={number + 1}")
                latencies.append(seconds)
            unit = f"/api/v1/register/units/{served.sor_ids[0]}"
            seconds, _ = await _timed(client, "GET", unit, headers=auth)
            latencies.append(seconds)
        answered_at = time.monotonic()
        endings = await asyncio.gather(*slow)
        return endings, latencies, answered_at

    started = time.monotonic()
    endings, latencies, answered_at = asyncio.run(scenario())

    assert max(latencies) < PROMPT, latencies
    assert answered_at - started < HEADER_TIMEOUT, "the ordinary requests came too late to count"
    seconds = sorted(ending.seconds for ending in endings)
    assert seconds[0] >= HEADER_TIMEOUT - 0.1 and seconds[-1] <= HEADER_TIMEOUT + SLACK, seconds
    assert all(ending.answer == b"" for ending in endings)


def test_an_idle_keep_alive_connection_is_closed_after_the_header_timeout(
    served: Served,
) -> None:
    """After its answer, a connection that sends nothing more is closed after 2 s."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    ending = asyncio.run(_slow_client(served.port, request, b"", give_up=HEADER_TIMEOUT * 4))

    assert ending.answer.startswith(b"HTTP/1.1 200"), ending.answer[:200]
    assert HEADER_TIMEOUT - 0.1 <= ending.seconds <= HEADER_TIMEOUT + SLACK, ending.seconds


def test_slow_bodies_are_answered_408_and_hold_no_worker(served: Served) -> None:
    """20 bodies trickle in; a read and a write are served meanwhile; each slow one gets 408."""
    auth = {"Authorization": f"Bearer {served.token}"}
    slow_unit, other_unit = served.sor_ids
    register = f"{served.base}/api/v1/register/units"
    etag_before = httpx.get(f"{register}/{slow_unit}", headers=auth, timeout=10).headers["ETag"]
    patch = (
        f"PATCH /api/v1/register/units/{slow_unit} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {served.token}\r\nContent-Type: application/json\r\n"
        f"If-Match: {etag_before}\r\nContent-Length: 100000\r\n\r\n"
        '{"changes": {"name": "'
    ).encode()
    batch = (
        b"POST /fhir/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\n"
        b'Content-Length: 100000\r\n\r\n{"resourceType": "Bundle", "type": "batch", "entry": ['
    )

    async def scenario() -> tuple[list[Ending], list[Ending], float]:
        give_up = BODY_TIMEOUT * 3
        writes = [
            asyncio.create_task(_slow_client(served.port, patch, b"x", give_up=give_up))
            for _ in range(16)
        ]
        batches = [
            asyncio.create_task(_slow_client(served.port, batch, b" ", give_up=give_up))
            for _ in range(4)
        ]
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient(base_url=register, headers=auth, timeout=30) as client:
            read, unit = await _timed(client, "GET", f"/{other_unit}")
            write, _ = await _timed(
                client,
                "PATCH",
                f"/{other_unit}",
                json={"changes": {"name": "Skrevet mens andre sendte langsomt"}},
                headers={"If-Match": unit.headers["ETag"]},
            )
        return await asyncio.gather(*writes), await asyncio.gather(*batches), read + write

    writes, batches, ordinary = asyncio.run(scenario())

    assert ordinary < PROMPT, f"an ordinary read and write took {ordinary:.2f} s"
    for ending in writes + batches:
        assert BODY_TIMEOUT - 0.1 <= ending.seconds <= BODY_TIMEOUT + SLACK, ending
        assert _status(ending.answer) == 408, ending.answer[:300]
        problem = _problem(ending.answer)
        assert problem["type"] == "https://opensor.dk/problems/request-timeout"
        assert f"within {BODY_TIMEOUT:g} seconds" in str(problem["detail"])
        assert "of 100000 bytes" in str(problem["detail"])
    after = httpx.get(f"{register}/{slow_unit}", headers=auth, timeout=10)
    assert after.headers["ETag"] == etag_before, "a request whose body never came was run"


def test_a_declared_oversized_body_is_refused_at_once_unread(served: Served) -> None:
    """Content-Length over the register's limit: 413 straight away, however slow the body."""
    head = (
        f"PATCH /api/v1/register/units/{served.sor_ids[0]} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {served.token}\r\nContent-Type: application/json\r\n"
        "Content-Length: 10000000\r\n\r\n{"
    ).encode()
    ending = asyncio.run(_slow_client(served.port, head, b" ", give_up=BODY_TIMEOUT * 3))

    assert _status(ending.answer) == 413, ending.answer[:300]
    assert str(_problem(ending.answer)["type"]).endswith("/payload-too-large")
    assert ending.seconds < PROMPT


def test_beyond_max_connections_a_new_client_waits_one_header_timeout_at_most(
    register_env: dict[str, str],
) -> None:
    """30 silent connections against a cap of 20: the next client is served after ≈ 2 s."""
    publications = Path(register_env["SOR_PUBLICATIONS"])
    args = [*LIMITS, "--max-connections", "20"]
    with running_sor_serve(publications, env=register_env, args=args) as base:
        port = int(urlsplit(base).port or 0)

        async def scenario() -> tuple[float, list[Ending]]:
            give_up = HEADER_TIMEOUT * 5
            silent = [
                asyncio.create_task(_slow_client(port, b"", b"", give_up=give_up))
                for _ in range(30)
            ]
            await asyncio.sleep(0.3)
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                waited, _ = await _timed(client, "GET", "/api/v1/units?limit=1")
            return waited, await asyncio.gather(*silent)

        waited, endings = asyncio.run(scenario())

    # queued behind the 20 held connections until the header timeout closed them
    assert HEADER_TIMEOUT - 0.5 <= waited <= HEADER_TIMEOUT + SLACK, waited
    assert all(ending.seconds <= 2 * HEADER_TIMEOUT + SLACK for ending in endings)
