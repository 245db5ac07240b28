"""Throughput of the SorTree reader and writer against a bare lxml iterparse.

    python bench/bench_sortree.py [units] [path]

Writes a synthetic file of ``units`` units (default 50,000), then times a bare
``for _ in lxml.etree.iterparse(path): pass``, ``read_sortree`` over the same file and
``write_sortree`` producing it.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.domain.sortree_factory import synthetic_items

from opensor.domain.sortree import read_sortree, write_sortree


def _best(runs: int, fn: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    units = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    path = sys.argv[2] if len(sys.argv) > 2 else f"/tmp/sortree-{units}.xml"
    items = list(synthetic_items(units))
    created = datetime(2024, 1, 1, tzinfo=UTC)

    def write() -> None:
        write_sortree(path, items, created_at=created, snapshot_date=date(2024, 1, 1))

    t_write = _best(1, write)
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        lines = sum(1 for _ in f)

    def bare() -> None:
        for _ in etree.iterparse(path):
            pass

    def read() -> None:
        n = 0
        for _ in read_sortree(path):
            n += 1
        assert n == units, n

    t_bare = _best(3, bare)
    t_read = _best(3, read)
    print(f"file: {units:,} units, {size / 1e6:.1f} MB, {lines:,} lines")
    print(f"write_sortree        {t_write:7.2f} s  {units / t_write:10,.0f} units/s")
    print(f"bare iterparse       {t_bare:7.2f} s  {units / t_bare:10,.0f} units/s")
    print(f"read_sortree         {t_read:7.2f} s  {units / t_read:10,.0f} units/s")
    print(f"ratio read/bare      {t_bare / t_read:7.2f}")


if __name__ == "__main__":
    main()
