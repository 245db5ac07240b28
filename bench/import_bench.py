"""Import speed: `sor import sortree` of a demo-register export vs a bare lxml iterparse pass.

    python -m bench.import_bench --scale 1 --runs 3
    python -m bench.import_bench --scale 10 --runs 1

Builds the demo register at SCALE, exports it with `sor export sortree`, then times, RUNS
times each: a bare `lxml.etree.iterparse` pass over the file (elements cleared as they end,
the usual streaming idiom) and `sor import sortree` into a fresh SQLite register (a whole
subprocess: start-up, parse, checks, writes, commit). Prints medians, the ratio, and peak memory.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lxml import etree

from bench._harness import fresh_home, median, remove_home, run_sor, write_result


def bare_iterparse(path: Path) -> tuple[float, int]:
    """Seconds for a bare iterparse pass, and the number of elements seen."""
    started = time.perf_counter()
    count = 0
    for _, element in etree.iterparse(str(path), events=("end",)):
        count += 1
        element.clear(keep_tail=True)
    return time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
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
    units = 0
    for run in range(args.runs):
        seconds, _ = bare_iterparse(export_path)
        parse_times.append(seconds)
        target = fresh_home("import-target")
        run_sor(["init"], target)
        result = run_sor(["import", "sortree", str(export_path)], target)
        check = run_sor(["check", "--json"], target) if run == 0 else None
        if check is not None:
            import json

            units = json.loads(check.stdout)["units"]
        import_times.append(result.seconds)
        peaks.append(result.peak_mib)
        remove_home(target)
        print(
            f"run {run + 1}: iterparse {seconds:.2f} s, import {result.seconds:.2f} s, "
            f"peak {result.peak_mib:.0f} MiB"
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
        "demo_seconds": round(demo.seconds, 1),
        "export_seconds": round(export.seconds, 1),
    }
    remove_home(source)
    print(write_result(f"import-scale-{args.scale:g}", figures).read_text())


if __name__ == "__main__":
    main()
