"""The FHIR read and search interactions over a read model, and the dispatch of a GET.

A read is one primary-key lookup returning the stored bytes. A search builds one SQL query
from the parameters (:mod:`opensor.lookup.fhir.search`), pages by id (keyset: the ``next``
link carries every parameter plus ``_cursor``, the last id of the page) and writes the
``searchset`` Bundle around the stored bytes without parsing them.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from opensor.lookup.fhir.params import SearchParam, parse_count
from opensor.lookup.fhir.results import FhirError, FhirResult, dumps
from opensor.lookup.fhir.search import Query, ResourceSpec
from opensor.lookup.fhir.specs import SPECS

__all__ = [
    "DEFAULT_COUNT",
    "EMPTY_TYPES",
    "MAX_COUNT",
    "MAX_INCLUDED",
    "READ_SQL",
    "Context",
    "read",
    "search",
    "searchset",
    "version_of",
]

DEFAULT_COUNT = 50
MAX_COUNT = 1000
MAX_INCLUDED = 5000
"""At most this many resources are added to one page by ``_include``/``_revinclude``."""

EMPTY_TYPES = ("HealthcareService", "OrganizationAffiliation", "Practitioner", "PractitionerRole")
"""mCSD resource types the register holds no data for: they answer empty Bundles."""

_VERSION = re.compile(rb'"versionId":"([^"]+)"')
READ_SQL = {
    "Organization": "SELECT fhir_organization FROM unit WHERE sor_id = ?",
    "Location": "SELECT fhir_location, level FROM unit WHERE sor_id = ?",
    "Endpoint": "SELECT fhir_endpoint FROM location_number WHERE gln = ?",
}
"""The query reading a stored resource of each type by id (its first column: the bytes)."""

_PAGING = frozenset({"_count", "_cursor", "_include", "_revinclude", "_format"})


class Context:
    """What an interaction needs: the connection and the FHIR base URL (for links).

    ``base`` is a string or a function computing it, called only when a link is written (a
    read needs none).
    """

    __slots__ = ("_base", "connection")

    def __init__(self, connection: sqlite3.Connection, base: str | Callable[[], str]) -> None:
        self.connection = connection
        self._base = base

    @property
    def base(self) -> str:
        """The FHIR base URL, e.g. ``http://host/fhir``."""
        if not isinstance(self._base, str):
            self._base = self._base()
        return self._base

    def url(self, path: str, params: Sequence[tuple[str, str]] = ()) -> str:
        """An absolute URL under the FHIR base."""
        query = urlencode(list(params), quote_via=quote, safe="|:,/")
        return f"{self.base}/{path}" + (f"?{query}" if query else "")


def version_of(body: bytes) -> str | None:
    """The ``meta.versionId`` of stored resource bytes (written first in ``meta``)."""
    match = _VERSION.search(body, 0, 400)
    return match.group(1).decode() if match else None


def read(context: Context, resource_type: str, resource_id: str) -> FhirResult:
    """The stored resource, with ``ETag: W/"versionId"``; 404 with an OperationOutcome."""
    sql = READ_SQL.get(resource_type)
    if sql is None:
        if resource_type in EMPTY_TYPES:
            raise FhirError.not_found(
                resource_type, resource_id, f"the register holds no {resource_type} resources"
            )
        raise _unknown_type(resource_type)
    spec = SPECS[resource_type]
    key = spec.parse_id(resource_id)
    row = context.connection.execute(sql, (key,)).fetchone() if key is not None else None
    if row is None or row[0] is None:
        why = "an owner (IE) is an Organization only" if row is not None else ""
        raise FhirError.not_found(resource_type, resource_id, why)
    body = bytes(row[0])
    headers = {}
    version = version_of(body)
    if version is not None:
        headers["ETag"] = f'W/"{version}"'
    return FhirResult(200, body, headers)


def _unknown_type(resource_type: str) -> FhirError:
    supported = ", ".join([*SPECS, *EMPTY_TYPES])
    return FhirError(
        404, "not-supported", f"resource type {resource_type!r} is not served; served: {supported}"
    )


def searchset(
    context: Context,
    *,
    self_url: str,
    total: int,
    entries: Sequence[tuple[str, str, bytes]],
    next_url: str | None = None,
    outcome: dict[str, Any] | None = None,
) -> bytes:
    """A ``searchset`` Bundle around stored bytes: ``entries`` are (``Type/id``, mode, bytes)."""
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    head = dumps({"resourceType": "Bundle", "type": "searchset", "total": total, "link": links})
    parts = []
    for full_path, mode, body in entries:
        parts.append(
            b'{"fullUrl":'
            + dumps(f"{context.base}/{full_path}")
            + b',"resource":'
            + body
            + b',"search":{"mode":"'
            + mode.encode()
            + b'"}}'
        )
    if outcome is not None:
        parts.append(b'{"resource":' + dumps(outcome) + b',"search":{"mode":"outcome"}}')
    if not parts:
        return head
    return head[:-1] + b',"entry":[' + b",".join(parts) + b"]}"


