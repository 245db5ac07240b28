"""Maintenance writes through the write API: concurrent clients, each in its own scope.

    createdb -h 127.0.0.1 -U postgres sor_bench
    python -m bench.write_bench --database-url postgresql://postgres@127.0.0.1:5432/sor_bench \\
        --load --clients 20 --seconds 30 --workers 2 --publish
    python -m bench.write_bench --clients 20 --seconds 30 --workers 2 --minimal --rate 200

With ``--load`` the database is emptied (dropped and created again) and the 50,000-unit demo
register loaded (``sor init``, ``sor demo --scale 1``). Then: units are sampled and sorted by
who maintains them (their steward: a region, a municipality or the authority); one user with
an API token is made per steward; ``sor serve --workers N`` is started; ``--clients`` asyncio
clients, each a user acting on its own disjoint set of units, rename units for ``--seconds``
seconds: a GET for each unit's first ``ETag`` (before the clock starts), then ``PATCH`` with
``If-Match``, chaining the ``ETag`` of each answer — back to back (the capacity), or with
``--rate R`` paced so that together they offer R writes a second (each write's latency then
counts from when it was due, so a server falling behind shows in the latency). Reported:
accepted writes per second, p50/p95/p99 latency of the writes, the answers that were not 200.

Zero lost updates is checked afterwards, in the database: every accepted write (2xx) has an
audit event with its request id, no refused write has one, and every unit carries the name of
its last accepted write. With ``--publish``, ``sor publish`` then runs and the lookup service
(served by the same process) must show each changed unit's last accepted name.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from bench._harness import write_result
from bench._http import SimpleClient

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Client:
    """One benchmark client: a user's token and the units it rewrites."""

    number: int
    role: str
    token: str
    units: list[int]
    latencies_ms: list[float] = field(default_factory=list)
    accepted: list[tuple[str, int, str]] = field(default_factory=list)
    refused: list[tuple[str, int]] = field(default_factory=list)


def _reset_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _sor(args: list[str], env: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "opensor.cli", *args], env=env, capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise SystemExit(f"sor {' '.join(args)} failed:\n{completed.stderr}")
    return completed.stdout


def _pools(sample_size: int, seed: int) -> dict[str, list[int]]:
    """Units open today, sampled, by steward (``region:1084`` …)."""
    from django.utils import timezone

    from opensor.domain.responsibility import unit_steward
    from opensor.register.maintenance.placement import placement_of
    from opensor.register.units.models import UnitVersion
    from opensor.register.units.selectors import unit_on

    today = timezone.localdate()
    ids = sorted(
        set(
            UnitVersion.objects.valid_on(today)
            .filter(level__in=["SI", "OE"])
            .values_list("unit_id", flat=True)
        )
    )
    pools: dict[str, list[int]] = defaultdict(list)
    for sor_id in random.Random(seed).sample(ids, min(sample_size, len(ids))):
        record = unit_on(sor_id, today)
        if record is not None:
            pools[str(unit_steward(placement_of(record, today)))].append(sor_id)
    return pools


def _clients(count: int, per_client: int, run: str, seed: int) -> list[Client]:
    """Give each client a steward's role, a fresh user and token, and its own units."""
    from opensor.register.accounts.services import token_create, user_add

    pools = _pools(sample_size=max(6000, count * per_client * 4), seed=seed)
    stewards = sorted(pools, key=lambda s: -len(pools[s]))
    clients = []
    taken: dict[str, int] = Counter()
    for number in range(count):
        # the authority first, then regions and municipalities by size, round robin
        steward = stewards[number % len(stewards)]
        start = taken[steward]
        units = pools[steward][start : start + per_client]
        taken[steward] += len(units)
        if not units:
            continue
        name = f"bench-{run}-{number}"
        user_add(name, [steward])
        clients.append(Client(number, steward, token_create(name, name)[1], units))
    return clients


async def _prefetch(client: Client, base: str) -> dict[int, str]:
    """Each of the client's units' first ``ETag`` (units that cannot be read are dropped)."""
    etags: dict[int, str] = {}
    headers = {"Authorization": f"Bearer {client.token}"}
    async with SimpleClient(f"{base}/api/v1/register", headers=headers) as http:
        for unit in list(client.units):
            read = await http.get(f"/units/{unit}")
            if read.status_code != 200:
                print(f"GET {unit}: {read.status_code} {read.text[:300]}")
                client.units.remove(unit)
                continue
            etags[unit] = read.headers["etag"]
    return etags


