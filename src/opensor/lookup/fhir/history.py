"""The FHIR history (IHE mCSD ITI-91, "Request Care Services Updates") from the change feed.

Every event of the publication's change feed (``change_event``) on a unit is a version of
its Organization (and, for an SI or OE, of its Location); every event on a location number is
a version of its Endpoint. The resource of each version is rebuilt with the domain mapping
from the version records, as of the day the change took effect
(:func:`opensor.domain.fhir.effective_on`):

* ``meta.lastUpdated`` is the time the event was published (``change_event.recorded_at``),
  so ``_since`` = the time of the previous poll finds every change published since, however
  long ago the register recorded it;
* ``meta.versionId`` is the content version id (:func:`opensor.domain.fhir.content_version_id`);
* the entry's ``request`` is ``POST`` for a creation, ``DELETE`` for a closure (no resource,
  as FHIR records deletions) and ``PUT`` otherwise.

Entries come newest first and are paged by ``seq`` (``_cursor`` = the last seq of a page).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from opensor.domain.codelists import CodeLists
from opensor.domain.fhir import (
    OwnedNumber,
    effective_on,
    endpoint_resource,
    history_method,
    location_resource,
    organization_resource,
)
from opensor.domain.fhir.datatypes import instant
from opensor.domain.fhir.history import number_on
from opensor.domain.personal import public_effective
from opensor.domain.records import LocationNumberRecord, UnitRecord, record_from_dict
from opensor.lookup.fhir.interactions import EMPTY_TYPES, MAX_COUNT, Context, _unknown_type
from opensor.lookup.fhir.params import SearchParam, parse_count, parse_since
from opensor.lookup.fhir.results import FhirError, FhirResult, dumps, reason_phrase
from opensor.lookup.fhir.specs import SPECS

__all__ = ["DEFAULT_HISTORY_COUNT", "history"]

DEFAULT_HISTORY_COUNT = 100

_ENTITY = {"Organization": "unit", "Location": "unit", "Endpoint": "location_number"}
_STATUS = {"POST": 201, "PUT": 200, "DELETE": 204}


class _Records:
    """Version records read from the read model, cached for one request."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self._units: dict[int, list[UnitRecord]] = {}
        self._owned: dict[int, list[OwnedNumber]] = {}

    def versions_of(self, sor_id: int) -> list[UnitRecord]:
        if sor_id not in self._units:
            rows = self.connection.execute(
                "SELECT record FROM unit_version WHERE sor_id = ? ORDER BY valid_from", (sor_id,)
            )
            self._units[sor_id] = [_unit(text) for (text,) in rows]
        return self._units[sor_id]

    def numbers_owned_by(self, sor_id: int) -> list[OwnedNumber]:
        if sor_id not in self._owned:
            rows = self.connection.execute(
                "SELECT record, valid_from, valid_to FROM location_number_version"
                " WHERE owner_sor_id = ? ORDER BY gln, valid_from",
                (sor_id,),
            )
            self._owned[sor_id] = [_owned(*row) for row in rows]
        return self._owned[sor_id]

    def number_versions(self, gln: str) -> list[OwnedNumber]:
        rows = self.connection.execute(
            "SELECT record, valid_from, valid_to FROM location_number_version WHERE gln = ?"
            " ORDER BY valid_from",
            (gln,),
        )
        return [_owned(*row) for row in rows]


def _unit(text: str) -> UnitRecord:
    record = record_from_dict(json.loads(text))
    assert isinstance(record, UnitRecord)
    return record


def _owned(text: str, valid_from: str, valid_to: str | None) -> OwnedNumber:
    record = record_from_dict(json.loads(text))
    assert isinstance(record, LocationNumberRecord)
    return OwnedNumber(
        record, date.fromisoformat(valid_from), date.fromisoformat(valid_to) if valid_to else None
    )


def _parse(items: Sequence[tuple[str, str]]) -> tuple[datetime | None, int, int | None]:
    since: datetime | None = None
    count = DEFAULT_HISTORY_COUNT
    cursor: int | None = None
    for key, value in items:
        param = SearchParam.of(key, value)
        if param.modifier:
            raise FhirError.bad_parameter(param.label, value, "takes no modifier")
        if param.name == "_since":
            since = parse_since("_since", value)
        elif param.name == "_count":
            count = parse_count("_count", value, maximum=MAX_COUNT)
        elif param.name == "_cursor":
            if not (value.isascii() and value.isdigit()):
                raise FhirError.bad_parameter("_cursor", value, "not a cursor of this history")
            cursor = int(value)
        elif param.name == "_format":
            continue
        else:
            raise FhirError.bad_parameter(
                param.label,
                value,
                "the history takes _since, _count and _cursor only (strict handling)",
            )
    return since, count, cursor