def _parse_params(
    spec: ResourceSpec | None, items: Sequence[tuple[str, str]], connection: sqlite3.Connection
) -> tuple[Query, dict[str, list[str]], list[tuple[str, str]]]:
    query = Query()
    if spec is not None and spec.base_where != "1":
        query.add(spec.base_where)
    control: dict[str, list[str]] = {}
    kept: list[tuple[str, str]] = []
    for key, value in items:
        param = SearchParam.of(key, value)
        if param.name in _PAGING:
            if param.modifier:
                raise FhirError.bad_parameter(param.label, value, "takes no modifier")
            control.setdefault(param.name, []).append(value)
            if param.name not in ("_cursor", "_format"):
                kept.append((key, value))
            continue
        kept.append((key, value))
        if value == "":
            continue  # FHIR: a parameter without a value is ignored
        if spec is None:
            if param.name not in ("_id", "_lastUpdated"):
                raise FhirError.bad_parameter(
                    param.label, value, "not supported on this type (strict handling)"
                )
            continue
        spec.apply(param, query, connection)
    return query, control, kept


def _count(control: dict[str, list[str]]) -> int:
    values = control.get("_count", [])
    if len(values) > 1:
        raise FhirError.bad_parameter("_count", ",".join(values), "give it once")
    return parse_count("_count", values[0], maximum=MAX_COUNT) if values else DEFAULT_COUNT


def search(context: Context, resource_type: str, items: Sequence[tuple[str, str]]) -> FhirResult:
    """A search of ``resource_type`` with the query ``items`` → a searchset Bundle."""
    spec = SPECS.get(resource_type)
    if spec is None and resource_type not in EMPTY_TYPES:
        raise _unknown_type(resource_type)
    connection = context.connection
    query, control, kept = _parse_params(spec, items, connection)
    count = _count(control)
    self_url = context.url(resource_type, [*kept, *_cursor_items(control)])
    if spec is None:
        for name in ("_include", "_revinclude"):
            if control.get(name):
                raise FhirError.bad_parameter(name, control[name][0], "no such include here")
        return FhirResult(200, searchset(context, self_url=self_url, total=0, entries=[]))
    includes = _include_plan(spec, control)
    cursor_values = control.get("_cursor", [])
    where = query.sql()
    total = connection.execute(
        f"SELECT count(*) FROM {spec.table} WHERE {where}", query.args
    ).fetchone()[0]
    page_where, page_args = where, list(query.args)
    if cursor_values:
        cursor = spec.parse_id(cursor_values[-1])
        if cursor is None:
            raise FhirError.bad_parameter(
                "_cursor", cursor_values[-1], "not a cursor of this search"
            )
        page_where += f" AND {spec.id_column} > ?"
        page_args.append(cursor)
    rows = (
        connection.execute(
            f"SELECT {spec.id_column}, {spec.body_column}, {_extra_columns(spec)}"
            f" FROM {spec.table} WHERE {page_where} ORDER BY {spec.id_column} LIMIT ?",
            [*page_args, count + 1],
        ).fetchall()
        if count > 0
        else []
    )
    more = len(rows) > count
    rows = rows[:count]
    entries: list[tuple[str, str, bytes]] = [
        (f"{spec.type}/{row[0]}", "match", bytes(row[1])) for row in rows
    ]
    outcome = None
    if includes:
        extra, truncated = _included(connection, spec, rows, includes)
        entries.extend(extra)
        if truncated:
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [
                    {
                        "severity": "warning",
                        "code": "too-costly",
                        "diagnostics": f"only the first {MAX_INCLUDED} included resources "
                        "are in this page; ask for a smaller _count",
                    }
                ],
            }
    next_url = None
    if more:
        next_url = context.url(resource_type, [*kept, ("_cursor", str(rows[-1][0]))])
    body = searchset(
        context, self_url=self_url, total=total, entries=entries, next_url=next_url, outcome=outcome
    )
    return FhirResult(200, body)


