"""The register as the source of a publication: one consistent snapshot, read in batches.

A publication is built from what the register holds at one moment. :func:`register_snapshot`
opens a read transaction that sees a single snapshot (PostgreSQL ``REPEATABLE READ``; on SQLite
a deferred transaction, which in WAL mode reads one snapshot without blocking writers), and
the functions here stream the current version rows in key order, a few thousand at a time, so
that memory stays flat however large the register is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from itertools import groupby
from typing import Any

from django.db import connection, transaction

from opensor.register.audit.models import ChangeSet
from opensor.register.units.mapping import LOCATION_VERSION_FIELDS, UNIT_VERSION_FIELDS
from opensor.register.units.models import LocationNumberVersion, UnitVersion

__all__ = [
    "latest_change_set_id",
    "location_versions_by_number",
    "register_snapshot",
    "unit_version_spans",
    "unit_versions_by_unit",
    "unit_versions_of",
]

_CHUNK = 5000


@contextlib.contextmanager
def register_snapshot(*, exported: str | None = None) -> Iterator[bool]:
    """Read the register inside one transaction that sees one consistent snapshot.

    Yields ``True`` when it opened that transaction; inside an enclosing transaction (a test, a
    caller's ``atomic`` block) that transaction's view is used as it is and ``False`` is
    yielded. ``exported`` (PostgreSQL) imports a snapshot another session exported, so that
    two processes read exactly the same data.
    """
    if connection.in_atomic_block:
        yield False
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                if exported is not None:
                    cursor.execute("SET TRANSACTION SNAPSHOT %s", [exported])
            yield True
        return
    # SQLite: Django opens write transactions with BEGIN IMMEDIATE (see the settings), which
    # would lock out every writer for the whole build; a deferred read transaction does not.
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
        try:
            cursor.execute("SELECT count(*) FROM units_unit")  # takes the read snapshot now
            yield True
        finally:
            cursor.execute("ROLLBACK")


def latest_change_set_id() -> int | None:
    """The id of the newest change set (what the register had recorded when read)."""
    return ChangeSet.objects.order_by("-id").values_list("id", flat=True).first()


def unit_versions_by_unit() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Every current unit version, grouped by unit in SOR-ID order, oldest version first.

    Each row is a ``values()`` dict of :data:`UNIT_VERSION_FIELDS` plus ``recorded_at``.
    """
    rows = (
        UnitVersion.objects.current()
        .order_by("unit_id", "valid_from")
        .values(*UNIT_VERSION_FIELDS, "recorded_at")
        .iterator(chunk_size=_CHUNK)
    )
    for unit_id, group in groupby(rows, key=lambda row: row["unit_id"]):
        yield unit_id, list(group)


def unit_version_spans() -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    """The light skeleton of every current unit version, grouped by unit in SOR-ID order.

    Each item is ``(valid_from, valid_to, parent_id, recorded_at)``, oldest version first.
    """
    rows = (
        UnitVersion.objects.current()
        .order_by("unit_id", "valid_from")
        .values_list("unit_id", "valid_from", "valid_to", "parent_id", "recorded_at")
        .iterator(chunk_size=_CHUNK * 4)
    )
    for unit_id, group in groupby(rows, key=lambda row: row[0]):
        yield unit_id, [row[1:] for row in group]


def unit_versions_of(sor_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Every current version of the given units (``values()`` dicts), oldest first per unit."""
    rows = (
        UnitVersion.objects.current()
        .filter(unit_id__in=sor_ids)
        .order_by("unit_id", "valid_from")
        .values(*UNIT_VERSION_FIELDS, "recorded_at")
    )
    result: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        result.setdefault(row["unit_id"], []).append(row)
    return result


def location_versions_by_number() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every current location-number version, grouped by GLN in order, oldest first."""
    rows = (
        LocationNumberVersion.objects.current()
        .order_by("location_number_id", "valid_from")
        .values(*LOCATION_VERSION_FIELDS, "recorded_at")
        .iterator(chunk_size=_CHUNK)
    )
    for gln, group in groupby(rows, key=lambda row: row["location_number_id"]):
        yield gln, list(group)
