"""A unit as of any date, resolved from a read model's version tables.

The read model holds every current version of every unit and location number
(``unit_version``, ``location_number_version``). :class:`VersionResolver` reads a unit as of a
day from them exactly as :func:`opensor.register.units.selectors.unit_view_on` reads it from
the register (same chain, same location-number rule, same document), with one primary-key
probe per unit in the chain. The publisher uses it for the units that are not valid on the
publication date and for the documents of future-dated changes in the change feed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from opensor.domain.documents import unit_document
from opensor.domain.inheritance import EffectiveUnit, resolve_effective
from opensor.domain.records import LocationNumberRecord, UnitRecord, record_from_dict

__all__ = ["MAX_DEPTH", "ResolvedUnit", "VersionResolver"]

MAX_DEPTH = 64
"""No real tree is this deep; a longer chain means a cycle in the data."""


@dataclass(frozen=True)
class ResolvedUnit:
    """A unit as of ``day``: its effective values, own location number and document."""

    day: date
    effective: EffectiveUnit
    own_location_number: LocationNumberRecord | None
    own_location_numbers: tuple[str, ...]
    version_count: int

    def document(self) -> dict[str, Any]:
        """The unit document (as ``sor unit --as-of day`` prints it)."""
        return unit_document(
            self.effective,
            day=self.day,
            own_location_number=self.own_location_number,
            version_count=self.version_count,
        )


class VersionResolver:
    """Resolve units as of a day from the version tables of a read model (open connection)."""

    def __init__(self, connection: sqlite3.Connection, schema: str = "main") -> None:
        """Read from ``connection``; ``schema`` names an attached database if not ``main``."""
        self.connection = connection
        self.schema = schema

    def unit_on(self, sor_id: int, day: date) -> UnitRecord | None:
        """The version of a unit valid on ``day``, or ``None``."""
        text = day.isoformat()
        row = self.connection.execute(
            f"SELECT record FROM {self.schema}.unit_version WHERE sor_id = ? AND valid_from <= ?"
            " AND (valid_to IS NULL OR valid_to > ?) ORDER BY valid_from DESC LIMIT 1",
            (sor_id, text, text),
        ).fetchone()
        if row is None:
            return None
        record = record_from_dict(json.loads(row[0]))
        assert isinstance(record, UnitRecord)
        return record

    def numbers_owned_on(self, sor_id: int, day: date) -> list[LocationNumberRecord]:
        """The location numbers a unit owns on ``day``, in GLN order."""
        text = day.isoformat()
        rows = self.connection.execute(
            f"SELECT record FROM {self.schema}.location_number_version WHERE owner_sor_id = ?"
            " AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) ORDER BY gln",
            (sor_id, text, text),
        ).fetchall()
        numbers = []
        for (record_text,) in rows:
            record = record_from_dict(json.loads(record_text))
            assert isinstance(record, LocationNumberRecord)
            numbers.append(record)
        return numbers

    def version_count(self, sor_id: int) -> int:
        """How many current versions the unit has."""
        row = self.connection.execute(
            f"SELECT count(*) FROM {self.schema}.unit_version WHERE sor_id = ?", (sor_id,)
        ).fetchone()
        return int(row[0])

    def resolve(self, sor_id: int, day: date) -> ResolvedUnit | None:
        """The unit with its ancestry and effective values as of ``day`` (``None``: not valid).

        The ancestry stops below an ancestor that is not valid on the day, and after
        :data:`MAX_DEPTH` ancestors (a cycle), as the register's selector does.
        """
        unit = self.unit_on(sor_id, day)
        if unit is None:
            return None
        chain = [unit]
        while chain[-1].parent_sor_id is not None and len(chain) <= MAX_DEPTH:
            parent = self.unit_on(chain[-1].parent_sor_id, day)
            if parent is None:
                break
            chain.append(parent)
        numbers: dict[int, LocationNumberRecord] = {}
        own_glns: tuple[str, ...] = ()
        for position, record in enumerate(chain):
            owned = self.numbers_owned_on(record.sor_id, day)
            if position == 0:
                own_glns = tuple(number.gln for number in owned)
            if owned:
                numbers[record.sor_id] = owned[0]
            if owned or record.location_number_inherited is False:
                break
        return ResolvedUnit(
            day=day,
            effective=resolve_effective(chain, numbers),
            own_location_number=numbers.get(sor_id),
            own_location_numbers=own_glns,
            version_count=self.version_count(sor_id),
        )
