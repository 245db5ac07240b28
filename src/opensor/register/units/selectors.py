"""Reads of the versioned register: a unit as of a date, its ancestry, its effective values.

Every read takes a date (``as_of``); "now" is just today's date. Each lookup is an indexed
query on ``(unit, valid_from)`` among current rows, so reading any unit as of any date costs a
handful of index probes however large the register is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from opensor.domain.documents import unit_document
from opensor.domain.inheritance import EffectiveUnit, resolve_effective
from opensor.domain.records import LocationNumberRecord, UnitRecord
from opensor.register.units.mapping import (
    LOCATION_VERSION_FIELDS,
    UNIT_VERSION_FIELDS,
    location_record_from_row,
    unit_record_from_row,
)
from opensor.register.units.models import LocationNumberVersion, Unit, UnitVersion

__all__ = [
    "UnitNotFound",
    "UnitView",
    "location_number_owned_on",
    "unit_history",
    "unit_on",
    "unit_view_on",
]

MAX_DEPTH = 64
"""No real tree is this deep; a longer chain means a cycle in the data."""


class UnitNotFound(LookupError):
    """The unit does not exist, or did not exist on the date asked for."""

    def __init__(self, sor_id: int, day: date | None, message: str) -> None:
        self.sor_id = sor_id
        self.day = day
        super().__init__(message)


def unit_on(sor_id: int, day: date) -> UnitRecord | None:
    """The version of a unit valid on ``day``, or ``None``."""
    row = (
        UnitVersion.objects.valid_on(day)
        .filter(unit_id=sor_id)
        .values(*UNIT_VERSION_FIELDS)
        .first()
    )
    return unit_record_from_row(row) if row is not None else None


def location_number_owned_on(sor_id: int, day: date) -> LocationNumberRecord | None:
    """The location number a unit owns itself on ``day``, or ``None``."""
    row = (
        LocationNumberVersion.objects.valid_on(day)
        .filter(owner_id=sor_id)
        .order_by("location_number_id")
        .values(*LOCATION_VERSION_FIELDS)
        .first()
    )
    return location_record_from_row(row) if row is not None else None


def unit_history(sor_id: int) -> list[UnitRecord]:
    """Every current version of a unit, oldest first."""
    rows = UnitVersion.objects.current().filter(unit_id=sor_id).order_by("valid_from")
    return [unit_record_from_row(row) for row in rows.values(*UNIT_VERSION_FIELDS)]


@dataclass(frozen=True)
class UnitView:
    """A unit as of a date: its own version, its ancestry and its effective values."""

    day: date
    effective: EffectiveUnit
    location_numbers: dict[int, LocationNumberRecord]
    version_count: int

    @property
    def unit(self) -> UnitRecord:
        """The unit's own version on that date."""
        return self.effective.unit

    def as_dict(self) -> dict[str, Any]:
        """The JSON document ``sor unit`` prints: every field, the ancestry, provenance."""
        return unit_document(
            self.effective,
            day=self.day,
            own_location_number=self.location_numbers.get(self.unit.sor_id),
            version_count=self.version_count,
        )


def unit_view_on(sor_id: int, day: date) -> UnitView:
    """A unit with its ancestry and effective values as of ``day``.

    Raises :class:`UnitNotFound` with a message saying whether the unit is unknown or
    simply was not valid on that date (and when it was).
    """
    unit = unit_on(sor_id, day)
    if unit is None:
        raise UnitNotFound(sor_id, day, _not_found_message(sor_id, day))
    chain = [unit]
    while chain[-1].parent_sor_id is not None:
        if len(chain) > MAX_DEPTH:
            raise UnitNotFound(sor_id, day, f"the ancestry of {sor_id} loops (a cycle)")
        parent = unit_on(chain[-1].parent_sor_id, day)
        if parent is None:
            break  # the parent was not valid that day: a known real-world inconsistency
        chain.append(parent)
    numbers = {}
    for record in chain:
        number = location_number_owned_on(record.sor_id, day)
        if number is not None:
            numbers[record.sor_id] = number
        if number is not None or record.location_number_inherited is False:
            break
    count = UnitVersion.objects.current().filter(unit_id=sor_id).count()
    return UnitView(
        day=day,
        effective=resolve_effective(chain, numbers),
        location_numbers=numbers,
        version_count=count,
    )


def _not_found_message(sor_id: int, day: date) -> str:
    if not Unit.objects.filter(sor_id=sor_id).exists():
        return f"no unit has SOR-ID {sor_id}"
    periods = list(
        UnitVersion.objects.current()
        .filter(unit_id=sor_id)
        .order_by("valid_from")
        .values_list("valid_from", "valid_to")
    )
    first, last = periods[0][0], periods[-1][1]
    span = f"from {first}" + (f" until {last}" if last else " (still open)")
    return f"unit {sor_id} did not exist on {day}; it is valid {span}"
