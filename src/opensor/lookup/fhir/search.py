"""FHIR search as SQL: the query, the per-type specification and the shared handlers.

Each resource type is a :class:`ResourceSpec` (see :mod:`opensor.lookup.fhir.specs`): its
table, its id column, the column holding the stored resource, and a handler per search
parameter that adds one ``AND`` condition to a :class:`Query`. Handlers turn FHIR's
comma-separated "or" into SQL ``OR``; repeating a parameter gives ``AND``. Results are ordered
by id so that paging is a keyset (``id > last``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opensor.lookup.fhir.params import (
    SearchParam,
    parse_date_param,
    parse_reference,
    parse_token,
    split_or,
)
from opensor.lookup.fhir.results import FhirError
from opensor.publication.schema import fold_danish

__all__ = [
    "Handler",
    "Query",
    "ResourceSpec",
    "bool_active",
    "identifier",
    "ids",
    "last_updated",
    "name",
    "partof",
    "reference_in",
    "status",
]

_FALSE = "0"


@dataclass
class Query:
    """``AND``-ed SQL conditions with their arguments."""

    where: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def add(self, sql: str, args: list[Any] | tuple[Any, ...] = ()) -> None:
        """Add one condition."""
        self.where.append(sql)
        self.args.extend(args)

    def any_of(self, parts: list[tuple[str, list[Any]]]) -> None:
        """Add the ``OR`` of several conditions (none: nothing matches)."""
        if not parts:
            self.add(_FALSE)
            return
        self.add("(" + " OR ".join(sql for sql, _ in parts) + ")")
        for _, args in parts:
            self.args.extend(args)

    def sql(self) -> str:
        """The ``WHERE`` clause body."""
        return " AND ".join(self.where) if self.where else "1"


Handler = Callable[["ResourceSpec", SearchParam, Query, sqlite3.Connection], None]


@dataclass(frozen=True)
class ResourceSpec:
    """How one resource type is searched."""

    type: str
    table: str
    id_column: str
    body_column: str
    base_where: str
    numeric_id: bool
    params: dict[str, tuple[Handler, frozenset[str]]]
    """Parameter name → (handler, allowed modifiers; ``""`` for none)."""
    definitions: dict[str, tuple[str, str]]
    """Parameter name → (FHIR search parameter type, documentation) for the capabilities."""

    def parse_id(self, value: str) -> Any | None:
        """The id as the column holds it, or ``None`` when it cannot name a row."""
        if self.numeric_id:
            return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None
        return value

    def apply(self, param: SearchParam, query: Query, connection: sqlite3.Connection) -> None:
        """Add ``param``'s condition, or raise a 400 for an unknown parameter or modifier."""
        entry = self.params.get(param.name)
        if entry is None:
            known = ", ".join(sorted(self.params))
            raise FhirError.bad_parameter(
                param.label,
                param.value,
                f"{self.type} does not support this search parameter (strict handling); "
                f"supported: {known}",
            )
        handler, modifiers = entry
        if (param.modifier or "") not in modifiers:
            allowed = ", ".join(f":{m}" for m in sorted(modifiers) if m) or "none"
            raise FhirError.bad_parameter(
                param.label, param.value, f"modifier not supported; allowed modifiers: {allowed}"
            )
        handler(self, param, query, connection)


# -- handlers shared by several types ---------------------------------------------------------


def ids(spec: ResourceSpec, param: SearchParam, query: Query, _: sqlite3.Connection) -> None:
    """``_id``: the id column is one of the values."""
    values = [i for i in (spec.parse_id(v) for v in split_or(param.value)) if i is not None]
    if not values:
        query.add(_FALSE)
        return
    query.add(f"{spec.id_column} IN ({', '.join('?' * len(values))})", values)


def last_updated(column: str) -> Handler:
    """``_lastUpdated`` on ``column`` (an ISO timestamp), with FHIR date prefixes."""

    def handler(_: ResourceSpec, param: SearchParam, query: Query, __: sqlite3.Connection) -> None:
        parts = []
        for bound in parse_date_param(param):
            start = bound.start.strftime("%Y-%m-%d %H:%M:%S.%f")
            end = bound.end.strftime("%Y-%m-%d %H:%M:%S.%f")
            value = f"julianday({column})"
            sql = {
                "eq": f"({value} >= julianday(?) AND {value} < julianday(?))",
                "ne": f"({value} < julianday(?) OR {value} >= julianday(?))",
                "gt": f"{value} >= julianday(?)",
                "ge": f"{value} >= julianday(?)",
                "lt": f"{value} < julianday(?)",
                "le": f"{value} < julianday(?)",
            }[bound.prefix]
            args = {
                "eq": [start, end],
                "ne": [start, end],
                "gt": [end],
                "ge": [start],
                "lt": [start],
                "le": [end],
            }[bound.prefix]
            parts.append((sql, args))
        query.any_of(parts)

    return handler


def name(column_folded: str, column: str) -> Handler:
    """A string parameter: starts with (folded), ``:contains`` (folded), ``:exact``."""

    def handler(_: ResourceSpec, param: SearchParam, query: Query, __: sqlite3.Connection) -> None:
        parts: list[tuple[str, list[Any]]] = []
        for value in split_or(param.value):
            if param.modifier == "exact":
                parts.append((f"{column} = ?", [value]))
                continue
            folded = fold_danish(value)
            if param.modifier == "contains":
                parts.append((f"instr({column_folded}, ?) > 0", [folded]))
            else:
                parts.append(
                    (f"({column_folded} >= ? AND {column_folded} < ?)", [folded, folded + "\uffff"])
                )
        query.any_of(parts)

    return handler