async def _work(
    client: Client,
    etags: dict[int, str],
    base: str,
    run: str,
    deadline: float,
    minimal: bool,
    interval: float | None = None,
) -> None:
    """One client's loop: back to back, or (``interval``) one write every ``interval`` s.

    Paced, a write's latency counts from the moment it was due, not from when it was sent:
    a write that waits for a late previous one counts the wait (no coordinated omission).
    """
    headers = {"Authorization": f"Bearer {client.token}"}
    if minimal:
        headers["Prefer"] = "return=minimal"
    async with SimpleClient(f"{base}/api/v1/register", headers=headers) as http:
        n = 0
        # paced clients start spread over one interval, not all at once
        due = time.perf_counter() + (interval * (client.number % 20) / 20 if interval else 0)
        while client.units and time.perf_counter() < deadline:
            unit = client.units[n % len(client.units)]
            request_id = f"bench-{run}-{client.number}-{n}"
            name = f"Benchmark {client.number}.{n}"
            if interval is not None:
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                started = due
                due += interval
                if started >= deadline:
                    break
            else:
                started = time.perf_counter()
            response = await http.patch(
                f"/units/{unit}",
                json={"changes": {"name": name}},
                headers={"If-Match": etags[unit], "X-Request-Id": request_id},
            )
            client.latencies_ms.append((time.perf_counter() - started) * 1000)
            if 200 <= response.status_code < 300:
                client.accepted.append((request_id, unit, name))
                etags[unit] = response.headers["etag"]
            else:
                client.refused.append((request_id, response.status_code))
                if response.status_code == 412:
                    etags[unit] = response.headers["etag"]
                else:
                    client.units.remove(unit)  # e.g. a demo unit whose data does not validate
            n += 1


async def _run_clients(
    clients: list[Client],
    base: str,
    run: str,
    seconds: float,
    minimal: bool,
    rate: float | None = None,
) -> float:
    """Read every unit's first ``ETag``, then run the clients for ``seconds``; the time taken."""
    etags = await asyncio.gather(*(_prefetch(c, base) for c in clients))
    started = time.perf_counter()
    deadline = started + seconds
    interval = len(clients) / rate if rate else None
    await asyncio.gather(
        *(
            _work(c, tags, base, run, deadline, minimal, interval)
            for c, tags in zip(clients, etags, strict=True)
        )
    )
    return time.perf_counter() - started


def _verify(clients: list[Client], run: str) -> dict[str, Any]:
    """Zero lost updates: audit events match the accepted writes; last names stand."""
    from opensor.register.audit.models import AuditEvent
    from opensor.register.units.selectors import unit_on

    accepted = {rid for c in clients for rid, _, _ in c.accepted}
    refused = {rid for c in clients for rid, _ in c.refused}
    audited = set(
        AuditEvent.objects.filter(request_id__startswith=f"bench-{run}-").values_list(
            "request_id", flat=True
        )
    )
    last: dict[int, str] = {}
    for c in clients:
        for _, unit, name in c.accepted:
            last[unit] = name
    from django.utils import timezone

    today = timezone.localdate()
    wrong_names = [
        unit for unit, name in last.items() if (r := unit_on(unit, today)) is None or r.name != name
    ]
    return {
        "accepted_writes": len(accepted),
        "audit_events_of_accepted_writes": len(accepted & audited),
        "accepted_without_audit_event": len(accepted - audited),
        "refused_with_audit_event": len(refused & audited),
        "units_changed": len(last),
        "units_without_their_last_accepted_name": len(wrong_names),
        "last_names": last,
    }


