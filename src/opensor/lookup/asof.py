"""Units and location numbers as of any date, resolved from the read model's version records.

The stored documents hold each unit as of the publication date. For any other date the lookup
service reads the versions valid on that date from ``unit_version`` and
``location_number_version`` and resolves them with the same domain functions the register and
the publisher use (:func:`~opensor.domain.inheritance.resolve_effective`,
:func:`~opensor.domain.documents.unit_document`), so the document has exactly the same shape.
The walk follows :func:`opensor.register.units.selectors.unit_view_on`: the ancestry stops at a
parent not valid that day, and location numbers are looked up nearest first until one is found
or a unit refuses inheritance.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any, cast

from opensor.domain.codelists import CodeLists
from opensor.domain.documents import location_number_document, unit_document
from opensor.domain.inheritance import resolve_effective
from opensor.domain.records import (
    LocationNumberRecord,
    UnitRecord,
    Validity,
    record_from_dict,
)

__all__ = [
    "MAX_DEPTH",
    "NotValidOn",
    "location_number_on",
    "unit_document_on",
    "unit_on",
    "validity_span",
]

MAX_DEPTH = 64
"""No real tree is this deep; a longer chain means a cycle in the data."""

_UNIT_ON = (
    "SELECT record FROM unit_version WHERE sor_id = ? AND valid_from <= ? "
    "AND (valid_to IS NULL OR valid_to > ?) ORDER BY valid_from DESC LIMIT 1"
)
_OWNED_ON = (
    "SELECT record FROM location_number_version WHERE owner_sor_id = ? AND valid_from <= ? "
    "AND (valid_to IS NULL OR valid_to > ?) ORDER BY gln LIMIT 1"
)
_NUMBER_ON = (
    "SELECT record, valid_from, valid_to FROM location_number_version WHERE gln = ? "
    "AND valid_from <= ? "
    "AND (valid_to IS NULL OR valid_to > ?) ORDER BY valid_from DESC LIMIT 1"
)


class NotValidOn(LookupError):
    """The unit or location number is unknown, or was not valid on the date asked for."""

    def __init__(self, message: str, *, known: bool) -> None:
        super().__init__(message)
        self.known = known


def unit_on(connection: sqlite3.Connection, sor_id: int, day: date) -> UnitRecord | None:
    """The version of a unit valid on ``day``, or ``None``."""
    iso = day.isoformat()
    row = connection.execute(_UNIT_ON, (sor_id, iso, iso)).fetchone()
    if row is None:
        return None
    return cast(UnitRecord, record_from_dict(json.loads(row[0])))


def _owned_on(connection: sqlite3.Connection, sor_id: int, iso: str) -> LocationNumberRecord | None:
    row = connection.execute(_OWNED_ON, (sor_id, iso, iso)).fetchone()
    if row is None:
        return None
    return cast(LocationNumberRecord, record_from_dict(json.loads(row[0])))


def validity_span(connection: sqlite3.Connection, table: str, key: str, value: object) -> str:
    """Where an entity is valid: "from … until …" / "from … (still open)", or ``""``."""
    rows = connection.execute(
        f"SELECT min(valid_from), max(coalesce(valid_to, '9999-12-31')) FROM {table} "
        f"WHERE {key} = ?",
        (value,),
    ).fetchone()
    if rows is None or rows[0] is None:
        return ""
    first, last = rows
    return f"from {first}" + (" (still open)" if last == "9999-12-31" else f" until {last}")


def unit_document_on(connection: sqlite3.Connection, sor_id: int, day: date) -> dict[str, Any]:
    """The unit document of ``sor_id`` as of ``day`` (the same shape as the stored one).

    Raises :class:`NotValidOn` saying whether the unit is unknown or when it is valid.
    """
    iso = day.isoformat()
    unit = unit_on(connection, sor_id, day)
    if unit is None:
        span = validity_span(connection, "unit_version", "sor_id", sor_id)
        if not span:
            raise NotValidOn(f"no unit has SOR-ID {sor_id}", known=False)
        raise NotValidOn(f"unit {sor_id} did not exist on {iso}; it is valid {span}", known=True)
    chain = [unit]
    while chain[-1].parent_sor_id is not None:
        if len(chain) > MAX_DEPTH:
            raise NotValidOn(f"the ancestry of {sor_id} loops (a cycle)", known=True)
        parent = unit_on(connection, chain[-1].parent_sor_id, day)
        if parent is None:
            break  # the parent was not valid that day: a known real-world inconsistency
        chain.append(parent)
    numbers: dict[int, LocationNumberRecord] = {}
    for record in chain:
        number = _owned_on(connection, record.sor_id, iso)
        if number is not None:
            numbers[record.sor_id] = number
        if number is not None or record.location_number_inherited is False:
            break
    (count,) = connection.execute(
        "SELECT count(*) FROM unit_version WHERE sor_id = ?", (sor_id,)
    ).fetchone()
    return unit_document(
        resolve_effective(chain, numbers),
        day=day,
        own_location_number=numbers.get(sor_id),
        version_count=count,
    )


def location_number_on(
    connection: sqlite3.Connection, gln: str, day: date, codes: CodeLists | None = None
) -> tuple[LocationNumberRecord, dict[str, Any]]:
    """The location number ``gln`` as of ``day``: its record and its document.

    The document has the shape of the stored one
    (:func:`~opensor.domain.documents.location_number_document`); message types are named
    from ``codes``. Raises :class:`NotValidOn` saying whether the number is unknown or when it
    is valid.
    """
    iso = day.isoformat()
    row = connection.execute(_NUMBER_ON, (gln, iso, iso)).fetchone()
    if row is None:
        span = validity_span(connection, "location_number_version", "gln", gln)
        if not span:
            raise NotValidOn(f"no location number has GLN {gln}", known=False)
        raise NotValidOn(f"GLN {gln} was not valid on {iso}; it is valid {span}", known=True)
    record = cast(LocationNumberRecord, record_from_dict(json.loads(row[0])))
    first, count = connection.execute(
        "SELECT min(valid_from), count(*) FROM location_number_version WHERE gln = ?", (gln,)
    ).fetchone()
    validity = Validity(
        first_from=date.fromisoformat(first),
        valid_from=date.fromisoformat(row[1]),
        valid_to=date.fromisoformat(row[2]) if row[2] else None,
    )
    document = location_number_document(
        record, day=day, validity=validity, active=True, version_count=count, codes=codes
    )
    return record, document
