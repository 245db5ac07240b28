"""Helpers shared by the benchmarks: fresh registers, timed subprocesses, medians."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Run", "fresh_home", "median", "run_sor", "write_result"]

OUT = Path(__file__).resolve().parent / "out"


@dataclass(frozen=True)
class Run:
    """One timed subprocess: wall seconds and peak resident memory in MiB."""

    seconds: float
    peak_mib: float
    stdout: str


def fresh_home(name: str) -> dict[str, str]:
    """Environment for a ``sor`` process on a new, empty SQLite register."""
    home = Path(tempfile.mkdtemp(prefix=f"sor-bench-{name}-"))
    env = dict(os.environ, SOR_HOME=str(home))
    env.pop("SOR_DATABASE_URL", None)
    return env


def run_sor(args: list[str], env: dict[str, str]) -> Run:
    """Run ``sor ARGS`` to completion and measure it; fail loudly if it fails."""
    peak_file = Path(env["SOR_HOME"]) / "peak.kib"
    command = [sys.executable, str(Path(__file__).with_name("_child.py")), *args]
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        env=dict(env, SOR_BENCH_PEAK_FILE=str(peak_file)),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"sor {' '.join(args)} failed:\n{completed.stderr}")
    peak = int(peak_file.read_text()) / 1024
    return Run(elapsed, peak, completed.stdout)


def median(values: list[float]) -> float:
    """The median of the values."""
    return statistics.median(values)


def write_result(name: str, data: dict[str, object]) -> Path:
    """Save a benchmark's figures as JSON under bench/out/."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def remove_home(env: dict[str, str]) -> None:
    """Delete a benchmark register."""
    shutil.rmtree(env["SOR_HOME"], ignore_errors=True)
