"""The protected channel under load: what token verification costs, and the access log.

    python -m bench.access_bench --scale 1 --runs 3
    python -m bench.access_bench --home /tmp/sor-bench-lookup-xxxx --runs 3   # reuse a register

Builds the demo register at SCALE in a fresh SQLite home (or reuses --home, publishing it only
if it has no publication yet), makes a signing key, files an access request for the scopes
``lookup:personal-data`` and ``lookup:quota-high`` and approves it (``sor access …``), starts
``sor serve --workers 2`` with the protected channel on, and asks the token endpoint for a
token. Then, with wrk (64 connections, a random path per request, as ``bench.lookup_bench``):

1. **Token verification** — ``GET /api/v1/units/{sorId}`` over random units that are *not*
   personal data, alternately without a token (the public channel) and with
   ``Authorization: Bearer <token>``, RUNS times each; the median requests/s of each and the
   overhead ``1 - token / public``. Both callers pass the same rate limiter (the loopback
   exemption is switched off and the limits set far above the load), so the difference is
   the token's verification: the header, the verified-token cache, expiry and revocation.
2. **Access logging** — ``GET /api/v1/units/{sorId}`` with the token over units that *are*
   personal data (each answered read appends an access-log row before it is answered) for
   --log-seconds seconds with --log-connections connections. Then the log is read: it must
   hold at least one row per answered read (wrk's 2xx count), at most --log-connections more
   (reads answered after wrk stopped counting), and its digest chain must verify.

Prints the figures and saves them as JSON under bench/out/. Needs `wrk`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from bench._harness import fresh_home, median, remove_home, run_sor, write_result
from bench.lookup_bench import (
    WRK_SCRIPT,
    add_load_arguments,
    descendants,
    find_tool,
    free_port,
    rss_mib,
    run_wrk,
    stop,
    wait_http,
)

__all__ = ["main"]

_UNLIMITED = "1000000000"


def _sor(args: list[str], env: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "opensor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"sor {' '.join(args)} failed:\n{completed.stderr}")
    return completed.stdout


def _client(env: dict[str, str]) -> tuple[str, str]:
    """A signing key and an approved client with personal-data and high-quota scopes."""
    _sor(["access", "keys", "rotate"], env)
    request_id = _sor(
        [
            "access", "request", "file",
            "--organisation", "Benchmark ApS",
            "--cvr", "10000009",
            "--purpose", "benchmark of the protected channel",
            "--contact-name", "Bench Mark",
            "--contact-email", "bench@example.org",
            "--scope", "lookup:personal-data",
            "--scope", "lookup:quota-high",
        ],
        env,
    ).strip()  # fmt: skip
    out = _sor(["access", "request", "approve", request_id, "--reason", "benchmark"], env)
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return fields["client_id"], fields["client_secret"]


def _token(base: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/api/v1/register/oauth/token",
        data=b"grant_type=client_credentials",
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["access_token"])


def _log_rows(path: Path) -> int:
    if not path.exists():
        return 0
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT count(*) FROM access_read").fetchone()[0])
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser)
    parser.add_argument("--log-seconds", type=int, default=60)
    parser.add_argument("--log-connections", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    wrk = find_tool("wrk")
    rng = random.Random(args.seed)
    if args.home is not None:
        env = dict(os.environ, SOR_HOME=str(args.home.resolve()))
        for name in ("SOR_DATABASE_URL", "SOR_PUBLICATIONS", "SOR_ACCESS_KEYS", "SOR_ACCESS_LOG"):
            env.pop(name, None)
    else:
        env = fresh_home("access")
        run_sor(["init"], env)
        run_sor(["demo", "--scale", str(args.scale), "--seed", "1"], env)
    home = Path(env["SOR_HOME"])
    if not (home / "publications" / "current").exists():
        run_sor(["publish"], env)
    log_path = home / "access-log.sqlite"

    client_id, secret = _client(env)
    readmodel = home / "publications" / "current" / "readmodel.sqlite"
    connection = sqlite3.connect(f"file:{readmodel}?mode=ro", uri=True)
    public = [
        r[0] for r in connection.execute(
            "SELECT sor_id FROM unit WHERE personal_data = 0 ORDER BY random() LIMIT 20000"
        )
    ]  # fmt: skip
    personal = [
        r[0] for r in connection.execute(
            "SELECT sor_id FROM unit WHERE personal_data = 1 ORDER BY random() LIMIT 20000"
        )
    ]  # fmt: skip
    connection.close()
    if not personal:
        raise SystemExit("the register has no unit marked as personal data to read")
    rng.shuffle(public)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve_env = dict(
        env,
        SOR_PROTECTED_CHANNEL="on",
        SOR_RATE_EXEMPT="",
        SOR_RATE_LIMIT=_UNLIMITED,
        SOR_RATE_BURST=_UNLIMITED,
        SOR_RATE_LIMIT_CLIENT=_UNLIMITED,
        SOR_RATE_BURST_CLIENT=_UNLIMITED,
        SOR_RATE_LIMIT_HIGH=_UNLIMITED,
        SOR_RATE_BURST_HIGH=_UNLIMITED,
        SOR_ACCESS_TOKEN_SECONDS="7200",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "opensor.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(args.workers)],
        env=serve_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="sor-bench-access-"))
    try:
        wait_http(f"{base}/healthz")
        token = _token(base, client_id, secret)
        bearer = (f"Authorization: Bearer {token}",)
        script = tmp / "paths.lua"
        script.write_text(WRK_SCRIPT)
        public_file = tmp / "public.txt"
        public_file.write_text("".join(f"/api/v1/units/{s}\n" for s in public))
        personal_file = tmp / "personal.txt"
        personal_file.write_text("".join(f"/api/v1/units/{s}\n" for s in personal))

        figures: dict[str, list[dict[str, float]]] = {"public": [], "token": []}
        for run in range(args.runs):
            for name, headers in (("public", ()), ("token", bearer)):
                if args.warmup:
                    run_wrk(wrk, base, public_file, script, args, args.warmup, headers)
                result = run_wrk(wrk, base, public_file, script, args, args.duration, headers)
                if result["non_2xx_3xx"] or result["socket_errors"]:
                    raise SystemExit(f"{name} run {run + 1}: failed requests {result}")
                figures[name].append(result)
                print(
                    f"run {run + 1} {name:6s}: {result['rps']:9.0f} req/s  "
                    f"p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms",
                    flush=True,
                )
        public_rps = median([r["rps"] for r in figures["public"]])
        token_rps = median([r["rps"] for r in figures["token"]])
        overhead = 1.0 - token_rps / public_rps

        before = _log_rows(log_path)
        log_args = argparse.Namespace(threads=args.threads, connections=args.log_connections)
        load = run_wrk(wrk, base, personal_file, script, log_args, args.log_seconds, bearer)
        answered = int(load["requests"]) - int(load["non_2xx_3xx"])
        logged = _log_rows(log_path) - before
        chain = subprocess.run(
            [sys.executable, "-m", "opensor.cli", "access", "log", "--verify"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        memory = [rss_mib(pid) for pid in descendants(server.pid)]
    finally:
        stop(server)
        for path in tmp.iterdir():
            path.unlink()
        tmp.rmdir()

    missing = max(0, answered - logged)
    extra = logged - answered
    result_data = {
        "home": str(home),
        "units_public_sample": len(public),
        "units_personal_sample": len(personal),
        "workers": args.workers,
        "connections": args.connections,
        "runs": figures,
        "public_rps_median": public_rps,
        "token_rps_median": token_rps,
        "token_overhead": overhead,
        "log": {
            "seconds": load["seconds"],
            "reads_per_second": load["rps"],
            "answered_2xx": answered,
            "non_2xx": int(load["non_2xx_3xx"]),
            "socket_errors": int(load["socket_errors"]),
            "logged_rows": logged,
            "missing_rows": missing,
            "rows_beyond_count": extra,
            "p99_ms": load["p99_ms"],
            "chain_verified": chain.returncode == 0,
            "chain_output": (chain.stdout + chain.stderr).strip()[-300:],
        },
        "worker_rss_mib": memory,
    }
    saved = write_result("access", result_data)
    print(
        f"public channel: {public_rps:,.0f} req/s; with a token: {token_rps:,.0f} req/s; "
        f"overhead {overhead:.1%} (target <= 10 %)"
    )
    print(
        f"access log: {answered:,} protected reads answered in {load['seconds']:.0f} s "
        f"({load['rps']:,.0f}/s, target >= 2,000/s), {logged:,} rows logged, "
        f"{missing} missing, {extra} beyond wrk's count (<= {args.log_connections} in flight), "
        f"chain {'verified' if chain.returncode == 0 else 'NOT verified'}"
    )
    print(f"saved {saved}")
    if args.home is None:
        remove_home(env)
    ok = (
        missing == 0
        and 0 <= extra <= args.log_connections
        and chain.returncode == 0
        and not load["non_2xx_3xx"]
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
