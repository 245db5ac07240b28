"""Kill -9 campaign: ``sor publish`` and ``sor import sortree`` killed 50 times each.

The CI-sized version is ``tests/reliability/test_kill.py``; this one runs the same checks
(:mod:`tests.reliability.faults`) with more kills on a bigger register and writes the figures
to ``bench/out/kill_bench.json``::

    python -m bench.kill_bench [--kills 50] [--scale 0.05] [--seed 1] [--database-url URL]

Without ``--database-url`` the registers are SQLite files; with a PostgreSQL URL new databases
are created beside it (and dropped afterwards).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from tests.reliability.faults import (
    fresh_register,
    kill_import_repeatedly,
    kill_publish_repeatedly,
    sor,
)

from bench._harness import write_result


def main() -> None:
    """Run both campaigns and save what happened."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()
    result: dict[str, object] = {
        "kills": options.kills,
        "scale": options.scale,
        "seed": options.seed,
        "database": "postgresql" if options.database_url else "sqlite",
    }
    with tempfile.TemporaryDirectory(prefix="sor-kill-") as work_name:
        work = Path(work_name)
        started = time.perf_counter()
        with fresh_register(work / "publish", options.database_url) as env:
            sor(env, "demo", "--scale", str(options.scale))
            outcome = kill_publish_repeatedly(env, options.kills, random.Random(options.seed), work)
        result["publish"] = {**outcome.as_dict(), "seconds": round(time.perf_counter() - started)}
        print("publish:", result["publish"])
        started = time.perf_counter()
        with fresh_register(work / "source", options.database_url) as source:
            sor(source, "demo", "--scale", str(options.scale))
            sortree = work / "sortree.xml"
            sor(source, "export", "sortree", "--out", str(sortree))
        with fresh_register(work / "import", options.database_url) as env:
            outcome = kill_import_repeatedly(
                env, sortree, options.kills, random.Random(options.seed), work
            )
        result["import"] = {**outcome.as_dict(), "seconds": round(time.perf_counter() - started)}
        print("import:", result["import"])
    suffix = "" if not options.database_url else "_postgresql"
    print(write_result(f"kill_bench{suffix}", result))


if __name__ == "__main__":
    main()
