"""The unit tables of a read model: every unit resolved, parents before children.

Two reads of the register:

1. a light *skeleton* (start, end, parent and record time of every current version, no
   attributes) gives each unit's published version and the tree it forms; from it the units
   are put in depth-first order, owners first (a few dozen bytes per unit, then dropped);
2. the full versions are then fetched in that order, a thousand units per query. Each version
   goes to ``unit_version``; each unit is resolved with
   :func:`opensor.domain.inheritance.resolve_effective` against its ancestors, which are the
   frames on the depth-first path above it: only the records of one path are held, not the
   register. The unit's row holds its document, FHIR resources and search entries.

A unit not valid on the publication date (closed, or not yet started) is written with
``active = 0`` and its *nearest* version: the latest one that started on or before the date,
else the first future one. It is resolved as of that version's own day (its last valid day
when closed, its first day when future) with the ancestors of that day, read back from the
version tables once all are written, so its document is what ``sor unit SOR-ID --as-of DAY``
prints for that day. Units whose parents form a cycle (bad data, which ``sor check`` reports)
are placed as roots, the cycle cut at its lowest SOR-ID.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from opensor.domain.codelists import CodeLists
from opensor.domain.documents import unit_document
from opensor.domain.errors import DomainError
from opensor.domain.fhir import location_resource, organization_resource
from opensor.domain.geography import municipality, postcode
from opensor.domain.inheritance import EffectiveUnit, resolve_effective
from opensor.domain.personal import public_effective, redact_unit_document
from opensor.domain.records import Level, LocationNumberRecord, UnitRecord, Validity
from opensor.publication.common import (
    BuildCounts,
    Progress,
    dumps_bytes,
    etag_of,
    record_json,
)
from opensor.publication.numbers import chosen_version
from opensor.publication.readmodel import ReadModelWriter
from opensor.publication.resolver import VersionResolver
from opensor.publication.schema import filter_tokens, fold_danish

__all__ = ["UnitTables", "reference_day", "unit_bytes"]

_CHUNK = 1000
_TYPE_FIELD = {
    Level.OWNER: "owner_type",
    Level.INSTITUTION: "institution_type",
    Level.UNIT: "unit_type",
}


class _Frame(NamedTuple):
    active: bool
    chain: tuple[UnitRecord, ...]  # the unit and its ancestors valid on the date, nearest first
    path: str


@dataclass(frozen=True)
class _Published:
    """What the unit row needs besides the resolved unit."""

    active: bool
    version_count: int
    last_updated: str
    path: str
    depth: int


def reference_day(validity: Validity, as_of: date) -> date:
    """The day an inactive unit's version is read on: its last valid day, or its first."""
    if validity.valid_from > as_of or validity.valid_to is None:
        return validity.valid_from
    return max(validity.valid_to - timedelta(days=1), validity.valid_from)


@functools.cache
def _place(code: str | None, country: str | None) -> tuple[str | None, str | None]:
    """The municipality and region of a postcode, when the bundled tables know them."""
    if not code:
        return None, None
    try:
        found = postcode(code, country or "DK")
        if found is None or not found.municipality_codes:
            return None, None
        place = municipality(found.municipality_codes[0])
    except DomainError:
        return None, None
    return place.code, place.region_code


def unit_bytes(
    effective: EffectiveUnit,
    document: dict[str, Any],
    *,
    codes: CodeLists,
    day: date,
    updated: str,
) -> tuple[bytes, bytes, bytes | None]:
    """The stored document, FHIR ``Organization`` and FHIR ``Location`` of a resolved unit.

    All three are public: for a unit marked as personal data, without the personal fields
    (:mod:`opensor.domain.personal`). The resources' ``meta.versionId`` is the FHIR mapping's
    content version id, as in the lookup service's history; ``meta.lastUpdated`` the unit's
    latest record time.
    """
    last_updated = datetime.fromisoformat(updated)
    if effective.unit.personal_data:
        effective = public_effective(effective)
        document = redact_unit_document(document)
    organization = organization_resource(effective, codes=codes, last_updated=last_updated, day=day)
    location = location_resource(effective, codes=codes, last_updated=last_updated, day=day)
    return (
        dumps_bytes(document),
        dumps_bytes(organization),
        dumps_bytes(location) if location is not None else None,
    )


