"""`sor demo --scale S` wall time into a fresh SQLite register (target: ≤ 60 s at scale 1).

python -m bench.demo_bench --scale 1 --runs 3
"""

from __future__ import annotations

import argparse

from bench._harness import fresh_home, median, remove_home, run_sor, write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times, peaks = [], []
    for run in range(args.runs):
        env = fresh_home("demo")
        run_sor(["init"], env)
        result = run_sor(["demo", "--scale", str(args.scale), "--seed", "1"], env)
        times.append(result.seconds)
        peaks.append(result.peak_mib)
        remove_home(env)
        print(f"run {run + 1}: {result.seconds:.1f} s, peak {result.peak_mib:.0f} MiB")
    figures = {
        "scale": args.scale,
        "runs": args.runs,
        "demo_median_s": round(median(times), 2),
        "demo_peak_mib_max": round(max(peaks)),
    }
    print(write_result(f"demo-scale-{args.scale:g}", figures).read_text())


if __name__ == "__main__":
    main()
