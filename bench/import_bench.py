"""Import speed: `sor import sortree` of a demo-register export vs a bare lxml iterparse pass.

    python -m bench.import_bench --scale 1 --runs 3
    python -m bench.import_bench --scale 10 --runs 1
    python -m bench.import_bench --scale 1 --runs 7 --baseline-src /tmp/old/src


Builds the demo register at SCALE, exports it with `sor export sortree`, then times, RUNS
times each: a bare `lxml.etree.iterparse` pass over the file (elements cleared as they end,
the usual streaming idiom) and `sor import sortree` into a fresh SQLite register (a whole
subprocess: start-up, parse, checks, writes, commit). Prints medians, the ratio, and peak memory
of the `sor` process and of the helper process that reads the file for it (both RSS peaks; their
sum bounds what the import holds at once). With --baseline-src (e.g. the `src` of an older
commit, from `git archive <commit> src | tar -x -C /tmp/old`), every run also times that code's
import of the same file, right after the current one, so that both see the same machine load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from lxml import etree

from bench._harness import Run, fresh_home, median, remove_home, run_sor, write_result

# Like bench/_child.py, and also the peak RSS of the largest child process (the helper).
_IMPORT = """
import os, resource, sys
from opensor.cli.main import cli
try:
    cli(args=sys.argv[1:], prog_name="sor", standalone_mode=True)
finally:
    with open(os.environ["SOR_BENCH_PEAK_FILE"], "w") as stream:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        helper = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        stream.write(f"{own} {helper}")
"""


def bare_iterparse(path: Path) -> tuple[float, int]:
    """Seconds for a bare iterparse pass, and the number of elements seen."""
    started = time.perf_counter()
    count = 0
    for _, element in etree.iterparse(str(path), events=("end",)):
        count += 1
        element.clear(keep_tail=True)
    return time.perf_counter() - started, count


def run_import(path: Path, env: dict[str, str]) -> tuple[Run, float]:
    """``sor import sortree PATH``, timed; and the helper process's peak RSS in MiB."""
    peak_file = Path(env["SOR_HOME"]) / "peak.kib"
    peak_file.unlink(missing_ok=True)
    command = [sys.executable, "-c", _IMPORT, "import", "sortree", str(path)]
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        env=dict(env, SOR_BENCH_PEAK_FILE=str(peak_file)),
        capture_output=True,
        text=True,
        check=False,
        cwd=os.getcwd(),
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"sor import sortree failed:\n{completed.stderr}")
    own, helper = (int(kib) / 1024 for kib in peak_file.read_text().split())
    return Run(elapsed, own, completed.stdout), helper


def baseline_figures(
    src: Path | None, times: list[float], units: int, parse_rate: float
) -> dict[str, object]:
    """The figures of the baseline's imports (none without --baseline-src)."""
    if src is None:
        return {}
    rate = units / median(times)
    return {
        "baseline_src": str(src),
        "baseline_import_median_s": round(median(times), 3),
        "baseline_import_units_per_s": round(rate),
        "baseline_ratio_to_iterparse": round(rate / parse_rate, 3),
        "baseline_runs_s": [round(t, 3) for t in times],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-src", type=Path, help="also time the import of this src tree")
    args = parser.parse_args()

    source = fresh_home("import-source")
    run_sor(["init"], source)
    demo = run_sor(["demo", "--scale", str(args.scale), "--seed", "1"], source)
    export_path = Path(source["SOR_HOME"]) / "export.xml"
    export = run_sor(["export", "sortree", "--out", str(export_path)], source)
    size_mib = export_path.stat().st_size / 2**20
    print(
        f"demo scale {args.scale}: {demo.seconds:.1f} s; export {export.seconds:.1f} s, "
        f"{size_mib:.0f} MiB"
    )

    parse_times: list[float] = []
    import_times: list[float] = []
    peaks: list[float] = []
    helper_peaks: list[float] = []
    baseline_times: list[float] = []
    units = 0
    for run in range(args.runs):
        seconds, _ = bare_iterparse(export_path)
        parse_times.append(seconds)
        target = fresh_home("import-target")
        run_sor(["init"], target)
        result, helper_peak = run_import(export_path, target)
        check = run_sor(["check", "--json"], target) if run == 0 else None
        if check is not None:
            import json

            units = json.loads(check.stdout)["units"]
        import_times.append(result.seconds)
        peaks.append(result.peak_mib)
        helper_peaks.append(helper_peak)
        remove_home(target)
        baseline = ""
        if args.baseline_src is not None:
            old = fresh_home("import-baseline")
            old["PYTHONPATH"] = str(args.baseline_src.resolve())
            run_sor(["init"], old)
            baseline_times.append(run_import(export_path, old)[0].seconds)
            remove_home(old)
            baseline = f", baseline import {baseline_times[-1]:.2f} s"
        print(
            f"run {run + 1}: iterparse {seconds:.2f} s, import {result.seconds:.2f} s, "
            f"peak {result.peak_mib:.0f} MiB + helper {helper_peak:.0f} MiB{baseline}"
        )

    parse_rate = units / median(parse_times)
    import_rate = units / median(import_times)
    figures = {
        "scale": args.scale,
        "units": units,
        "file_mib": round(size_mib, 1),
        "runs": args.runs,
        "iterparse_median_s": round(median(parse_times), 3),
        "import_median_s": round(median(import_times), 3),
        "iterparse_units_per_s": round(parse_rate),
        "import_units_per_s": round(import_rate),
        "ratio_import_to_iterparse": round(import_rate / parse_rate, 3),
        "import_peak_mib_max": round(max(peaks)),
        "helper_peak_mib_max": round(max(helper_peaks)),
        "import_runs_s": [round(t, 3) for t in import_times],
        "iterparse_runs_s": [round(t, 3) for t in parse_times],
        "per_run_ratio": [round(p / i, 3) for p, i in zip(parse_times, import_times, strict=True)],
        **baseline_figures(args.baseline_src, baseline_times, units, parse_rate),
        "demo_seconds": round(demo.seconds, 1),
        "export_seconds": round(export.seconds, 1),
    }
    remove_home(source)
    print(write_result(f"import-scale-{args.scale:g}", figures).read_text())


if __name__ == "__main__":
    main()
