"""Recording versions in the register without ever overwriting the past.

:class:`VersionRecorder` takes records (one version of a unit, one of a location number) and
records them bitemporally, in batches:

* a record whose valid time starts where a current version starts *corrects* that version
  (the old row is superseded in record time, the new one recorded), unless it is identical;
* a record that starts later opens a *new version*: the version it falls into is superseded
  and recorded again, closed the day the new one starts;
* a record never overlaps the current version that follows it (a future-dated change already
  in the register): its valid time is clipped to end where the next version starts.

Fields that SorTree does not carry (coordinates, CVR, message types …) are carried over from
the register's version, so re-importing an export loses nothing. The recorder collects counts
and :class:`~opensor.domain.findings.Finding` objects; it never commits: the caller's
transaction decides.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from opensor.domain.records import LocationNumberRecord, UnitRecord, Validity
from opensor.domain.sortree import carry_over_extensions, carry_over_location_extensions
from opensor.register.audit.models import ChangeSet
from opensor.register.units.bulk import RowInserter, location_inserters, unit_inserters
from opensor.register.units.mapping import (
    DATE_COLUMNS,
    JSON_COLUMNS,
    LOCATION_VERSION_FIELDS,
    UNIT_VERSION_FIELDS,
    PreparedUnit,
    location_record_from_row,
    location_record_from_values,
    location_row_hash,
    location_version_values,
    stored_location_row,
    stored_unit_row,
    unit_record_from_row,
    unit_record_from_values,
    unit_version_values,
)
from opensor.register.units.models import LocationNumberVersion, UnitVersion

__all__ = ["VersionRecorder"]

_BULK = 1000
_VALID_FROM = UNIT_VERSION_FIELDS.index("valid_from")


def _check_stored_form(
    inserter: RowInserter, columns: tuple[str, ...], record_time: tuple[str, ...]
) -> None:
    """The stored rows of mapping must hold the inserter's columns, adapted as it would."""
    if inserter.columns != (*columns, *record_time):
        raise RuntimeError(f"the inserter's columns are not {columns} + {record_time}")
    for column in columns:
        expected = "json" if column in JSON_COLUMNS else "date" if column in DATE_COLUMNS else None
        if inserter.kinds.get(column) != expected:
            raise RuntimeError(
                f"column {column} is stored as {inserter.kinds.get(column)}, but mapping writes "
                f"{expected}: update mapping.JSON_COLUMNS / DATE_COLUMNS"
            )


def _clip(validity: Validity, next_start: date | None) -> Validity:
    if next_start is None:
        return validity
    if validity.valid_to is None or validity.valid_to > next_start:
        return dataclasses.replace(validity, valid_to=next_start)
    return validity


