"""Fast multi-row inserts of version rows, portable across SQLite and PostgreSQL.

The import and the demo loader write tens of thousands of rows per second; building a Django
model instance per row and letting ``bulk_create`` prepare every field costs more than the
parsing. These writers take the column values that :mod:`~opensor.register.units.mapping`
produces, adapt them once with the connection's own adapters (dates, timestamps, JSON) and
insert them with ``executemany`` in the caller's transaction. Model constraints still apply:
the database checks every row.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, models

from opensor.register.units.mapping import json_column_value
from opensor.register.units.models import (
    LocationNumber,
    LocationNumberVersion,
    Unit,
    UnitVersion,
)

__all__ = ["RowInserter", "location_inserters", "unit_inserters"]


class RowInserter:
    """Inserts rows of one table given as dicts of column values (attribute names)."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.columns = tuple(columns)
        self._sql = "INSERT INTO {} ({}) VALUES ({})".format(
            connection.ops.quote_name(model._meta.db_table),
            ", ".join(connection.ops.quote_name(fields[c].column) for c in self.columns),
            ", ".join(["%s"] * len(self.columns)),
        )
        self._getter = operator.itemgetter(*self.columns)
        self.kinds = {
            column: kind for column in self.columns if (kind := _kind(fields[column])) is not None
        }
        """How the values of columns are adapted: ``json``, ``date`` or ``datetime``."""
        self._adapters = {column: _adapter(kind) for column, kind in self.kinds.items()}
        self._adapted = tuple(
            (position, self._adapters[column])
            for position, column in enumerate(self.columns)
            if column in self._adapters
        )
        self.rows: list[tuple[Any, ...]] = []
        """The buffered rows, adapted, in column order (append stored rows here directly)."""

    def add(self, values: dict[str, Any]) -> None:
        """Buffer one row."""
        row = list(self._getter(values))
        for position, adapt in self._adapted:
            row[position] = adapt(row[position])
        self.rows.append(tuple(row))

    def add_many(self, rows: Iterable[dict[str, Any]]) -> None:
        """Buffer several rows."""
        for values in rows:
            self.add(values)

    def adapted(self, column: str, value: Any) -> Any:
        """``value`` of ``column`` as this inserter writes it."""
        adapt = self._adapters.get(column)
        return value if adapt is None else adapt(value)

    def flush(self) -> int:
        """Insert the buffered rows; returns how many."""
        count = len(self.rows)
        if count:
            with connection.cursor() as cursor:
                cursor.executemany(self._sql, self.rows)
            self.rows.clear()
        return count


def _kind(field: models.Field) -> str | None:  # type: ignore[type-arg]
    if isinstance(field, models.JSONField):
        return "json"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    return None


def _adapter(kind: str) -> Callable[[Any], Any]:
    if kind == "json":
        return json_column_value
    if kind == "datetime":
        ops = connection.ops
        return lambda v: ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v
    return lambda v: v.isoformat() if isinstance(v, date) else v


_RECORD_TIME = ("recorded_at", "recorded_by_id", "superseded_at", "superseded_by_id")


def unit_inserters(unit_version_fields: Sequence[str]) -> tuple[RowInserter, RowInserter]:
    """Inserters for units and their versions."""
    return (
        RowInserter(Unit, ("sor_id", "level", "created_by_id")),
        RowInserter(UnitVersion, (*unit_version_fields, *_RECORD_TIME)),
    )


def location_inserters(location_fields: Sequence[str]) -> tuple[RowInserter, RowInserter]:
    """Inserters for location numbers and their versions."""
    return (
        RowInserter(LocationNumber, ("gln", "created_by_id")),
        RowInserter(LocationNumberVersion, (*location_fields, *_RECORD_TIME)),
    )