def reference_in(column: str, target: str, numeric: bool = True) -> Handler:
    """A reference parameter: ``column`` is one of the referenced ids."""

    def handler(_: ResourceSpec, param: SearchParam, query: Query, __: sqlite3.Connection) -> None:
        ids: list[Any] = []
        for value in split_or(param.value):
            found = parse_reference(param, value, target)
            if numeric:
                if found.isdigit() and len(found) < 19:
                    ids.append(int(found))
            else:
                ids.append(found)
        if not ids:
            query.add(_FALSE)
            return
        query.add(f"{column} IN ({', '.join('?' * len(ids))})", ids)

    return handler


def _unit_paths(
    connection: sqlite3.Connection, param: SearchParam, target: str, *, locations_only: bool
) -> list[str]:
    paths = []
    for value in split_or(param.value):
        found = parse_reference(param, value, target)
        if not (found.isdigit() and len(found) < 19):
            continue
        row = connection.execute(
            "SELECT path, level FROM unit WHERE sor_id = ?", (int(found),)
        ).fetchone()
        if row is not None and not (locations_only and row[1] == "IE"):
            paths.append(row[0])
    return paths


def partof(target: str, *, locations_only: bool) -> Handler:
    """``partof`` with ``:below`` and ``:above`` over the unit tree (paths)."""
    plain = reference_in("u.parent_sor_id", target)

    def handler(
        spec: ResourceSpec, param: SearchParam, query: Query, connection: sqlite3.Connection
    ) -> None:
        if locations_only:
            query.add("u.level = 'OE'")
        if param.modifier is None:
            if locations_only:
                # Only a Location can be partOf another: the named unit must have one.
                paths = _unit_paths(connection, param, target, locations_only=True)
                ids = [int(path.rstrip("/").rsplit("/", 1)[-1]) for path in paths]
                if not ids:
                    query.add(_FALSE)
                    return
                query.add(f"u.parent_sor_id IN ({', '.join('?' * len(ids))})", ids)
                return
            plain(spec, param, query, connection)
            return
        paths = _unit_paths(connection, param, target, locations_only=locations_only)
        if param.modifier == "below":
            # Descendants: paths that extend the named unit's path ('/' sorts just before '0').
            query.any_of([("(u.path > ? AND u.path < ?)", [p, p[:-1] + "0"]) for p in paths])
            return
        # above: partOf the named unit or any unit it is part of (FHIR's hierarchy search).
        ancestry = sorted({int(i) for p in paths for i in p.strip("/").split("/") if i})
        if not ancestry:
            query.add(_FALSE)
            return
        query.add(f"u.parent_sor_id IN ({', '.join('?' * len(ancestry))})", ancestry)

    return handler


def bool_active(column: str) -> Handler:
    """A ``true``/``false`` token on a 0/1 column."""

    def handler(_: ResourceSpec, param: SearchParam, query: Query, __: sqlite3.Connection) -> None:
        values = []
        for value in split_or(param.value):
            if value not in ("true", "false"):
                raise FhirError.bad_parameter(param.label, param.value, "expected true or false")
            values.append(1 if value == "true" else 0)
        query.add(f"{column} IN ({', '.join('?' * len(values))})", values)

    return handler


def status(column: str, allowed: tuple[str, ...], mapping: dict[str, int] | None) -> Handler:
    """A status token from ``allowed``, mapped to column values by ``mapping``."""

    def handler(_: ResourceSpec, param: SearchParam, query: Query, __: sqlite3.Connection) -> None:
        parts: list[tuple[str, list[Any]]] = []
        for value in split_or(param.value):
            if value not in allowed:
                raise FhirError.bad_parameter(
                    param.label, param.value, "expected one of " + ", ".join(allowed)
                )
            if mapping is None:
                parts.append((f"{column} = ?", [value]))
            elif value in mapping:
                parts.append((f"{column} = ?", [mapping[value]]))
        query.any_of(parts)

    return handler


def identifier(systems: dict[str, tuple[str, str, bool]]) -> Handler:
    """A handler for identifiers of the given systems.

    ``systems`` maps each identifier system to (condition with one ``?``, condition for "has
    one", whether the value is numeric).
    """

    def one(system: str, code: str | None) -> tuple[str, list[Any]] | None:
        sql, present, numeric = systems[system]
        if code is None:
            return present, []
        if numeric:
            if not (code.isascii() and code.isdigit() and len(code) < 19):
                return None
            return sql, [int(code)]
        return sql, [code]

    def handler(_: ResourceSpec, param: SearchParam, query: Query, __: sqlite3.Connection) -> None:
        parts: list[tuple[str, list[Any]]] = []
        for value in split_or(param.value):
            system, code = parse_token(value)
            if system is None:
                chosen = list(systems)
            elif system in systems:
                chosen = [system]
            else:
                chosen = []
            if code is None and system is None:
                continue
            for name in chosen:
                part = one(name, code)
                if part is not None:
                    parts.append(part)
        query.any_of(parts)

    return handler