def _cursor_items(control: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [("_cursor", value) for value in control.get("_cursor", [])]


# -- _include and _revinclude ------------------------------------------------------------------

_EXTRA = {
    "Organization": "u.parent_sor_id, u.gln, u.level",
    "Location": "u.parent_sor_id, u.gln, u.level",
    "Endpoint": "n.owner_sor_id, NULL, NULL",
}

# (search type, include value) → (target type, key taken from the page rows, SQL with {ids})
_INCLUDES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("Organization", "Organization:partof"): (
        "Organization",
        "parent",
        "SELECT sor_id, fhir_organization FROM unit WHERE sor_id IN ({ids})",
    ),
    ("Organization", "Organization:endpoint"): (
        "Endpoint",
        "gln",
        "SELECT gln, fhir_endpoint FROM location_number WHERE gln IN ({ids})",
    ),
    ("Location", "Location:organization"): (
        "Organization",
        "id",
        "SELECT sor_id, fhir_organization FROM unit WHERE sor_id IN ({ids})",
    ),
    ("Location", "Location:partof"): (
        "Location",
        "location_parent",
        "SELECT sor_id, fhir_location FROM unit WHERE sor_id IN ({ids})"
        " AND fhir_location IS NOT NULL",
    ),
    ("Location", "Location:endpoint"): (
        "Endpoint",
        "gln",
        "SELECT gln, fhir_endpoint FROM location_number WHERE gln IN ({ids})",
    ),
    ("Endpoint", "Endpoint:organization"): (
        "Organization",
        "owner",
        "SELECT sor_id, fhir_organization FROM unit WHERE sor_id IN ({ids})",
    ),
}
_REVINCLUDES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("Organization", "Organization:partof"): (
        "Organization",
        "id",
        "SELECT sor_id, fhir_organization FROM unit WHERE parent_sor_id IN ({ids}) ORDER BY sor_id",
    ),
    ("Organization", "Location:organization"): (
        "Location",
        "id",
        "SELECT sor_id, fhir_location FROM unit WHERE sor_id IN ({ids})"
        " AND fhir_location IS NOT NULL",
    ),
    ("Organization", "Endpoint:organization"): (
        "Endpoint",
        "id",
        "SELECT gln, fhir_endpoint FROM location_number WHERE owner_sor_id IN ({ids}) ORDER BY gln",
    ),
    ("Location", "Location:partof"): (
        "Location",
        "id",
        "SELECT sor_id, fhir_location FROM unit WHERE parent_sor_id IN ({ids})"
        " AND level = 'OE' ORDER BY sor_id",
    ),
    ("Endpoint", "Organization:endpoint"): (
        "Organization",
        "id",
        "SELECT sor_id, fhir_organization FROM unit WHERE gln IN ({ids}) ORDER BY sor_id",
    ),
    ("Endpoint", "Location:endpoint"): (
        "Location",
        "id",
        "SELECT sor_id, fhir_location FROM unit WHERE gln IN ({ids})"
        " AND fhir_location IS NOT NULL ORDER BY sor_id",
    ),
}


def include_values(resource_type: str) -> tuple[list[str], list[str]]:
    """The ``_include`` and ``_revinclude`` values a type supports."""
    return (
        [value for (kind, value) in _INCLUDES if kind == resource_type],
        [value for (kind, value) in _REVINCLUDES if kind == resource_type],
    )


def _extra_columns(spec: ResourceSpec) -> str:
    return _EXTRA[spec.type]


def _include_plan(spec: ResourceSpec, control: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    plan = []
    for name, table in (("_include", _INCLUDES), ("_revinclude", _REVINCLUDES)):
        for raw in control.get(name, []):
            for value in raw.split(","):
                entry = table.get((spec.type, value))
                if entry is None:
                    allowed = ", ".join(v for (kind, v) in table if kind == spec.type)
                    raise FhirError.bad_parameter(
                        name, raw, f"not supported on {spec.type}; supported: {allowed or 'none'}"
                    )
                plan.append(entry)
    return plan


def _keys(rows: Sequence[Any], key: str) -> list[Any]:
    values: list[Any] = []
    for row in rows:
        row_id, _body, parent, gln, level = row
        value = {
            "id": row_id,
            "parent": parent,
            "gln": gln,
            "owner": parent,
            "location_parent": parent if level == "OE" else None,
        }[key]
        if value is not None:
            values.append(value)
    return list(dict.fromkeys(values))


def _included(
    connection: sqlite3.Connection,
    spec: ResourceSpec,
    rows: Sequence[Any],
    plan: list[tuple[str, str, str]],
) -> tuple[list[tuple[str, str, bytes]], bool]:
    seen = {(spec.type, str(row[0])) for row in rows}
    found: list[tuple[str, str, bytes]] = []
    for target, key, sql in plan:
        keys = _keys(rows, key)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            statement = sql.format(ids=", ".join("?" * len(chunk)))
            for target_id, body in connection.execute(statement, chunk):
                mark = (target, str(target_id))
                if body is None or mark in seen:
                    continue
                if len(found) >= MAX_INCLUDED:
                    return found, True
                seen.add(mark)
                found.append((f"{target}/{target_id}", "include", bytes(body)))
    return found, False
