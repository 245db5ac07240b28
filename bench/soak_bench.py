"""Soak: reads through the lookup, writes through the write API, a publication a minute.

    python -m bench.soak_bench [--minutes 10] [--scale 0.05] [--readers 8] [--writers 3]
        [--publish-every 60] [--workers 2] [--database-url URL]

A fresh register (SQLite in a temporary ``SOR_HOME``, or the PostgreSQL database named by
``--database-url``, emptied first) with the demo data is published and served by
``sor serve --workers N``. For ``--minutes``:

* ``--readers`` asyncio clients read random units through the lookup service
  (``GET /api/v1/units/{id}``) as fast as they can;
* ``--writers`` clients rename their own units through the write API (``PATCH`` with
  ``If-Match``), about ten writes a second each;
* ``sor publish`` runs every ``--publish-every`` seconds;
* the server processes' resident memory is sampled every ``--sample-every`` seconds.

Reported (``bench/out/soak_bench.json``): reads and failed reads (any answer but 200, any
broken connection), writes accepted and lost (an accepted write without its audit event, or a
unit not carrying its last accepted name), the resident memory of the server's processes at
the start and the end with the trend of the samples (growth over the second half, after the
warm-up, and its slope in MiB a minute), and the p50/p99 lookup latency normally and during
a publication switch (from 0.5 s before ``sor publish`` ends until 2 s after).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench._harness import write_result
from bench.write_bench import _clients, _percentile, _reset_database, _server, _sor

REPO = Path(__file__).resolve().parents[1]


def _sample_memory(
    marker: str,
    every: float,
    deadline: float,
    t0: float,
    samples: list[tuple[float, dict[int, float]]],
) -> None:
    """Sample the server processes' resident memory every ``every`` seconds until the end."""
    while (now := time.perf_counter()) < deadline:
        samples.append((now - t0, _rss_mib(marker)))
        time.sleep(min(every, max(0.0, deadline - time.perf_counter())))
    samples.append((time.perf_counter() - t0, _rss_mib(marker)))


def _memory_trend(samples: list[tuple[float, dict[int, float]]]) -> dict[str, dict[str, float]]:
    """Per process: MiB at the start, at the middle and at the end, and the growth rate.

    Memory is *flat* when it stops growing once warm: the growth over the second half
    (``second_half_mib``) and its least-squares slope (``mib_per_minute``) are what count,
    the first half holds the warm-up (imports, caches, the first publications opened).
    """
    trend: dict[str, dict[str, float]] = {}
    if not samples:
        return trend
    middle_at = samples[-1][0] / 2
    for pid in samples[0][1]:
        series = [(at, mib[pid]) for at, mib in samples if pid in mib]
        second = [(at, value) for at, value in series if at >= middle_at]
        if len(second) < 2:
            continue
        mean_t = sum(at for at, _ in second) / len(second)
        mean_v = sum(v for _, v in second) / len(second)
        spread = sum((at - mean_t) ** 2 for at, _ in second)
        slope = sum((at - mean_t) * (v - mean_v) for at, v in second) / spread if spread else 0.0
        trend[str(pid)] = {
            "start_mib": round(series[0][1], 1),
            "middle_mib": round(second[0][1], 1),
            "end_mib": round(series[-1][1], 1),
            "peak_mib": round(max(v for _, v in series), 1),
            "second_half_mib": round(second[-1][1] - second[0][1], 1),
            "mib_per_minute": round(slope * 60, 3),
        }
    return trend