class _Timeline:
    """The current versions of one unit or location number, ordered by start."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = sorted(rows, key=lambda r: r["valid_from"])

    def at_start(self, start: date) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["valid_from"] == start), None)

    def before(self, start: date) -> dict[str, Any] | None:
        earlier = [r for r in self.rows if r["valid_from"] < start]
        return earlier[-1] if earlier else None

    def next_start(self, start: date) -> date | None:
        later = [r["valid_from"] for r in self.rows if r["valid_from"] > start]
        return later[0] if later else None


class VersionRecorder:
    """Record unit and location-number versions for one change set, in batches."""

    def __init__(self, change_set: ChangeSet, recorded_at: datetime) -> None:
        self.change_set = change_set
        self.recorded_at = recorded_at
        self.counts: Counter[str] = Counter()
        self._superseded_units: list[int] = []
        self._superseded_locations: list[int] = []
        self._units, self._unit_versions = unit_inserters(UNIT_VERSION_FIELDS)
        self._locations, self._location_versions = location_inserters(LOCATION_VERSION_FIELDS)
        self._record_time = {
            "recorded_at": recorded_at,
            "recorded_by_id": change_set.pk,
            "superseded_at": None,
            "superseded_by_id": None,
        }
        # the record-time columns as stored, to complete the rows of mapping.stored_unit_row
        # and stored_location_row (which must adapt their columns as the inserters do)
        _check_stored_form(self._unit_versions, UNIT_VERSION_FIELDS, tuple(self._record_time))
        _check_stored_form(
            self._location_versions, LOCATION_VERSION_FIELDS, tuple(self._record_time)
        )
        self._unit_time_row = tuple(
            self._unit_versions.adapted(name, value) for name, value in self._record_time.items()
        )
        self._location_time_row = tuple(
            self._location_versions.adapted(name, value)
            for name, value in self._record_time.items()
        )
        self._seen_new_locations: set[str] = set()

    # -- units -----------------------------------------------------------------------------

    def record_units(
        self,
        batch: Sequence[tuple[UnitRecord, LocationNumberRecord | None]],
        *,
        owns_location_numbers: bool = True,
    ) -> None:
        """Record one batch of snapshot records: each unit with the location number it owns.

        With ``owns_location_numbers`` the batch says everything about which location number
        each unit owns: a number the register has for the unit but the batch does not is
        closed when the unit's new version starts.
        """
        ids = [unit.sor_id for unit, _ in batch]
        timelines = self._unit_timelines(ids)
        for unit, _ in batch:
            self._record_unit(unit, timelines.get(unit.sor_id))
        locations = [(location, unit) for unit, location in batch if location is not None]
        self._record_locations(locations)
        if owns_location_numbers:
            # Units new to the register own no location number there yet.
            self._close_dropped_locations(
                [
                    (unit.sor_id, location.gln if location else None, unit.validity.valid_from)
                    for unit, location in batch
                    if unit.sor_id in timelines
                ]
            )
        self.flush()

    def record_rows(self, batch: Sequence[PreparedUnit], *, new_only: bool = False) -> None:
        """Record one batch of snapshot units given as row values, as :meth:`record_units` does.

        Each item is a unit's :func:`~opensor.register.units.mapping.unit_row_values` and its own
        location number's :func:`~opensor.register.units.mapping.location_row_values` (made
        with the owner's validity) or ``None``; the batch says everything about which location
        number each unit owns. A unit or location number new to the register is written as it
        comes; one the register holds goes the way of :meth:`record_units`. ``new_only`` is the
        caller's word that none of them is in the register yet (an import into an empty
        register), which saves looking them up.
        """
        timelines = {} if new_only else self._unit_timelines([row[0] for row, _ in batch])
        created = 0
        if timelines:
            for row, _ in batch:
                timeline = timelines.get(row[0])
                if timeline is None:
                    self._add_unit_row(row)
                    created += 1
                else:
                    self._record_unit(unit_record_from_values(row), timeline)
        else:
            for row, _ in batch:
                self._add_unit_row(row)
            created = len(batch)
        if created:
            self.counts["units_created"] += created
        located = [(row, location) for row, location in batch if location is not None]
        if located:
            glns = [location[0] for _, location in located]
            numbers = {} if new_only else self._location_timelines(glns)
            for row, location in located:
                number = numbers.get(location[0])
                if number is None:
                    self._add_location(location[0])
                    stored = stored_location_row(location)
                    self._location_versions.rows.append(stored + self._location_time_row)
                    self.counts["location_numbers_created"] += 1
                else:
                    record = location_record_from_values(location)
                    self._record_location(record, unit_record_from_values(row), number)
        if timelines:
            self._close_dropped_locations(
                [
                    (row[0], location[0] if location else None, row[_VALID_FROM])
                    for row, location in batch
                    if row[0] in timelines
                ]
            )
        self.flush()

    def _add_unit_row(self, values: tuple[Any, ...]) -> None:
        self._units.rows.append((values[0], values[1], self.change_set.pk))
        self._unit_versions.rows.append(stored_unit_row(values) + self._unit_time_row)

    def _unit_timelines(self, ids: list[int]) -> dict[int, _Timeline]:
        rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for start in range(0, len(ids), _BULK):
            chunk = ids[start : start + _BULK]
            query = UnitVersion.objects.current().filter(unit_id__in=chunk)
            for row in query.values("id", *UNIT_VERSION_FIELDS):
                rows[row["unit_id"]].append(row)
        return {unit_id: _Timeline(unit_rows) for unit_id, unit_rows in rows.items()}

    def _record_unit(self, record: UnitRecord, timeline: _Timeline | None) -> None:
        if timeline is None:
            self._add_unit(record)
            self._add_unit_version(record)
            self.counts["units_created"] += 1
            return
        start = record.validity.valid_from
        same = timeline.at_start(start)
        template = same or timeline.before(start) or timeline.rows[0]
        record = carry_over_extensions(record, unit_record_from_row(template))
        record = record.with_changes(validity=_clip(record.validity, timeline.next_start(start)))
        if same is not None:
            if same["content_hash"] == unit_version_values(record)["content_hash"]:
                self.counts["units_unchanged"] += 1
                return
            self._superseded_units.append(same["id"])
            self.counts["unit_versions_corrected"] += 1
        else:
            previous = timeline.before(start)
            if previous is not None and (
                previous["valid_to"] is None or previous["valid_to"] > start
            ):
                self._superseded_units.append(previous["id"])
                closed = unit_record_from_row(previous)
                self._add_unit_version(
                    closed.with_changes(
                        validity=dataclasses.replace(closed.validity, valid_to=start)
                    )
                )
            self.counts["unit_versions_added"] += 1
        self._add_unit_version(record)

    def add_unit_history(
        self, versions: Sequence[UnitRecord], locations: Sequence[LocationNumberRecord]
    ) -> None:
        """Record the whole history of a unit new to the register (used by the demo loader)."""
        first = versions[0]
        self._add_unit(first)
        for version in versions:
            self._add_unit_version(version)
        for location in locations:
            self._add_location(location.gln)
            self._add_location_version(location, first.validity)
        self.counts["units_created"] += 1
        self.counts["unit_versions_added"] += len(versions) - 1
        if len(self._unit_versions.rows) >= _BULK:
            self.flush()

    def _add_unit(self, record: UnitRecord) -> None:
        self._units.add(
            {
                "sor_id": record.sor_id,
                "level": record.level.value,
                "created_by_id": self.change_set.pk,
            }
        )

    def _add_unit_version(self, record: UnitRecord) -> None:
        self._unit_versions.add({**unit_version_values(record), **self._record_time})

    def _add_location(self, gln: str) -> None:
        if gln not in self._seen_new_locations:
            self._seen_new_locations.add(gln)
            self._locations.add({"gln": gln, "created_by_id": self.change_set.pk})

    # -- location numbers ------------------------------------------------------------------

    def _location_timelines(self, glns: list[str]) -> dict[str, _Timeline]:
        rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for start in range(0, len(glns), _BULK):
            chunk = glns[start : start + _BULK]
            query = LocationNumberVersion.objects.current().filter(location_number_id__in=chunk)
            for row in query.values("id", *LOCATION_VERSION_FIELDS):
                rows[row["location_number_id"]].append(row)
        return {gln: _Timeline(gln_rows) for gln, gln_rows in rows.items()}

    def _record_locations(self, items: list[tuple[LocationNumberRecord, UnitRecord]]) -> None:
        timelines = self._location_timelines([location.gln for location, _ in items])
        for location, owner in items:
            self._record_location(location, owner, timelines.get(location.gln))

    def _record_location(
        self, record: LocationNumberRecord, owner: UnitRecord, timeline: _Timeline | None
    ) -> None:
        owner_validity = Validity(
            first_from=owner.validity.first_from,
            valid_from=owner.validity.first_from,
            valid_to=owner.validity.valid_to,
        )
        if timeline is None:
            self._add_location(record.gln)
            self._add_location_version(record, owner_validity)
            self.counts["location_numbers_created"] += 1
            return
        validity = record.validity or owner_validity
        start = validity.valid_from
        same = timeline.at_start(start)
        template = same or timeline.before(start) or timeline.rows[0]
        record = carry_over_location_extensions(record, location_record_from_row(template))
        values = location_version_values(record, owner_validity)
        next_start = timeline.next_start(start)
        if next_start is not None and (
            values["valid_to"] is None or values["valid_to"] > next_start
        ):
            values["valid_to"] = next_start
            values["content_hash"] = location_row_hash(values)
        if same is not None:
            if same["content_hash"] == values["content_hash"]:
                self.counts["location_numbers_unchanged"] += 1
                return
            self._superseded_locations.append(same["id"])
            self.counts["location_versions_corrected"] += 1
        else:
            previous = timeline.before(start)
            if previous is not None and (
                previous["valid_to"] is None or previous["valid_to"] > start
            ):
                self._close_location_row(previous, start)
            self.counts["location_versions_added"] += 1
        self._add_location_values(values)

    def _close_location_row(self, row: dict[str, Any], day: date) -> None:
        self._superseded_locations.append(row["id"])
        values = {name: row[name] for name in LOCATION_VERSION_FIELDS}
        values["valid_to"] = day
        values["content_hash"] = location_row_hash(values)
        self._add_location_values(values)

    def _close_dropped_locations(self, batch: Sequence[tuple[int, str | None, date]]) -> None:
        """Close the open location numbers of units (SOR-ID, GLN kept, start) not kept."""
        kept = {sor_id: gln for sor_id, gln, _ in batch if gln is not None}
        recorded = set(kept.values())
        starts = {sor_id: start for sor_id, _, start in batch}
        owners = list(starts)
        for start in range(0, len(owners), _BULK):
            chunk = owners[start : start + _BULK]
            open_rows = LocationNumberVersion.objects.current().filter(
                owner_id__in=chunk, valid_to__isnull=True
            )
            for row in open_rows.values("id", *LOCATION_VERSION_FIELDS):
                owner_id = row["owner_id"]
                if kept.get(owner_id) == row["location_number_id"]:
                    continue
                if row["location_number_id"] in recorded:
                    continue  # moved to another owner in this batch: already closed there
                day = max(starts[owner_id], row["valid_from"] + timedelta(days=1))
                self._close_location_row(row, day)
                self.counts["location_numbers_closed"] += 1

    def _add_location_version(self, record: LocationNumberRecord, owner_validity: Validity) -> None:
        self._add_location_values(location_version_values(record, owner_validity))

    def _add_location_values(self, values: dict[str, Any]) -> None:
        self._location_versions.add({**values, **self._record_time})

    # -- writing ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Write what is buffered: supersede old rows first, then insert the new ones."""
        if self._superseded_units:
            for start in range(0, len(self._superseded_units), _BULK):
                UnitVersion.objects.filter(
                    id__in=self._superseded_units[start : start + _BULK]
                ).update(superseded_at=self.recorded_at, superseded_by=self.change_set)
        if self._superseded_locations:
            for start in range(0, len(self._superseded_locations), _BULK):
                LocationNumberVersion.objects.filter(
                    id__in=self._superseded_locations[start : start + _BULK]
                ).update(superseded_at=self.recorded_at, superseded_by=self.change_set)
        # Parents before children and identities before versions, for the foreign keys.
        for inserter in (
            self._units,
            self._unit_versions,
            self._locations,
            self._location_versions,
        ):
            inserter.flush()
        self._superseded_units.clear()
        self._superseded_locations.clear()
