"""The reference consumer: `sor mirror` from empty to in sync, timed.

    python -m bench.mirror_bench --scale 10 --runs 1
    python -m bench.mirror_bench --home /tmp/sor-bench-lookup-xxxx --runs 3   # reuse a register

Builds the demo register at SCALE in a fresh SQLite home (or reuses --home, publishing it only
if it has no publication yet), starts ``sor serve --only lookup --workers 2`` on a free
loopback port, then RUNS times: an empty mirror directory, ``sor mirror BASE_URL --dir DIR``
(download the latest full files, verify their SHA-256 against the manifest, load them, follow
the change feed, prove the counts and the document checksum equal the source's), timed as
wall time and the mirror process's peak memory. A run whose mirror does not report itself in
sync (exit status 0) fails the benchmark.

Prints the median and saves the figures as JSON under bench/out/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._harness import fresh_home, median, remove_home, run_sor, write_result
from bench.lookup_bench import free_port, stop, wait_http

__all__ = ["main"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--home", type=Path, default=None, help="reuse this SOR_HOME")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    if args.home is not None:
        env = dict(os.environ, SOR_HOME=str(args.home.resolve()))
        env.pop("SOR_DATABASE_URL", None)
        env.pop("SOR_PUBLICATIONS", None)
    else:
        env = fresh_home("mirror")
        run_sor(["init"], env)
        run_sor(["demo", "--scale", str(args.scale), "--seed", "1"], env)
    if not (Path(env["SOR_HOME"]) / "publications" / "current").exists():
        run_sor(["publish"], env)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "opensor.cli", "serve", "--only", "lookup", "--host",
         "127.0.0.1", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    runs: list[dict[str, object]] = []
    try:
        wait_http(f"{base}/healthz")
        for number in range(args.runs):
            directory = Path(tempfile.mkdtemp(prefix="sor-bench-mirror-"))
            try:
                # the mirror is a client: it needs no register, only the base URL
                client_env = {k: v for k, v in env.items() if not k.startswith("SOR_")}
                client_env["SOR_HOME"] = str(directory / "home")
                (directory / "home").mkdir()
                run = run_sor(["mirror", base, "--dir", str(directory / "mirror")], client_env)
                size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
            finally:
                shutil.rmtree(directory, ignore_errors=True)
            runs.append({"seconds": run.seconds, "peak_mib": run.peak_mib, "bytes": size})
            summary = run.stdout.strip().splitlines()[-1:] if run.stdout.strip() else []
            print(
                f"run {number + 1}: {run.seconds:.1f} s, peak {run.peak_mib:.0f} MiB, "
                f"{size / 2**20:.0f} MiB on disk; {' '.join(summary)}",
                flush=True,
            )
    finally:
        stop(server)
    seconds = median([float(r["seconds"]) for r in runs])  # type: ignore[arg-type]
    saved = write_result(
        "mirror",
        {"home": env["SOR_HOME"], "workers": args.workers, "runs": runs, "median_s": seconds},
    )
    print(f"sor mirror from empty to in sync: median {seconds:.1f} s (target <= 60 s); {saved}")
    if args.home is None:
        remove_home(env)


if __name__ == "__main__":
    main()
