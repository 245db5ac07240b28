"""Publication and lookup speed: `sor publish`, then wrk against nginx and `sor serve`.

    python -m bench.lookup_bench --scale 1 --runs 3
    python -m bench.lookup_bench --home /tmp/sor-bench-lookup-xxxx --runs 1   # reuse a register

Builds the demo register at SCALE in a fresh SQLite home (or reuses --home, publishing it only
if it has no publication yet), times `sor publish` (wall time and peak RSS of the whole process),
then, against the current publication:

* writes the served unit documents (`unit.doc`) of SAMPLE random units as static files and
  serves them with nginx (2 worker processes, access log off) — the reference;
* starts `sor serve --workers 2` (granian) on a free loopback port;
* starts the *granian ceiling*: an ASGI application of five lines on granian (HTTP/1.1 on
  uvloop, as `sor serve`) with the same workers that answers one stored unit document to
  every request (no routing, no database, no bookkeeping) — the most any application on this
  server can do on this machine, so the share of nginx left to the service itself shows;
* runs wrk (--connections connections, --threads threads, --duration seconds, after a short
  warm-up) RUNS times against: nginx's static bodies, the granian ceiling,
  `GET /api/v1/units/{id}`,
  `GET /fhir/Organization/{id}` and a search mix (name prefixes, fuzzy names, filters) —
  twice: on the service as it runs (each worker keeps the answers it has computed, so after the
  warm-up most searches of the mix of 5,000 are answered again) and on a second `sor serve`
  with that cache off (`SOR_SEARCH_CACHE_MB=0`: every search computed afresh) — each
  request choosing a random path from a list (a wrk Lua script whose `done` hook prints
  requests/s and latency percentiles);
* reads the lookup workers' resident memory from /proc after the runs.

Every server runs in the benchmark's own session (its own process group, so it can be stopped
whole, but not `setsid`): Linux's scheduler autogroups share the CPU between *sessions* first,
and a server in a session of its own competed with wrk's session as one equal party — which
cost granian's multi-threaded workers a third of their requests/s and nginx little, skewing the
ratio (session 5, docs/performance.md).

Prints the medians of the runs and the ratios to nginx in the same run, and saves them as JSON
under bench/out/. Needs `nginx` and `wrk` on the machine (Debian: `apt-get install nginx wrk`).
All traffic goes to 127.0.0.1; every process started is stopped and the temporary files removed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench._harness import fresh_home, median, remove_home, run_sor, write_result

__all__ = ["main"]

WRK_SCRIPT = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local n = #paths

function init(args)
  -- each thread its own seed: the address of a fresh table differs per Lua state
  local address = tonumber(tostring({}):match("0x(%x+)") or "0", 16)
  math.randomseed(os.time() + address % 1000003)
end

function request()
  return wrk.format("GET", paths[math.random(n)])
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1000000
  local bad = summary.errors.status
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.3f, '
    .. '"p90_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
    .. '"non_2xx_3xx": %d, "socket_errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    bad, errors))
end
"""

CEILING_APP = r"""
# The least any ASGI application on granian can do for a request: answer one stored unit
# document with no routing, no database and no bookkeeping (the ceiling of `sor serve`).
BODY = open(__file__.replace("ceiling_app.py", "ceiling_body.json"), "rb").read()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
"""

NGINX_CONF = """
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    default_type application/json;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ try_files $uri =404; }}
    }}
}}
"""


TARGETS = (
    "nginx_static",
    "granian_ceiling",
    "unit_get",
    "fhir_organization",
    "search_mix",
    "search_mix_uncached",
)
"""What the benchmark loads, in this order in each run (``--targets`` picks some)."""