def _rss_mib(marker: str) -> dict[int, float]:
    """Resident memory of the processes whose command line contains ``marker``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if marker not in cmdline or "serve" not in cmdline:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    found[int(entry.name)] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            continue
    return found


async def _reader(base: str, ids: list[int], deadline: float, t0: float, out: dict) -> None:
    rng = random.Random(id(out) ^ len(out["latencies"]))
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.perf_counter() < deadline:
            unit = rng.choice(ids)
            started = time.perf_counter()
            try:
                response = await http.get(f"/api/v1/units/{unit}")
                status = response.status_code
            except httpx.HTTPError as error:
                status = repr(error)
            now = time.perf_counter()
            out["latencies"].append((now - t0, (now - started) * 1000))
            if status != 200:
                out["failed"].append((round(now - t0, 2), unit, status))


async def _writer(client: Any, base: str, run: str, deadline: float, out: dict) -> None:
    headers = {"Authorization": f"Bearer {client.token}", "Prefer": "return=minimal"}
    etags: dict[int, str] = {}
    async with httpx.AsyncClient(
        base_url=f"{base}/api/v1/register", headers=headers, timeout=60
    ) as http:
        n = 0
        while time.perf_counter() < deadline and client.units:
            unit = client.units[n % len(client.units)]
            if unit not in etags:
                read = await http.get(f"/units/{unit}")
                if read.status_code != 200:
                    client.units.remove(unit)
                    continue
                etags[unit] = read.headers["ETag"]
            request_id = f"soak-{run}-{client.number}-{n}"
            name = f"Soak {client.number}.{n}"
            try:
                response = await http.patch(
                    f"/units/{unit}",
                    json={"changes": {"name": name}},
                    headers={"If-Match": etags[unit], "X-Request-Id": request_id},
                )
                status = response.status_code
            except httpx.HTTPError as error:
                status = repr(error)
            if status in (200, 201):
                out["accepted"].append((request_id, unit, name))
                etags[unit] = response.headers["ETag"]
            else:
                out["refused"].append((request_id, status))
                etags.pop(unit, None)
            n += 1
            await asyncio.sleep(0.1)


def _publisher(
    env: dict[str, str], every: float, deadline: float, t0: float, out: list[dict]
) -> None:
    while time.perf_counter() + every < deadline:
        time.sleep(every)
        started = time.perf_counter() - t0
        done = subprocess.run(
            [sys.executable, "-m", "opensor.cli", "publish"], env=env, capture_output=True
        )
        out.append(
            {
                "started_at": round(started, 1),
                "ended_at": round(time.perf_counter() - t0, 1),
                "exit_status": done.returncode,
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--publish-every", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--sample-every", type=float, default=15, help="seconds between samples")
    args = parser.parse_args()

    home = f"/tmp/sor-bench-soak-{os.getpid()}"
    Path(home).mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        SOR_HOME=home,
        SOR_PUBLICATIONS=f"{home}/publications",
        DJANGO_SETTINGS_MODULE="opensor.register.settings",
        PYTHONPATH=str(REPO),
    )
    env.pop("SOR_DATABASE_URL", None)
    if args.database_url:
        env["SOR_DATABASE_URL"] = args.database_url
        _reset_database(args.database_url)
    _sor(["init"], env)
    _sor(["demo", "--scale", str(args.scale)], env)
    _sor(["publish"], env)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections
    from django.utils import timezone

    from opensor.register.audit.models import AuditEvent
    from opensor.register.units.models import UnitVersion
    from opensor.register.units.selectors import unit_on

    ids = sorted(
        set(UnitVersion.objects.valid_on(timezone.localdate()).values_list("unit_id", flat=True))
    )
    run = uuid.uuid4().hex[:8]
    writers = _clients(args.writers, 20, run, seed=1)
    connections.close_all()
    reads: dict[str, list] = {"latencies": [], "failed": []}
    writes: dict[str, list] = {"accepted": [], "refused": []}
    publications: list[dict] = []
    seconds = args.minutes * 60
    with _server(env, args.workers) as base:
        time.sleep(1)
        rss_start = _rss_mib(f"{home}/publications")
        t0 = time.perf_counter()
        deadline = t0 + seconds
        publisher = threading.Thread(
            target=_publisher, args=(env, args.publish_every, deadline, t0, publications)
        )
        publisher.start()
        samples: list[tuple[float, dict[int, float]]] = []
        sampler = threading.Thread(
            target=_sample_memory,
            args=(f"{home}/publications", args.sample_every, deadline, t0, samples),
        )
        sampler.start()

        async def load() -> None:
            await asyncio.gather(
                *(_reader(base, ids, deadline, t0, reads) for _ in range(args.readers)),
                *(_writer(c, base, run, deadline, writes) for c in writers),
            )

        asyncio.run(load())
        publisher.join()
        sampler.join()
        rss_end = _rss_mib(f"{home}/publications")
    connections.close_all()
    accepted = {rid for rid, _, _ in writes["accepted"]}
    audited = set(
        AuditEvent.objects.filter(request_id__startswith=f"soak-{run}-").values_list(
            "request_id", flat=True
        )
    )
    last = {unit: name for _, unit, name in writes["accepted"]}
    today = timezone.localdate()
    wrong = [u for u, name in last.items() if (r := unit_on(u, today)) is None or r.name != name]
    windows = [(p["ended_at"] - 0.5, p["ended_at"] + 2.0) for p in publications]
    during = [ms for at, ms in reads["latencies"] if any(a <= at <= b for a, b in windows)]
    normal = [ms for at, ms in reads["latencies"] if not any(a <= at <= b for a, b in windows)]
    result = {
        "minutes": args.minutes,
        "database": "postgresql" if args.database_url else "sqlite",
        "units_in_register": len(ids),
        "readers": args.readers,
        "writers": len(writers),
        "workers": args.workers,
        "publications": publications,
        "reads": len(reads["latencies"]),
        "reads_per_second": round(len(reads["latencies"]) / seconds),
        "failed_reads": len(reads["failed"]),
        "failed_read_examples": reads["failed"][:10],
        "writes_accepted": len(accepted),
        "writes_refused_by_status": dict(Counter(str(s) for _, s in writes["refused"])),
        "accepted_writes_without_audit_event": len(accepted - audited),
        "units_without_their_last_accepted_name": len(wrong),
        "lookup_ms_p50_normal": round(_percentile(normal, 0.5), 2) if normal else None,
        "lookup_ms_p99_normal": round(_percentile(normal, 0.99), 2) if normal else None,
        "lookup_ms_p50_during_switch": round(_percentile(during, 0.5), 2) if during else None,
        "lookup_ms_p99_during_switch": round(_percentile(during, 0.99), 2) if during else None,
        "reads_during_switch": len(during),
        "rss_mib_start": rss_start,
        "rss_mib_end": rss_end,
        "rss_trend": _memory_trend(samples),
        "rss_samples": [[round(at, 1), mib] for at, mib in samples],
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    print(write_result("soak_bench", result))


if __name__ == "__main__":
    main()
