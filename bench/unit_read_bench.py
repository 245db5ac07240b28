"""`sor unit` as-of reads: the selector behind it, over random units and dates.

    python -m bench.unit_read_bench --scale 10 --reads 2000
    python -m bench.unit_read_bench --home /path/to/SOR_HOME --reads 2000

Builds (or reuses, with --home) a demo register, then in one process times `unit_view_on`
(what `sor unit` prints: the version, its ancestry, location numbers, effective values) for
random units at random dates inside their lifetime. Prints the median and p95 in ms, and the
wall time of a whole `sor unit` process (Python and Django start-up included) for comparison.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import date, timedelta

from bench._harness import fresh_home, run_sor, write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--home", help="An existing SOR_HOME with a register to read.")
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    if args.home:
        env = dict(os.environ, SOR_HOME=args.home)
    else:
        env = fresh_home("unit-read")
        run_sor(["init"], env)
        run_sor(["demo", "--scale", str(args.scale), "--seed", "1"], env)
        print(f"register built in {env['SOR_HOME']}")
    os.environ.update(SOR_HOME=env["SOR_HOME"], DJANGO_SETTINGS_MODULE="opensor.register.settings")
    import django

    django.setup()
    from opensor.register.units.models import UnitVersion
    from opensor.register.units.selectors import unit_view_on

    rows = list(UnitVersion.objects.current().values_list("unit_id", "valid_from", "valid_to"))
    units = len({r[0] for r in rows})
    rng = random.Random(7)
    picks = []
    for unit_id, start, end in rng.sample(rows, min(args.reads, len(rows))):
        last = (end or date(2030, 1, 1)) - timedelta(days=1)
        span = max((last - start).days, 0)
        picks.append((unit_id, start + timedelta(days=rng.randint(0, span))))
    for unit_id, day in picks[:50]:  # warm the connection and caches
        unit_view_on(unit_id, day)
    timings = []
    for unit_id, day in picks:
        started = time.perf_counter()
        unit_view_on(unit_id, day).as_dict()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    cli = run_sor(["unit", str(picks[0][0]), "--as-of", picks[0][1].isoformat()], env)
    figures = {
        "units": units,
        "versions": len(rows),
        "reads": len(timings),
        "median_ms": round(statistics.median(timings), 3),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 3),
        "cli_process_wall_s": round(cli.seconds, 3),
    }
    print(write_result(f"unit-read-{units}", figures).read_text())


if __name__ == "__main__":
    main()
