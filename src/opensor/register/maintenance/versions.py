"""Recording one unit's or location number's new versions in valid time and record time.

Maintenance writes touch one timeline at a time. The rules, the same for units and location
numbers:

* a change *from* a day replaces the version valid on that day from that day on: the old row
  is superseded, and recorded again ending the day before when it started earlier; the new
  version ends where the old one ended, so changes already planned for later dates stay;
* closing on a day ends the version valid then and withdraws every version planned after it;
* reopening on a day starts a new open version after the last closed one.

Rows are never updated except to mark them superseded, and never deleted.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from django.db.models import Model, Q

from opensor.register.audit.models import ChangeSet
from opensor.register.prepared import PreparedSelect, insert_many, update_row
from opensor.register.units.mapping import (
    LOCATION_VERSION_FIELDS,
    UNIT_VERSION_FIELDS,
    location_row_hash,
    unit_record_from_row,
    unit_version_values,
)
from opensor.register.units.models import LocationNumberVersion, UnitVersion

__all__ = ["Timeline", "location_etag", "location_timeline", "unit_etag", "unit_timeline"]


class _Queries:
    """The prepared statements of one kind of timeline (units or location numbers)."""

    def __init__(self, model: type[Model], key_field: str, fields: tuple[str, ...]) -> None:
        self.key_field = key_field
        self.fields = fields
        manager = model.objects  # type: ignore[attr-defined]
        self.current = PreparedSelect(
            lambda key: (
                manager.filter(Q(superseded_at__isnull=True), **{key_field: key})
                .order_by("valid_from")
                .values("id", *fields)
            )
        )
        # the newest row through the (key, id) index: one probe, however long the history
        self.newest = PreparedSelect(
            lambda key: manager.filter(**{key_field: key}).order_by("-id").values("id")[:1]
        )


# compiled on first use (each PreparedSelect compiles when it first runs)
_QUERIES: dict[type[Model], _Queries] = {
    UnitVersion: _Queries(UnitVersion, "unit_id", UNIT_VERSION_FIELDS),
    LocationNumberVersion: _Queries(
        LocationNumberVersion, "location_number_id", LOCATION_VERSION_FIELDS
    ),
}


def _etag(model: type[Model], key: Any) -> str:
    newest = _QUERIES[model].newest.rows(key)
    return f'"{key}.{newest[0]["id"] if newest else 0}"'


@dataclasses.dataclass
class Timeline:
    """The current version rows of one unit or location number, oldest first."""

    model: type[Model]
    key_field: str
    key: Any
    fields: tuple[str, ...]
    rows: list[dict[str, Any]]
    inserted_ids: list[int] = dataclasses.field(default_factory=list)

    def etag(self) -> str:
        """The version tag of the timeline: it changes with every write (``If-Match``)."""
        return _etag(self.model, self.key)

    def valid_on(self, day: date) -> dict[str, Any] | None:
        """The row valid on ``day``, if any."""
        for row in self.rows:
            if row["valid_from"] <= day and (row["valid_to"] is None or day < row["valid_to"]):
                return row
        return None

    def last(self) -> dict[str, Any] | None:
        """The latest row."""
        return self.rows[-1] if self.rows else None

    # -- writing -------------------------------------------------------------------------

    def _supersede(self, row: dict[str, Any], change_set: ChangeSet, at: datetime) -> None:
        update_row(self.model, row["id"], superseded_at=at, superseded_by=change_set)

    def _insert(self, values: dict[str, Any], change_set: ChangeSet, at: datetime) -> None:
        self._insert_many([values], change_set, at)

    def _insert_many(self, rows: list[dict[str, Any]], change_set: ChangeSet, at: datetime) -> None:
        objects = []
        for values in rows:
            if self.model is LocationNumberVersion:
                values = {**values, "content_hash": location_row_hash(values)}
            else:
                values = unit_version_values(unit_record_from_row(values))
            objects.append(self.model(**values, recorded_at=at, recorded_by=change_set))
        self.inserted_ids += [row.pk for row in insert_many(objects) if row.pk is not None]

    def etag_after_write(self) -> str:
        """The version tag after this timeline's writes (from the ids it inserted)."""
        if self.inserted_ids:
            return f'"{self.key}.{max(self.inserted_ids)}"'
        return self.etag()

    def _row_values(self, row: dict[str, Any], **changes: Any) -> dict[str, Any]:
        values = {name: row[name] for name in self.fields}
        values.update(changes)
        return values

    def change_from(
        self, day: date, values: dict[str, Any], change_set: ChangeSet, at: datetime
    ) -> None:
        """Record ``values`` (a full row, validity aside) as valid from ``day``.

        ``day`` must lie in a current version's valid time.
        """
        row = self.valid_on(day)
        if row is None:
            raise ValueError(f"no version of {self.key} is valid on {day}")
        self._supersede(row, change_set, at)
        rows = []
        if row["valid_from"] < day:
            rows.append(self._row_values(row, valid_to=day))
        rows.append({**values, "valid_from": day, "valid_to": row["valid_to"]})
        self._insert_many(rows, change_set, at)

    def close_on(self, day: date, change_set: ChangeSet, at: datetime) -> None:
        """End the version valid before ``day`` on ``day``; withdraw versions planned later."""
        for row in list(self.rows):
            if row["valid_from"] >= day:
                self._supersede(row, change_set, at)
            elif row["valid_to"] is None or row["valid_to"] > day:
                self._supersede(row, change_set, at)
                self._insert(self._row_values(row, valid_to=day), change_set, at)

    def reopen_on(
        self, day: date, values: dict[str, Any], change_set: ChangeSet, at: datetime
    ) -> None:
        """Start a new open version on ``day`` (after the last version has closed)."""
        self._insert({**values, "valid_from": day, "valid_to": None}, change_set, at)


def _timeline(model: type[Model], key: Any) -> Timeline:
    queries = _QUERIES[model]
    rows = queries.current.rows(key)
    return Timeline(model, queries.key_field, key, queries.fields, rows)


def unit_timeline(sor_id: int) -> Timeline:
    """The current versions of a unit."""
    return _timeline(UnitVersion, sor_id)


def location_timeline(gln: str) -> Timeline:
    """The current versions of a location number."""
    return _timeline(LocationNumberVersion, gln)


def unit_etag(sor_id: int) -> str:
    """The version tag of a unit (as :meth:`Timeline.etag`, without reading its versions)."""
    return _etag(UnitVersion, sor_id)


def location_etag(gln: str) -> str:
    """The version tag of a location number (without reading its versions)."""
    return _etag(LocationNumberVersion, gln)