def _page_timings(base: str, clients: list[Client], run: str) -> dict[str, Any]:
    """Time the maintainers' unit page (``/manage/units/{id}/``) for one logged-in user."""
    import re

    from opensor.register.accounts.services import user_add

    client = next(c for c in clients if c.role.startswith("region:"))
    name, password = f"bench-page-{run}", uuid.uuid4().hex
    user_add(name, [client.role], password=password)
    timings = []
    with httpx.Client(base_url=base, timeout=60) as http:
        form = http.get("/manage/login/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        assert token is not None, "no CSRF token in the login form"
        login = http.post(
            "/manage/login/",
            data={"username": name, "password": password, "csrfmiddlewaretoken": token[1]},
        )
        assert login.status_code in (200, 302) and "sessionid" in http.cookies, login.text[:300]
        units = [u for c in clients if c.role == client.role for u in c.units]
        for unit in units[:5]:  # warm up
            http.get(f"/manage/units/{unit}/")
        for unit in units[:200]:
            started = time.perf_counter()
            page = http.get(f"/manage/units/{unit}/")
            timings.append((time.perf_counter() - started) * 1000)
            assert page.status_code == 200, f"/manage/units/{unit}/: {page.status_code}"
    return {
        "unit_pages_timed": len(timings),
        "unit_page_ms_p50": round(statistics.median(timings), 1),
        "unit_page_ms_p95": round(_percentile(timings, 0.95), 1),
    }


def _verify_publication(base: str, env: dict[str, str], last: dict[int, str]) -> dict[str, Any]:
    started = time.perf_counter()
    _sor(["publish"], env)
    published = time.perf_counter() - started
    time.sleep(2)  # the lookup service switches within a second
    missing = []
    with httpx.Client(base_url=base, timeout=30) as http:
        for unit, name in last.items():
            response = http.get(f"/api/v1/units/{unit}")
            if response.status_code != 200 or response.json().get("name") != name:
                missing.append(unit)
    return {
        "publish_seconds": round(published, 1),
        "changed_units_checked_in_lookup": len(last),
        "changed_units_not_shown_by_lookup": len(missing),
    }


@contextmanager
def _server(env: dict[str, str], workers: int, base: str | None = None):
    if base:
        yield base
        return
    sys.path.insert(0, str(REPO))
    from tests.servers import running_sor_serve

    publications = Path(env["SOR_HOME"]) / "publications"
    with running_sor_serve(
        publications, workers=workers, env=env, ready_path="/api/v1/register/openapi.json"
    ) as base:
        yield base


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/sor_bench")
    parser.add_argument("--home", default=None, help="SOR_HOME (default: a temporary one).")
    parser.add_argument("--load", action="store_true", help="Empty the database, load the demo.")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--units-per-client", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--minimal", action="store_true", help="Send Prefer: return=minimal.")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="Offered writes a second in all (each client paced at RATE/CLIENTS); "
        "default: every client writes back to back (the capacity)",
    )
    parser.add_argument("--publish", action="store_true", help="Publish and check the lookup.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", action="store_true", help="Time /manage/units/{id}/ too.")
    parser.add_argument("--base", help="Use this running server instead of starting one.")
    args = parser.parse_args()

    home = args.home or f"/tmp/sor-bench-write-{os.getpid()}"
    Path(home).mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        SOR_HOME=home,
        SOR_DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="opensor.register.settings",
        PYTHONPATH=str(REPO),
        SOR_INSECURE_COOKIES="1",  # the benchmark logs in over plain HTTP on the loopback
    )
    if args.load:
        _reset_database(args.database_url)
        _sor(["init"], env)
        started = time.perf_counter()
        _sor(["demo", "--scale", str(args.scale)], env)
        print(f"demo register loaded in {time.perf_counter() - started:.1f} s")
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections

    from opensor.register.units.models import Unit

    run = uuid.uuid4().hex[:8]
    units_total = Unit.objects.count()
    clients = _clients(args.clients, args.units_per_client, run, args.seed)
    connections.close_all()
    roles = Counter(c.role.split(":")[0] for c in clients)
    print(f"{units_total} units; {len(clients)} clients: {dict(roles)}")
    with _server(env, args.workers, args.base) as base:
        elapsed = asyncio.run(
            _run_clients(clients, base, run, args.seconds, args.minimal, args.rate)
        )
        latencies = [ms for c in clients for ms in c.latencies_ms]
        statuses = Counter(status for c in clients for _, status in c.refused)
        verified = _verify(clients, run)
        last = verified.pop("last_names")
        pages = _page_timings(base, clients, run) if args.pages else {}
        published = _verify_publication(base, env, last) if args.publish else {}
    result = {
        "units_in_register": units_total,
        "clients": len(clients),
        "roles": dict(roles),
        "workers": args.workers,
        "minimal": args.minimal,
        "offered_rate": args.rate or "back to back",
        "seconds": round(elapsed, 1),
        "writes_per_second": round(verified["accepted_writes"] / elapsed, 1),
        "latency_ms_p50": round(statistics.median(latencies), 1),
        "latency_ms_p95": round(_percentile(latencies, 0.95), 1),
        "latency_ms_p99": round(_percentile(latencies, 0.99), 1),
        "not_accepted_by_status": {str(k): v for k, v in statuses.items()},
        **verified,
        **pages,
        **published,
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    path = write_result("write_bench", result)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