def history(
    context: Context,
    codes: CodeLists,
    resource_type: str,
    resource_id: str | None,
    items: Sequence[tuple[str, str]],
) -> FhirResult:
    """``[type]/_history`` (``resource_id`` ``None``) or ``[type]/[id]/_history``."""
    since, count, cursor = _parse(items)
    kept = [(k, v) for k, v in items if SearchParam.of(k, v).name in ("_since", "_count")]
    path = f"{resource_type}/{resource_id}/_history" if resource_id else f"{resource_type}/_history"
    self_url = context.url(path, [*kept, *([("_cursor", str(cursor))] if cursor else [])])
    if resource_type in EMPTY_TYPES:
        if resource_id is not None:
            raise FhirError.not_found(
                resource_type, resource_id, f"the register holds no {resource_type} resources"
            )
        return FhirResult(200, _bundle(self_url, 0, [], None))
    if resource_type not in SPECS:
        raise _unknown_type(resource_type)
    connection = context.connection
    where, args = _where(connection, resource_type, resource_id)
    if since is not None:
        where += " AND julianday(e.recorded_at) >= julianday(?)"
        args.append(since.strftime("%Y-%m-%d %H:%M:%S.%f"))
    total = connection.execute(
        f"SELECT count(*) FROM change_event e WHERE {where}", args
    ).fetchone()[0]
    page_where, page_args = where, list(args)
    if cursor is not None:
        page_where += " AND e.seq < ?"
        page_args.append(cursor)
    rows = (
        connection.execute(
            "SELECT e.seq, e.id, e.kind, e.effective_date, e.recorded_at FROM change_event e"
            f" WHERE {page_where} ORDER BY e.seq DESC LIMIT ?",
            [*page_args, count + 1],
        ).fetchall()
        if count > 0
        else []
    )
    more = len(rows) > count
    rows = rows[:count]
    records = _Records(connection)
    entries = [_entry(context, codes, records, resource_type, *row) for row in rows]
    next_url = context.url(path, [*kept, ("_cursor", str(rows[-1][0]))]) if more else None
    return FhirResult(200, _bundle(self_url, total, entries, next_url))


def _where(
    connection: sqlite3.Connection, resource_type: str, resource_id: str | None
) -> tuple[str, list[Any]]:
    entity = _ENTITY[resource_type]
    if resource_id is None:
        if resource_type == "Location":
            return (
                "e.entity = 'unit' AND EXISTS (SELECT 1 FROM unit u"
                " WHERE u.sor_id = CAST(e.id AS INTEGER) AND u.level != 'IE')",
                [],
            )
        return "e.entity = ?", [entity]
    spec = SPECS[resource_type]
    key = spec.parse_id(resource_id)
    if resource_type == "Endpoint":
        exists = connection.execute(
            "SELECT 1 FROM location_number WHERE gln = ?", (resource_id,)
        ).fetchone()
    else:
        exists = (
            connection.execute(
                "SELECT 1 FROM unit WHERE sor_id = ?"
                + (" AND level != 'IE'" if resource_type == "Location" else ""),
                (key,),
            ).fetchone()
            if key is not None
            else None
        )
    if exists is None:
        raise FhirError.not_found(resource_type, resource_id)
    return "e.entity = ? AND e.id = ?", [entity, str(key)]


def _entry(
    context: Context,
    codes: CodeLists,
    records: _Records,
    resource_type: str,
    seq: int,
    entity_id: str,
    kind: str,
    effective_date: str,
    recorded_at: str,
) -> dict[str, Any]:
    day = date.fromisoformat(effective_date)
    published = datetime.fromisoformat(recorded_at)
    resource = _resource(codes, records, resource_type, entity_id, day, published)
    active = _is_active(resource)
    method = history_method(kind, active=active)
    url = f"{resource_type}/{entity_id}"
    entry: dict[str, Any] = {"fullUrl": f"{context.base}/{url}"}
    response: dict[str, Any] = {
        "status": reason_phrase(_STATUS[method]),
        "lastModified": instant(published),
    }
    if method != "DELETE" and resource is not None:
        entry["resource"] = resource
        response["etag"] = f'W/"{resource["meta"]["versionId"]}"'
    entry["request"] = {"method": method, "url": resource_type if method == "POST" else url}
    entry["response"] = response
    return entry


def _is_active(resource: dict[str, Any] | None) -> bool:
    if resource is None:
        return False
    if "active" in resource:
        return bool(resource["active"])
    return resource.get("status") in ("active", None)


def _resource(
    codes: CodeLists,
    records: _Records,
    resource_type: str,
    entity_id: str,
    day: date,
    published: datetime,
) -> dict[str, Any] | None:
    if resource_type == "Endpoint":
        number = number_on(records.number_versions(entity_id), day)
        if number is None:
            return None
        return endpoint_resource(
            number.record,
            active=number.contains(day),
            codes=codes,
            last_updated=published,
        )
    effective = effective_on(
        int(entity_id),
        day,
        versions_of=records.versions_of,
        numbers_owned_by=records.numbers_owned_by,
    )
    if effective is None:
        return None
    build = organization_resource if resource_type == "Organization" else location_resource
    # FHIR is public: a personal-data unit's resource never carries its personal fields
    return build(public_effective(effective), codes=codes, last_updated=published, day=day)


def _bundle(
    self_url: str, total: int, entries: list[dict[str, Any]], next_url: str | None
) -> bytes:
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "history",
        "total": total,
        "link": links,
    }
    if entries:
        bundle["entry"] = entries
    return dumps(bundle)
