"""PostgreSQL restarted during a stream of writes through the write API.

    python -m bench.pg_restart_bench [--database-url postgresql://postgres@127.0.0.1:5432/sor_restart]
        [--scale 0.05] [--clients 6] [--seconds 20] [--restart-at 8]
        [--restart-command "pg_ctlcluster 15 main restart"]

The database is emptied (dropped and created again), the demo register loaded, one user with a
token made per client (each acting on its own units, as in ``bench/write_bench.py``) and
``sor serve --workers 2`` started. The clients rename their units (``PATCH`` with
``If-Match``, chaining ``ETag``\\ s) for ``--seconds``; after ``--restart-at`` seconds
PostgreSQL is restarted once (``--restart-command``). A client that gets a ``503`` waits
briefly and sends the same write again with the same ``If-Match`` (a write that did commit is
then refused with ``412`` rather than applied twice); after a ``412`` it reads the unit again.

Checked afterwards, in the database:

* every answer was 2xx, 412 (after a retry), or a 503 ``database-unavailable`` problem with
  ``Retry-After`` — no 500, no broken connection;
* every 2xx write has exactly one audit event with its request id; no 503 write has one (a
  write reported as failed that committed nevertheless would show here);
* every unit carries the name of its last accepted write (nothing half-applied or lost);
* writes succeeded again after the restart, without restarting ``sor serve``.

Figures go to ``bench/out/pg_restart_bench.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench._harness import write_result
from bench.write_bench import _clients, _reset_database, _server, _sor

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Stream:
    """What one client saw."""

    number: int
    token: str
    units: list[int]
    accepted: list[tuple[str, int, str, float]] = field(default_factory=list)
    unavailable: list[tuple[str, float, bool]] = field(default_factory=list)
    other: list[tuple[str, int, str]] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    stale: int = 0


async def _get_etag(http: httpx.AsyncClient, stream: Stream, unit: int) -> str | None:
    for _ in range(30):
        try:
            read = await http.get(f"/units/{unit}")
        except httpx.HTTPError as error:
            stream.transport_errors.append(f"GET {unit}: {error!r}")
            await asyncio.sleep(0.2)
            continue
        if read.status_code == 200:
            return read.headers["ETag"]
        if read.status_code == 503:
            await asyncio.sleep(0.2)
            continue
        stream.other.append((f"GET {unit}", read.status_code, read.text[:200]))
        return None
    return None


async def _work(stream: Stream, base: str, run: str, deadline: float, t0: float) -> None:
    headers = {"Authorization": f"Bearer {stream.token}", "Prefer": "return=minimal"}
    etags: dict[int, str] = {}
    async with httpx.AsyncClient(
        base_url=f"{base}/api/v1/register", headers=headers, timeout=60
    ) as http:
        n = 0
        while time.perf_counter() < deadline and stream.units:
            unit = stream.units[n % len(stream.units)]
            if unit not in etags:
                etag = await _get_etag(http, stream, unit)
                if etag is None:
                    stream.units.remove(unit)
                    continue
                etags[unit] = etag
            name = f"Restart {stream.number}.{n}"
            attempt = 0
            while True:  # the same write, retried after a 503
                request_id = f"pgr-{run}-{stream.number}-{n}-{attempt}"
                try:
                    response = await http.patch(
                        f"/units/{unit}",
                        json={"changes": {"name": name}},
                        headers={"If-Match": etags[unit], "X-Request-Id": request_id},
                    )
                except httpx.HTTPError as error:
                    stream.transport_errors.append(f"PATCH {unit} {request_id}: {error!r}")
                    break
                at = time.perf_counter() - t0
                if 200 <= response.status_code < 300:
                    stream.accepted.append((request_id, unit, name, at))
                    etags[unit] = response.headers["ETag"]
                    break
                if response.status_code == 503:
                    clear = (
                        response.headers.get("Retry-After") is not None
                        and response.headers.get("Content-Type") == "application/problem+json"
                        and response.json().get("type", "").endswith("/database-unavailable")
                    )
                    stream.unavailable.append((request_id, at, clear))
                    attempt += 1
                    await asyncio.sleep(0.25)
                    continue
                if response.status_code == 412:
                    stream.stale += 1
                    etags.pop(unit, None)
                    break
                stream.other.append((request_id, response.status_code, response.text[:300]))
                stream.units.remove(unit)
                break
            n += 1


def _restart(command: str, delay: float, timings: dict[str, float], t0: float) -> None:
    time.sleep(delay)
    timings["restart_started_at"] = round(time.perf_counter() - t0, 2)
    done = subprocess.run(shlex.split(command), capture_output=True, text=True)
    timings["restart_finished_at"] = round(time.perf_counter() - t0, 2)
    timings["restart_exit_status"] = done.returncode
    if done.returncode != 0:
        print(f"{command} failed: {done.stderr}")


def _verify(streams: list[Stream], run: str) -> dict[str, Any]:
    from django.utils import timezone

    from opensor.register.audit.models import AuditEvent
    from opensor.register.units.selectors import unit_on

    accepted = [rid for s in streams for rid, _, _, _ in s.accepted]
    unavailable = {rid for s in streams for rid, _, _ in s.unavailable}
    events = Counter(
        AuditEvent.objects.filter(request_id__startswith=f"pgr-{run}-").values_list(
            "request_id", flat=True
        )
    )
    last: dict[int, str] = {}
    for s in streams:
        for _, unit, name, _ in s.accepted:
            last[unit] = name
    today = timezone.localdate()
    wrong = [u for u, name in last.items() if (r := unit_on(u, today)) is None or r.name != name]
    return {
        "accepted_writes": len(accepted),
        "accepted_without_audit_event": sum(1 for rid in accepted if events[rid] == 0),
        "accepted_with_several_audit_events": sum(1 for rid in accepted if events[rid] > 1),
        "answered_503_but_committed": len(unavailable & set(events)),
        "units_changed": len(last),
        "units_without_their_last_accepted_name": len(wrong),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/sor_restart"
    )
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--units-per-client", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--restart-at", type=float, default=8)
    parser.add_argument("--restart-command", default="pg_ctlcluster 15 main restart")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    home = f"/tmp/sor-bench-pg-restart-{os.getpid()}"
    Path(home).mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        SOR_HOME=home,
        SOR_DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="opensor.register.settings",
        PYTHONPATH=str(REPO),
    )
    _reset_database(args.database_url)
    _sor(["init"], env)
    _sor(["demo", "--scale", str(args.scale)], env)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections

    run = uuid.uuid4().hex[:8]
    streams = [
        Stream(c.number, c.token, c.units)
        for c in _clients(args.clients, args.units_per_client, run, seed=1)
    ]
    connections.close_all()
    timings: dict[str, float] = {}
    with _server(env, args.workers) as base:
        t0 = time.perf_counter()
        restarter = threading.Thread(
            target=_restart, args=(args.restart_command, args.restart_at, timings, t0)
        )
        restarter.start()
        deadline = t0 + args.seconds

        async def all_clients() -> None:
            await asyncio.gather(*(_work(s, base, run, deadline, t0) for s in streams))

        asyncio.run(all_clients())
        restarter.join()
    connections.close_all()
    verified = _verify(streams, run)
    after = timings.get("restart_finished_at", args.seconds)
    unavailable = [(at, clear) for s in streams for _, at, clear in s.unavailable]
    accepted_times = sorted(at for s in streams for *_, at in s.accepted)
    first_after = next((at for at in accepted_times if at > timings["restart_started_at"]), None)
    result = {
        "clients": len(streams),
        "workers": args.workers,
        "seconds": args.seconds,
        **timings,
        "answers_503": len(unavailable),
        "answers_503_without_retry_after_or_problem": sum(1 for _, c in unavailable if not c),
        "first_503_at": round(min((at for at, _ in unavailable), default=0), 2),
        "last_503_at": round(max((at for at, _ in unavailable), default=0), 2),
        "first_accepted_write_after_restart_began_at": first_after and round(first_after, 2),
        "accepted_writes_after_restart": sum(1 for at in accepted_times if at > after),
        "stale_412_after_retry": sum(s.stale for s in streams),
        "other_answers": [o for s in streams for o in s.other][:20],
        "transport_errors": [e for s in streams for e in s.transport_errors][:20],
        **verified,
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    print(write_result("pg_restart_bench", result))
    if result["other_answers"] or result["transport_errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
