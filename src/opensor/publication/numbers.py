"""The location-number tables of a read model.

Every current location-number version goes to ``location_number_version``; every number gets
one ``location_number`` row (its version valid on the publication date, else its nearest
version, with ``active = 0``), its document, its FHIR ``Endpoint`` and its message types. The
numbers valid on the publication date are kept in memory by owner for the unit pass, which
needs each unit's own number (a small share of the register).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from opensor.domain.codelists import CodeLists
from opensor.domain.documents import location_number_document
from opensor.domain.fhir import endpoint_resource
from opensor.domain.records import LocationNumberRecord, Validity
from opensor.publication.common import (
    BuildCounts,
    dumps_bytes,
    etag_of,
    record_json,
)
from opensor.publication.readmodel import ReadModelWriter

__all__ = ["chosen_version", "location_number_bytes", "write_location_numbers"]


def chosen_version(spans: list[tuple[str, str | None]], day: str) -> tuple[int, bool]:
    """The version to publish and whether it is valid on ``day`` (ISO dates throughout).

    The version valid on the day; else the latest one that started before it (closed); else
    the first one (not yet started).
    """
    latest_started = None
    for index, (start, end) in enumerate(spans):
        if start <= day:
            if end is None or end > day:
                return index, True
            latest_started = index
    return (latest_started if latest_started is not None else 0), False


def location_number_bytes(
    record: LocationNumberRecord,
    *,
    day: date,
    validity: Validity,
    active: bool,
    count: int,
    updated: str,
    codes: CodeLists,
) -> tuple[bytes, bytes]:
    """The stored document and FHIR ``Endpoint`` of one location-number version."""
    document = location_number_document(
        record, day=day, validity=validity, active=active, version_count=count, codes=codes
    )
    endpoint = endpoint_resource(
        record,
        active=active,
        codes=codes,
        last_updated=datetime.fromisoformat(updated),
    )
    return dumps_bytes(document), dumps_bytes(endpoint)


def write_location_numbers(
    writer: ReadModelWriter,
    groups: Iterable[tuple[str, list[dict[str, Any]]]],
    *,
    record_from_row: Callable[[dict[str, Any]], LocationNumberRecord],
    as_of: date,
    codes: CodeLists,
    counts: BuildCounts,
) -> dict[int, list[LocationNumberRecord]]:
    """Write every location number and its versions; return the numbers valid on ``as_of``.

    The result maps each owner's SOR-ID to the numbers it owns on the day, in GLN order.
    """
    day = as_of.isoformat()
    on_day: dict[int, list[LocationNumberRecord]] = {}
    add = writer.add
    for gln, rows in groups:
        records = []
        spans: list[tuple[str, str | None]] = []
        last_updated = ""
        for row in rows:
            record = record_from_row(row)
            start = row["valid_from"].isoformat()
            end = row["valid_to"].isoformat() if row["valid_to"] is not None else None
            recorded = row["recorded_at"].isoformat()
            last_updated = max(last_updated, recorded)
            add(
                "location_number_version",
                (gln, start, end, row["owner_id"], recorded, record_json(record)),
            )
            records.append(record)
            spans.append((start, end))
        index, active = chosen_version(spans, day)
        record, row = records[index], rows[index]
        validity = Validity(
            first_from=row["first_from"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            updated_at=row["updated_at"],
        )
        if active:
            on_day.setdefault(record.owner_sor_id, []).append(record)
            counts.active_location_numbers += 1
        doc, endpoint = location_number_bytes(
            record,
            day=as_of,
            validity=validity,
            active=active,
            count=len(rows),
            updated=last_updated,
            codes=codes,
        )
        add(
            "location_number",
            (gln, record.owner_sor_id, int(active), last_updated, etag_of(doc), doc, endpoint),
        )
        for message_type in sorted(set(record.message_types)):
            add("location_message_type", (gln, message_type))
        counts.location_numbers += 1
        counts.location_number_versions += len(rows)
    # The unit pass reads numbers by owner and date (units not valid on the publication date).
    writer.create_indexes(on=("location_number_version",))
    return on_day