class UnitTables:
    """Writes ``unit``, ``unit_version``, ``unit_speciality`` and the search tables."""

    def __init__(
        self,
        writer: ReadModelWriter,
        *,
        as_of: date,
        codes: CodeLists,
        numbers_on_day: dict[int, list[LocationNumberRecord]],
        counts: BuildCounts,
        progress: Progress | None = None,
    ) -> None:
        """Prepare to write units as of ``as_of`` (``numbers_on_day``: numbers by owner)."""
        self.writer = writer
        self.as_of = as_of
        self.day = as_of.isoformat()
        self.codes = codes
        self.numbers_on_day = numbers_on_day
        self.counts = counts
        self.progress = progress
        self._order: list[tuple[int, int]] = []

    def _report(self, step: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(step, done, total)

    # -- the skeleton and the order --------------------------------------------------------

    def plan(self, spans: Iterable[tuple[int, list[tuple[Any, ...]]]]) -> int:
        """Read the skeleton and lay the units out depth first; return how many there are.

        ``spans`` yields each unit's ``(valid_from, valid_to, parent_id, …)`` rows, oldest
        first.
        """
        parents: dict[int, int | None] = {}
        day = self.as_of
        for sor_id, rows in spans:
            index = 0
            for position, row in enumerate(rows):
                if row[0] <= day:
                    index = position
                    if row[1] is None or row[1] > day:
                        break
            parents[sor_id] = rows[index][2]
        children: dict[int | None, list[int]] = defaultdict(list)
        for sor_id, parent in parents.items():
            children[parent if parent in parents else None].append(sor_id)
        order: list[tuple[int, int]] = []
        seen: set[int] = set()

        def visit(start: int) -> None:
            stack = [(start, 0)]
            while stack:
                sor_id, depth = stack.pop()
                if sor_id in seen:
                    continue
                seen.add(sor_id)
                order.append((sor_id, depth))
                stack.extend((child, depth + 1) for child in reversed(children.pop(sor_id, ())))

        for root in children.pop(None, []):
            visit(root)
        for sor_id in sorted(parents):  # cycles: cut at the lowest SOR-ID
            if sor_id not in seen:
                visit(sor_id)
        self._order = order
        return len(order)

    # -- the units -------------------------------------------------------------------------

    def write(
        self,
        fetch: Callable[[list[int]], dict[int, list[dict[str, Any]]]],
        *,
        record_from_row: Callable[[dict[str, Any]], UnitRecord],
    ) -> None:
        """Fetch the planned units' versions in order and write every unit."""
        order, self._order = self._order, []
        total = len(order)
        stack: list[_Frame] = []
        deferred: list[tuple[int, Validity, _Published]] = []
        add = self.writer.add
        for start in range(0, total, _CHUNK):
            chunk = order[start : start + _CHUNK]
            rows_by_unit = fetch([sor_id for sor_id, _ in chunk])
            for sor_id, depth in chunk:
                rows = rows_by_unit[sor_id]
                records = [record_from_row(row) for row in rows]
                spans = []
                last_updated = ""
                for row, record in zip(rows, records, strict=True):
                    validity = record.validity
                    begin = validity.valid_from.isoformat()
                    end = validity.valid_to.isoformat() if validity.valid_to else None
                    recorded = row["recorded_at"].isoformat()
                    last_updated = max(last_updated, recorded)
                    add(
                        "unit_version",
                        (sor_id, begin, end, record.parent_sor_id, recorded, record_json(record)),
                    )
                    spans.append((begin, end))
                index, active = chosen_version(spans, self.day)
                record = records[index]
                del stack[depth:]
                parent = stack[depth - 1] if depth else None
                path = f"{parent.path}{sor_id}/" if parent is not None else f"/{sor_id}/"
                published = _Published(active, len(rows), last_updated, path, depth)
                self.counts.unit_versions += len(rows)
                if active:
                    chain = (
                        (record, *parent.chain)
                        if parent is not None and parent.active
                        else (record,)
                    )
                    self._write_active(chain, published)
                    stack.append(_Frame(True, chain, path))
                else:
                    deferred.append((sor_id, record.validity, published))
                    stack.append(_Frame(False, (), path))
            self._report("units", start + len(chunk), total)
        self.writer.flush()
        resolver = VersionResolver(self.writer.connection)
        for sor_id, validity, published in deferred:
            resolved = resolver.resolve(sor_id, reference_day(validity, self.as_of))
            assert resolved is not None, f"unit {sor_id} has no version on its reference day"
            self._write_row(
                resolved.effective, resolved.document(), published, resolved.own_location_numbers
            )
        self.writer.flush()

    def _write_active(self, chain: tuple[UnitRecord, ...], published: _Published) -> None:
        numbers: dict[int, LocationNumberRecord] = {}
        on_day = self.numbers_on_day
        for link in chain:
            owned = on_day.get(link.sor_id)
            if owned:
                numbers[link.sor_id] = owned[0]
        effective = resolve_effective(chain, numbers)
        own = on_day.get(chain[0].sor_id, ())
        document = unit_document(
            effective,
            day=self.as_of,
            own_location_number=own[0] if own else None,
            version_count=published.version_count,
        )
        self._write_row(effective, document, published, tuple(number.gln for number in own))

    def _write_row(
        self,
        effective: EffectiveUnit,
        document: dict[str, Any],
        published: _Published,
        own_glns: tuple[str, ...],
    ) -> None:
        unit = effective.unit
        if unit.personal_data:
            whole = dumps_bytes(document)
            self.writer.add("unit_personal", (unit.sor_id, etag_of(whole), whole))
        doc, organization, location = unit_bytes(
            effective,
            document,
            codes=self.codes,
            day=self.as_of,
            updated=published.last_updated,
        )
        postal = effective.postal_address.value
        code = postal.postcode if postal is not None else None
        country = postal.country if postal is not None else None
        municipality_code, region_code = _place(code, country)
        latitude = longitude = None
        for sourced in (effective.visiting_address, effective.postal_address):
            value = sourced.value
            if value is not None and value.latitude is not None and value.longitude is not None:
                latitude, longitude = value.latitude, value.longitude
                break
        number = effective.location_number
        validity = unit.validity
        values = {
            "sor_id": unit.sor_id,
            "level": unit.level.value,
            "parent_sor_id": unit.parent_sor_id,
            "name": unit.name,
            "name_folded": fold_danish(unit.name),
            "active": int(published.active),
            "first_from": validity.first_from.isoformat(),
            "valid_from": validity.valid_from.isoformat(),
            "valid_to": validity.valid_to.isoformat() if validity.valid_to else None,
            "depth": published.depth,
            "path": published.path,
            "type_code": getattr(unit, _TYPE_FIELD[unit.level]),
            "shak": unit.shak,
            "provider_number": unit.provider_number,
            "pharmacy_id": unit.pharmacy_id,
            "cvr": unit.cvr,
            "postcode": code,
            "municipality_code": municipality_code,
            "region_code": region_code,
            "country": country,
            "latitude": latitude,
            "longitude": longitude,
            "gln": number.value.gln if number.value is not None else None,
            "gln_source": number.source_sor_id if number.value is not None else None,
            "personal_data": int(unit.personal_data),
            "last_updated": published.last_updated,
            "version_count": published.version_count,
            "etag": etag_of(doc),
            "doc": doc,
            "fhir_organization": organization,
            "fhir_location": location,
        }
        # The summary row is the narrow subset of the unit row (schema.py lists both tables).
        self.writer.add("unit", _UNIT_ROW(values))
        self.writer.add("unit_summary", _SUMMARY_ROW(values))
        seen_codes: set[str] = set()
        for speciality in unit.specialities:
            if speciality.code not in seen_codes:
                seen_codes.add(speciality.code)
                self.writer.add("unit_speciality", (unit.sor_id, speciality.code, speciality.type))
        tokens = [str(unit.sor_id), unit.shak, unit.provider_number, *own_glns, unit.cvr, code]
        tokens += filter_tokens(municipality_code, region_code, code)
        self.writer.add_search(unit.sor_id, values["name_folded"], " ".join(t for t in tokens if t))
        self.counts.count_unit(unit.level.value, published.active)


_UNIT_ROW = operator.itemgetter(
    "sor_id", "level", "parent_sor_id", "name", "name_folded", "active", "first_from",
    "valid_from", "valid_to", "depth", "path", "type_code", "shak", "provider_number",
    "pharmacy_id", "cvr", "postcode", "municipality_code", "region_code", "country", "latitude",
    "longitude", "gln", "gln_source", "personal_data", "last_updated", "version_count", "etag",
    "doc", "fhir_organization", "fhir_location",
)  # fmt: skip
_SUMMARY_ROW = operator.itemgetter(
    "sor_id", "level", "parent_sor_id", "name", "name_folded", "active", "valid_from",
    "valid_to", "depth", "path", "type_code", "shak", "provider_number", "cvr", "postcode",
    "municipality_code", "region_code", "country", "latitude", "longitude", "gln", "gln_source",
)  # fmt: skip
