"""One stream of units written as two SorTree XML 1.0.0 files in one pass: complete and public.

The register publishes a complete SorTree file and a public one that differs only for some
units (personal data): :func:`write_sortree_pair` reads the items once and decides per item
what the public file gets, so the second file costs the writing, not another pass over the
data. Both files go through the same checks as :func:`~opensor.domain.sortree.write_sortree`;
an element written to both is checked and computed once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from datetime import date, datetime
from typing import BinaryIO, NamedTuple

from lxml import etree

from opensor.domain.records import LocationNumberRecord, UnitRecord
from opensor.domain.sortree.errors import SorTreeWriteError
from opensor.domain.sortree.writer import begin_envelope, end_envelope

__all__ = ["PairItem", "SortreePairCounts", "write_sortree_pair"]

PairItem = tuple[UnitRecord, LocationNumberRecord | None, UnitRecord | None]
"""``(unit, its own location number or None, what the public file gets of the unit)``."""


class SortreePairCounts(NamedTuple):
    """How many units :func:`write_sortree_pair` wrote to each file."""

    complete: int
    public: int


def write_sortree_pair(
    complete: str | os.PathLike[str] | BinaryIO,
    public: str | os.PathLike[str] | BinaryIO,
    items: Iterable[PairItem],
    *,
    created_at: datetime,
    snapshot_date: date,
) -> SortreePairCounts:
    """Write ``items`` to a complete and a public SorTree file; the units in each.

    Items come in the order :func:`~opensor.domain.sortree.write_sortree` takes (depth-first
    pre-order). The complete file gets every ``unit``; the third element of an item decides
    what the public file gets:

    * ``unit`` itself (the same object): the same element;
    * another record of the same SOR-ID: that variant (e.g. without some contact fields);
    * ``None``: nothing. Every unit below a unit left out must be left out too: the writer
      refuses to place a unit under a parent the public file does not have.

    Outputs are paths or binary file objects (left open). On error :class:`SorTreeWriteError`
    is raised and neither output may be used (paths are removed): that includes a public file
    that would hold no owner, since a SorTree file needs one.
    """
    paths = [os.fspath(out) for out in (complete, public) if isinstance(out, str | os.PathLike)]
    try:
        with contextlib.ExitStack() as stack:
            streams = [
                stack.enter_context(open(out, "wb")) if isinstance(out, str | os.PathLike) else out
                for out in (complete, public)
            ]
            return _write_pair(streams[0], streams[1], items, created_at, snapshot_date)
    except BaseException:
        for path in paths:
            with contextlib.suppress(OSError):
                os.unlink(path)
        raise


def _write_pair(
    complete: BinaryIO,
    public: BinaryIO,
    items: Iterable[PairItem],
    created_at: datetime,
    snapshot_date: date,
) -> SortreePairCounts:
    with (
        etree.xmlfile(complete, encoding="UTF-8", buffered=True) as complete_xf,
        etree.xmlfile(public, encoding="UTF-8", buffered=True) as public_xf,
    ):
        whole, complete_root = begin_envelope(complete_xf, created_at, snapshot_date)
        shown, public_root = begin_envelope(public_xf, created_at, snapshot_date)
        left_out: set[int] = set()
        for unit, location_number, variant in items:
            whole.place(unit)
            values = whole.values(unit, location_number)
            whole.write(unit, values)
            if variant is None:
                left_out.add(unit.sor_id)
                continue
            if unit.parent_sor_id is not None and unit.parent_sor_id in left_out:
                raise SorTreeWriteError(
                    f"its parent {unit.parent_sor_id} is left out of the public file, so it "
                    "must be left out too",
                    unit.sor_id,
                    "parent_sor_id",
                )
            if variant is not unit:
                if variant.sor_id != unit.sor_id:
                    raise SorTreeWriteError(
                        f"the public variant has SOR-ID {variant.sor_id}, not the unit's",
                        unit.sor_id,
                        "sor_id",
                    )
                shown.place(variant)
                values = shown.values(variant, location_number)
            else:
                shown.place(unit)
            shown.write(variant, values)
        counts = SortreePairCounts(whole.finish(), shown.finish(" (the public file has none)"))
        end_envelope(complete_xf, complete_root)
        end_envelope(public_xf, public_root)
    return counts