def find_tool(name: str) -> str:
    """The path of a program, looked up in PATH and the sbin directories; exit if missing."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/local/sbin")
    if path is None:
        raise SystemExit(
            f"lookup_bench needs `{name}` (the reference server and the load generator); "
            "install them first, e.g. `apt-get install -y nginx wrk` on Debian"
        )
    return path


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    """Wait until URL answers 200; exit if it does not within TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer 200 within {timeout:.0f} s")


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def descendants(pid: int) -> list[int]:
    """Process ids of every descendant of PID (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("PPid:"):
                    children.setdefault(int(line.split()[1]), []).append(int(entry.name))
                    break
        except OSError:
            continue
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB (VmRSS), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process group we started: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def search_paths(connection: sqlite3.Connection, rng: random.Random, count: int) -> list[str]:
    """A mix of searches built from real folded names, codes and filter values.

    40 % name prefixes (the first letters of one or two words of a name), 20 % fuzzy names
    (a word of 6+ letters with one letter dropped or doubled, `fuzzy=true`), 40 % filters
    (level + region + active, postcode, municipality + text prefix, ydernummer/SHAK lookups).
    """
    rows = connection.execute(
        "SELECT name_folded, level, region_code, municipality_code, postcode, shak, "
        "provider_number FROM unit ORDER BY random() LIMIT 5000"
    ).fetchall()
    regions = sorted({r[2] for r in rows if r[2]})
    paths: list[str] = []

    def url(**params: str) -> str:
        return "/api/v1/units?" + urllib.parse.urlencode(params)

    while len(paths) < count:
        name, level, region, municipality, postcode, shak, provider = rng.choice(rows)
        words = [w for w in name.split() if w.isalnum()]
        kind = rng.random()
        if kind < 0.4 and words:
            picked = words[: rng.choice([1, 2])]
            text = " ".join(w[: max(3, min(len(w), rng.randint(3, 8)))] for w in picked)
            paths.append(url(q=text))
        elif kind < 0.6:
            long_words = [w for w in words if len(w) >= 6 and w.isalpha()]
            if not long_words:
                continue
            word = rng.choice(long_words)
            i = rng.randrange(1, len(word) - 1)
            typo = word[:i] + word[i + 1 :] if rng.random() < 0.5 else word[:i] + word[i] + word[i:]
            paths.append(url(q=typo, fuzzy="true"))
        elif kind < 0.75 and region:
            paths.append(url(level=level, region=rng.choice(regions), active="true"))
        elif kind < 0.85 and postcode:
            paths.append(url(postcode=postcode))
        elif kind < 0.95 and municipality and words:
            paths.append(url(q=words[0][:4], municipality=municipality))
        elif provider:
            paths.append(url(ydernummer=provider))
        elif shak:
            paths.append(url(shak=shak))
    return paths


def run_wrk(
    wrk: str,
    base: str,
    paths_file: Path,
    script: Path,
    args: argparse.Namespace,
    seconds: int,
    headers: tuple[str, ...] = (),
) -> dict[str, float]:
    """One wrk run against BASE choosing paths from PATHS_FILE; its figures.

    HEADERS (``"Name: value"``) are sent with every request.
    """
    command = [
        wrk,
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        "--latency",
        f"--script={script}",
        *(f"--header={header}" for header in headers),
        base,
    ]
    completed = subprocess.run(
        command,
        env=dict(os.environ, BENCH_PATHS=str(paths_file)),
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 60,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            figures: dict[str, float] = json.loads(line[len("BENCH_JSON ") :])
            return figures
    raise SystemExit(f"wrk failed:\n{completed.stdout}\n{completed.stderr}")


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every wrk benchmark of the lookup service takes (register, runs, load)."""
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--home", type=Path, default=None, help="reuse this SOR_HOME")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk before each")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser)
    parser.add_argument("--sample", type=int, default=20000, help="units served as files")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the register afterwards")
    parser.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help="comma-separated targets to load (default all; nginx_static always runs)",
    )
    args = parser.parse_args()
    chosen = {name.strip() for name in args.targets.split(",") if name.strip()} | {"nginx_static"}
    if unknown := chosen - set(TARGETS):
        parser.error(f"unknown targets {sorted(unknown)}; known: {', '.join(TARGETS)}")

    nginx = find_tool("nginx")
    wrk = find_tool("wrk")
    rng = random.Random(args.seed)

    if args.home is not None:
        env = dict(os.environ, SOR_HOME=str(args.home.resolve()))
        env.pop("SOR_DATABASE_URL", None)
        env.pop("SOR_PUBLICATIONS", None)
    else:
        env = fresh_home("lookup")
        env.pop("SOR_PUBLICATIONS", None)
        run_sor(["init"], env)
        demo = run_sor(["demo", "--scale", str(args.scale), "--seed", "1"], env)
        print(f"demo scale {args.scale}: {demo.seconds:.1f} s")
    current = Path(env["SOR_HOME"]) / "publications" / "current"
    publish = None
    if args.home is None or not current.exists():
        publish = run_sor(["publish"], env)
        print(f"sor publish: {publish.seconds:.1f} s, peak {publish.peak_mib:.0f} MiB")
    read_model = current.resolve() / "readmodel.sqlite"
    connection = sqlite3.connect(f"file:{read_model}?mode=ro", uri=True)
    units = connection.execute("SELECT count(*) FROM unit").fetchone()[0]
    sample = [
        row[0]
        for row in connection.execute(
            # units marked as personal data are served whole to the protected channel (or to
            # everyone while it is off), unlike their stored public document: left out
            "SELECT sor_id FROM unit WHERE personal_data = 0 ORDER BY random() LIMIT ?",
            (args.sample,),
        )
    ]
    rng.shuffle(sample)

    tmp = Path(tempfile.mkdtemp(prefix="sor-bench-lookup-web-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        root = tmp / "www"
        units_dir = root / "api" / "v1" / "units"
        units_dir.mkdir(parents=True)
        for sor_id, doc in connection.execute(
            f"SELECT sor_id, doc FROM unit WHERE sor_id IN ({','.join('?' * len(sample))})",
            sample,
        ):
            (units_dir / str(sor_id)).write_bytes(bytes(doc))
        for path in [tmp, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        unit_paths = [f"/api/v1/units/{sor_id}" for sor_id in sample]
        lists = {
            "nginx_static": unit_paths,
            "unit_get": unit_paths,
            "fhir_organization": [f"/fhir/Organization/{sor_id}" for sor_id in sample],
            "search_mix": search_paths(connection, rng, 5000),
        }
        connection.close()
        files: dict[str, Path] = {}
        for name, paths in lists.items():
            files[name] = tmp / f"{name}.txt"
            files[name].write_text("\n".join(paths) + "\n")
        script = tmp / "random_paths.lua"
        script.write_text(WRK_SCRIPT)

        nginx_port = free_port()
        (tmp / "nginx.conf").write_text(
            NGINX_CONF.format(workers=args.workers, tmp=tmp, port=nginx_port, root=root)
        )
        processes.append(
            subprocess.Popen(
                [nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf")], process_group=0
            )
        )
        (tmp / "ceiling_body.json").write_bytes((units_dir / str(sample[0])).read_bytes())
        (tmp / "ceiling_app.py").write_text(CEILING_APP)
        ceiling_port = free_port()
        processes.append(
            subprocess.Popen(
                [
                    sys.executable, "-m", "granian", "--interface", "asgi",
                    "--workers", str(args.workers), "--host", "127.0.0.1",
                    "--port", str(ceiling_port), "--no-ws", "--http", "1", "--loop", "uvloop",
                    "--log-level", "warning",
                    "--working-dir", str(tmp), "ceiling_app:app",
                ],
                process_group=0,
            )
        )  # fmt: skip
        sor_port = free_port()
        sor = shutil.which("sor") or "sor"
        serve = subprocess.Popen(
            [
                sor,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(sor_port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            process_group=0,
        )
        processes.append(serve)
        # The same service with its search-answer cache off: every search computed afresh
        # (the warm-up before each run otherwise fills the cache with the mix's answers).
        uncached_port = free_port()
        processes.append(
            subprocess.Popen(
                [sor, "serve", "--host", "127.0.0.1", "--port", str(uncached_port),
                 "--workers", str(args.workers)],
                env=dict(env, SOR_SEARCH_CACHE_MB="0"),
                process_group=0,
            )
        )  # fmt: skip
        uncached_base = f"http://127.0.0.1:{uncached_port}"
        nginx_base = f"http://127.0.0.1:{nginx_port}"
        sor_base = f"http://127.0.0.1:{sor_port}"
        ceiling_base = f"http://127.0.0.1:{ceiling_port}"
        wait_http(nginx_base + unit_paths[0])
        wait_http(ceiling_base + "/")
        wait_http(sor_base + "/healthz")
        wait_http(uncached_base + "/healthz")
        # The same bytes from both: the reference serves exactly what the service serves.
        for path in unit_paths[:20]:
            if fetch(nginx_base + path) != fetch(sor_base + path):
                raise SystemExit(f"nginx and sor serve differ for {path}")
        print(
            f"nginx on {nginx_base}, sor serve on {sor_base}; {units} units, "
            f"{len(sample)} served as files"
        )

        lists["granian_ceiling"] = unit_paths
        files["granian_ceiling"] = files["unit_get"]
        files["search_mix_uncached"] = files["search_mix"]
        targets = {
            "nginx_static": nginx_base,
            "granian_ceiling": ceiling_base,
            "unit_get": sor_base,
            "fhir_organization": sor_base,
            "search_mix": sor_base,
            "search_mix_uncached": uncached_base,
        }
        targets = {name: base for name, base in targets.items() if name in chosen}
        results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        ratios: dict[str, list[float]] = {
            name: []
            for name in ("granian_ceiling", "unit_get", "fhir_organization")
            if name in chosen
        }
        for run in range(args.runs):
            for name, base in targets.items():
                if args.warmup:
                    run_wrk(wrk, base, files[name], script, args, args.warmup)
                figures = run_wrk(wrk, base, files[name], script, args, args.duration)
                results[name].append(figures)
                print(
                    f"run {run + 1} {name}: {figures['rps']:.0f} req/s, p50 "
                    f"{figures['p50_ms']:.2f} ms, p95 {figures['p95_ms']:.2f} ms, p99 "
                    f"{figures['p99_ms']:.2f} ms, non-2xx {figures['non_2xx_3xx']:.0f}, "
                    f"socket errors {figures['socket_errors']:.0f}",
                    flush=True,
                )
            for name in ratios:
                ratios[name].append(results[name][-1]["rps"] / results["nginx_static"][-1]["rps"])

        # The workers are the serving process's largest descendants (granian spawns them).
        serve_processes = [
            {"pid": pid, "rss_mib": round(rss_mib(pid), 1), "command": command_line(pid)[:120]}
            for pid in descendants(serve.pid)
        ]
        worker_rss = sorted((float(p["rss_mib"]) for p in serve_processes), reverse=True)[
            : args.workers
        ]
        main_rss = rss_mib(serve.pid)
    finally:
        for process in reversed(processes):
            stop(process)
        shutil.rmtree(tmp, ignore_errors=True)

    def summary(runs: list[dict[str, float]]) -> dict[str, float]:
        keys = ["rps", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms"]
        out = {f"{key}_median": round(median([r[key] for r in runs]), 2) for key in keys}
        out["non_2xx_3xx_total"] = sum(r["non_2xx_3xx"] for r in runs)
        out["socket_errors_total"] = sum(r["socket_errors"] for r in runs)
        return out

    figures: dict[str, object] = {
        "scale": args.scale,
        "units": units,
        "runs": args.runs,
        "duration_s": args.duration,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "workers": args.workers,
        "sample_units": len(sample),
        "publish_seconds": round(publish.seconds, 1) if publish else None,
        "publish_peak_mib": round(publish.peak_mib) if publish else None,
        "results": {name: summary(runs) for name, runs in results.items()},
        "ratio_to_nginx_median": {
            name: round(median(values), 3) for name, values in ratios.items()
        },
        "worker_rss_mib": [round(value, 1) for value in worker_rss],
        "worker_rss_mib_sum": round(sum(worker_rss), 1),
        "serve_main_process_rss_mib": round(main_rss, 1),
        "serve_processes": serve_processes,
        "runs_raw": results,
    }
    if args.home is None and not args.keep:
        remove_home(env)
    elif args.home is None:
        print(f"register kept in {env['SOR_HOME']}", file=sys.stderr)
    print(write_result(f"lookup-scale-{args.scale:g}", figures).read_text())


if __name__ == "__main__":
    main()
