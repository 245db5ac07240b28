"""Translation between the domain's records and the register's version rows.

One place knows how a :class:`~opensor.domain.records.UnitRecord` is spread over the columns of
:class:`~opensor.register.units.models.UnitVersion` (and likewise for location numbers), so the
importer, the demo loader, the services, the selectors and the exporter agree on it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Generator
from dataclasses import fields
from datetime import date
from typing import Any, BinaryIO, NamedTuple

from opensor.domain.codelists import CodeLists
from opensor.domain.findings import Finding
from opensor.domain.records import (
    Address,
    Contact,
    Level,
    LocationNumberRecord,
    Speciality,
    UnitRecord,
    Validity,
)
from opensor.domain.sortree import SorTreeError, read_sortree
from opensor.domain.sortree.checks import CodeListsState, FileChecks, code_lists_from_state

__all__ = [
    "DATE_COLUMNS",
    "JSON_COLUMNS",
    "LOCATION_VERSION_FIELDS",
    "UNIT_VERSION_FIELDS",
    "PreparedChunk",
    "PreparedEnd",
    "PreparedUnit",
    "json_column_value",
    "location_record_from_row",
    "location_record_from_values",
    "location_row_hash",
    "location_row_values",
    "location_version_values",
    "prepare_sortree_rows",
    "row_fingerprint",
    "stored_location_row",
    "stored_unit_row",
    "unit_record_from_row",
    "unit_record_from_values",
    "unit_row_values",
    "unit_version_values",
]

UNIT_VERSION_FIELDS = (
    "unit_id",
    "level",
    "parent_id",
    "name",
    "owner_type",
    "institution_type",
    "unit_type",
    "shak",
    "provider_number",
    "pharmacy_id",
    "local_code",
    "local_attributes",
    "location_number_inherited",
    "geographical_parent_relation",
    "geographical_parent_sor_id",
    "postal_address",
    "visiting_address",
    "activity_address",
    "contact",
    "specialities",
    "ambulant_activity",
    "patients_admitted",
    "reporting_level",
    "replaces",
    "replaced_by",
    "cvr",
    "personal_data",
    "first_from",
    "valid_from",
    "valid_to",
    "updated_at",
    "content_hash",
)
"""The columns of a unit version row that hold the record (for ``values()`` queries)."""

LOCATION_VERSION_FIELDS = (
    "location_number_id",
    "owner_id",
    "only_internal",
    "non_active",
    "system_supplier",
    "system_type",
    "communication_supplier",
    "region_code",
    "edi_administrator",
    "note",
    "status_given",
    "message_types",
    "first_from",
    "valid_from",
    "valid_to",
    "updated_at",
    "content_hash",
)
"""The columns of a location-number version row that hold the record."""


_ADDRESS_FIELDS = tuple(f.name for f in fields(Address))
_CONTACT_FIELDS = tuple(f.name for f in fields(Contact))
_NO_LOCAL_ATTRIBUTES = (None, None, None, None, None)


def _address_value(address: Address | None) -> dict[str, Any] | None:
    # Unset fields are left out to keep rows small; ``country`` stays because its default
    # is "DK", so leaving out an explicit None would change the value read back.
    if address is None:
        return None
    values = {name: getattr(address, name) for name in _ADDRESS_FIELDS}
    return {k: v for k, v in values.items() if v is not None or k == "country"}


def _contact_value(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    values = {name: getattr(contact, name) for name in _CONTACT_FIELDS}
    return {k: v for k, v in values.items() if v is not None}


def row_fingerprint(values: dict[str, Any], columns: tuple[str, ...]) -> str:
    """The content fingerprint of a version row, from its column values in column order.

    It is the repr of plain values (str, int, bool, None, dates and the JSON structures built
    here in field order), which is fast enough for the import's hot path. It is an internal
    fingerprint for telling versions apart, compared only with fingerprints made the same way.
    """
    text = repr(tuple(values[name] for name in columns if name != "content_hash"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _fingerprint(values: tuple[Any, ...]) -> str:
    # the same digest as row_fingerprint, from the values already in column order
    return hashlib.sha256(repr(values).encode()).hexdigest()[:32]


def unit_row_values(record: UnitRecord) -> tuple[Any, ...]:
    """The values of a unit version row holding ``record``, in column order, hash aside.

    They are :func:`unit_version_values` without the dict and the fingerprint, cheap to make
    and to pickle; :func:`stored_unit_row` makes the row to insert of them and
    :func:`unit_record_from_values` gives ``record`` back.
    """
    validity = record.validity
    return (
        record.sor_id,
        record.level.value,
        record.parent_sor_id,
        record.name,
        record.owner_type,
        record.institution_type,
        record.unit_type,
        record.shak,
        record.provider_number,
        record.pharmacy_id,
        record.local_code,
        list(record.local_attributes),
        record.location_number_inherited,
        record.geographical_parent_relation,
        record.geographical_parent_sor_id,
        _address_value(record.postal_address),
        _address_value(record.visiting_address),
        _address_value(record.activity_address),
        _contact_value(record.contact),
        [[s.code, s.type] for s in record.specialities],
        record.ambulant_activity,
        record.patients_admitted,
        record.reporting_level,
        list(record.replaces),
        list(record.replaced_by),
        record.cvr,
        record.personal_data,
        validity.first_from,
        validity.valid_from,
        validity.valid_to,
        validity.updated_at,
    )


def unit_version_values(record: UnitRecord) -> dict[str, Any]:
    """The column values of a unit version row holding ``record`` (record-time columns aside)."""
    values = unit_row_values(record)
    return dict(zip(UNIT_VERSION_FIELDS, (*values, _fingerprint(values)), strict=True))


def stored_unit_row(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The unit version row of :func:`unit_row_values` as the database stores it.

    In ``UNIT_VERSION_FIELDS`` order, with JSON columns encoded and dates in ISO form (as the
    bulk inserter adapts them) and the same fingerprint as :func:`unit_version_values` gives.
    """
    return _stored(values, _UNIT_JSON, _UNIT_DATES)


def _get(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def unit_record_from_row(row: Any) -> UnitRecord:
    """Rebuild the record held by a unit version row (a model instance or a ``values()`` dict)."""
    postal = _get(row, "postal_address")
    visiting = _get(row, "visiting_address")
    activity = _get(row, "activity_address")
    contact = _get(row, "contact")
    first_from = _as_date(_get(row, "first_from"))
    valid_from = _as_date(_get(row, "valid_from"))
    assert first_from is not None and valid_from is not None
    return UnitRecord(
        sor_id=_get(row, "unit_id"),
        level=Level(_get(row, "level")),
        name=_get(row, "name"),
        validity=Validity(
            first_from=first_from,
            valid_from=valid_from,
            valid_to=_as_date(_get(row, "valid_to")),
            updated_at=_as_date(_get(row, "updated_at")),
        ),
        parent_sor_id=_get(row, "parent_id"),
        owner_type=_get(row, "owner_type"),
        institution_type=_get(row, "institution_type"),
        unit_type=_get(row, "unit_type"),
        shak=_get(row, "shak"),
        provider_number=_get(row, "provider_number"),
        pharmacy_id=_get(row, "pharmacy_id"),
        local_code=_get(row, "local_code"),
        local_attributes=tuple(_get(row, "local_attributes")),
        location_number_inherited=_get(row, "location_number_inherited"),
        geographical_parent_relation=_get(row, "geographical_parent_relation"),
        geographical_parent_sor_id=_get(row, "geographical_parent_sor_id"),
        postal_address=Address(**postal) if postal is not None else None,
        visiting_address=Address(**visiting) if visiting is not None else None,
        activity_address=Address(**activity) if activity is not None else None,
        contact=Contact(**contact) if contact is not None else None,
        specialities=tuple(Speciality(code, kind) for code, kind in _get(row, "specialities")),
        ambulant_activity=_get(row, "ambulant_activity"),
        patients_admitted=_get(row, "patients_admitted"),
        reporting_level=_get(row, "reporting_level"),
        replaces=tuple(_get(row, "replaces")),
        replaced_by=tuple(_get(row, "replaced_by")),
        cvr=_get(row, "cvr"),
        personal_data=_get(row, "personal_data"),
    )


def location_row_values(
    record: LocationNumberRecord, owner_validity: Validity | None = None
) -> tuple[Any, ...]:
    """The values of a location-number version row, in column order, hash aside.

    As :func:`unit_row_values`, for :func:`location_version_values`.
    """
    validity = record.validity or owner_validity
    if validity is None:
        raise ValueError(f"location number {record.gln} has no validity and no owner validity")
    return (
        record.gln,
        record.owner_sor_id,
        record.only_internal,
        record.non_active,
        record.system_supplier,
        record.system_type,
        record.communication_supplier,
        record.region_code,
        record.edi_administrator,
        record.note,
        record.validity is not None,
        sorted(record.message_types),
        validity.first_from,
        validity.valid_from,
        validity.valid_to,
        validity.updated_at,
    )


def location_version_values(
    record: LocationNumberRecord, owner_validity: Validity | None = None
) -> dict[str, Any]:
    """The column values of a location-number version row holding ``record``.

    A record without its own validity takes ``owner_validity`` (the owner's version) and is
    marked ``status_given=False`` so that exports reproduce the source faithfully.
    """
    values = location_row_values(record, owner_validity)
    return dict(zip(LOCATION_VERSION_FIELDS, (*values, _fingerprint(values)), strict=True))


def stored_location_row(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The location-number version row of :func:`location_row_values` as stored.

    See :func:`stored_unit_row`.
    """
    return _stored(values, _LOCATION_JSON, _LOCATION_DATES)


def location_row_hash(values: dict[str, Any]) -> str:
    """The fingerprint of a location-number row: its record and its valid time."""
    return row_fingerprint(values, LOCATION_VERSION_FIELDS)


def location_record_from_row(row: Any) -> LocationNumberRecord:
    """Rebuild the record held by a location-number version row."""
    validity = None
    if _get(row, "status_given"):
        first_from = _as_date(_get(row, "first_from"))
        valid_from = _as_date(_get(row, "valid_from"))
        assert first_from is not None and valid_from is not None
        validity = Validity(
            first_from=first_from,
            valid_from=valid_from,
            valid_to=_as_date(_get(row, "valid_to")),
            updated_at=_as_date(_get(row, "updated_at")),
        )
    return LocationNumberRecord(
        gln=_get(row, "location_number_id"),
        owner_sor_id=_get(row, "owner_id"),
        only_internal=_get(row, "only_internal"),
        non_active=_get(row, "non_active"),
        system_supplier=_get(row, "system_supplier"),
        system_type=_get(row, "system_type"),
        communication_supplier=_get(row, "communication_supplier"),
        region_code=_get(row, "region_code"),
        edi_administrator=_get(row, "edi_administrator"),
        note=_get(row, "note"),
        validity=validity,
        message_types=tuple(_get(row, "message_types")),
    )


# -- version rows as stored ------------------------------------------------------------------

JSON_COLUMNS = frozenset(
    {
        "local_attributes",
        "postal_address",
        "visiting_address",
        "activity_address",
        "contact",
        "specialities",
        "replaces",
        "replaced_by",
        "message_types",
    }
)
"""The version columns that hold JSON (written by :func:`json_column_value`)."""
DATE_COLUMNS = frozenset({"first_from", "valid_from", "valid_to", "updated_at"})
"""The version columns that hold dates (written in ISO form)."""

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_NO_LOCAL_ATTRIBUTES_LIST = list(_NO_LOCAL_ATTRIBUTES)
_NO_LOCAL_ATTRIBUTES_JSON = _ENCODE(_NO_LOCAL_ATTRIBUTES_LIST)


def json_column_value(value: Any) -> str | None:
    """A value of a JSON column as the database stores it (``None`` stays SQL NULL)."""
    if value is None:
        return None  # SQL NULL, as the ORM writes a Python None (the columns are nullable)
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    if value == _NO_LOCAL_ATTRIBUTES_LIST:
        return _NO_LOCAL_ATTRIBUTES_JSON
    return _ENCODE(value)


class _IsoDates(dict[date | None, str | None]):
    """ISO forms of dates, remembered (versions share a few thousand dates); None stays None."""

    def __missing__(self, day: date | None) -> str | None:
        text = None if day is None else day.isoformat()
        if len(self) >= 8192:
            self.clear()
            self[None] = None
        self[day] = text
        return text


_ISO = _IsoDates({None: None})


def _positions(columns: tuple[str, ...], kinds: frozenset[str]) -> tuple[int, ...]:
    return tuple(position for position, column in enumerate(columns) if column in kinds)


def _stored(
    values: tuple[Any, ...], json_positions: tuple[int, ...], date_positions: tuple[int, ...]
) -> tuple[Any, ...]:
    row = list(values)
    for position in json_positions:
        value = row[position]
        if value is not None:
            row[position] = json_column_value(value)
    iso = _ISO
    for position in date_positions:
        row[position] = iso[row[position]]
    row.append(_fingerprint(values))
    return tuple(row)


_UNIT_JSON = _positions(UNIT_VERSION_FIELDS, JSON_COLUMNS)
_UNIT_DATES = _positions(UNIT_VERSION_FIELDS, DATE_COLUMNS)
_LOCATION_JSON = _positions(LOCATION_VERSION_FIELDS, JSON_COLUMNS)
_LOCATION_DATES = _positions(LOCATION_VERSION_FIELDS, DATE_COLUMNS)


def unit_record_from_values(values: tuple[Any, ...]) -> UnitRecord:
    """The record that :func:`unit_row_values` gave ``values`` of."""
    return unit_record_from_row(dict(zip(UNIT_VERSION_FIELDS[:-1], values, strict=True)))


def location_record_from_values(values: tuple[Any, ...]) -> LocationNumberRecord:
    """The record that :func:`location_row_values` gave ``values`` of.

    As with :func:`location_record_from_row`, a record stored without its own validity comes
    back with ``validity=None`` (the dates were the owner's).
    """
    return location_record_from_row(dict(zip(LOCATION_VERSION_FIELDS[:-1], values, strict=True)))


# -- the database-free half of a SorTree import ----------------------------------------------

PreparedUnit = tuple[tuple[Any, ...], tuple[Any, ...] | None]
"""A unit's :func:`unit_row_values` and its own location number's :func:`location_row_values`
(with the owner's validity), or ``None``."""


class PreparedChunk(NamedTuple):
    """The next units of a file, checked and turned into version rows.

    ``findings`` are those of these units, in file order (an error refuses the file);
    ``bytes_read`` counts the bytes of the file read so far.
    """

    rows: list[PreparedUnit]
    findings: list[Finding]
    bytes_read: int


class PreparedEnd(NamedTuple):
    """The end of a prepared file: what the whole file gave.

    ``references_outside`` maps SOR-IDs that units replace or are replaced by, but that are not
    in the file, to the first unit referring to them (its SOR-ID and line).
    """

    units_read: int
    sha256: str
    max_item: int
    references_outside: dict[int, tuple[int, int]]
    bytes_read: int


class _Hashing:
    """A binary stream wrapper that hashes and counts what the parser reads."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.digest.update(data)
        self.read_bytes += len(data)
        return data


def prepare_sortree_rows(
    source: BinaryIO | int,
    codes: CodeLists | CodeListsState,
    shak_codes: Collection[str],
    *,
    collect_errors: bool = False,
    chunk_size: int = 500,
) -> Generator[PreparedChunk | PreparedEnd, None, None]:
    """Read a SorTree file, check its units and turn them into version rows, chunk by chunk.

    This is everything of an import that needs no database, so that it can run in a helper
    process (``source`` may be a file descriptor, and ``codes`` given by
    :func:`~opensor.domain.sortree.checks.code_lists_state`, for that) while the caller writes.
    Each unit becomes its :data:`PreparedUnit`; :class:`FileChecks` checks it. A
    chunk ends after every ``chunk_size`` units (so a multiple of ``chunk_size`` units is
    always a chunk boundary) and right after a unit whose finding is an error. The first error
    ends the file unless ``collect_errors`` (then the rest is checked, without making rows).
    The last item is a :class:`PreparedEnd`.
    """
    stream = _Hashing(os.fdopen(source, "rb", closefd=False) if isinstance(source, int) else source)
    if not isinstance(codes, CodeLists):
        codes = code_lists_from_state(codes)
    checks = FileChecks(codes, shak_codes)
    findings = checks.findings
    rows: list[PreparedUnit] = []
    reported = 0  # findings already sent
    reader = read_sortree(stream, on_error=checks.error if collect_errors else None)  # type: ignore[arg-type]
    try:
        for unit, location, parent, line in reader:
            was_failed = checks.failed
            checks.take(unit, location, parent, line)
            if not checks.failed:
                if location is None:
                    rows.append((unit_row_values(unit), None))
                else:
                    validity = unit.validity
                    owner = Validity(validity.first_from, validity.first_from, validity.valid_to)
                    rows.append((unit_row_values(unit), location_row_values(location, owner)))
            elif not was_failed:  # this unit fails the file: say so before anything else
                yield PreparedChunk(rows, findings[reported:], stream.read_bytes)
                rows, reported = [], len(findings)
                if not collect_errors:
                    break
                continue
            if checks.units_read % chunk_size == 0:
                yield PreparedChunk(rows, findings[reported:], stream.read_bytes)
                rows, reported = [], len(findings)
    except SorTreeError as error:
        checks.error(error)
    finally:
        reader.close()
    yield PreparedChunk(rows, findings[reported:], stream.read_bytes)
    yield PreparedEnd(
        checks.units_read,
        stream.digest.hexdigest(),
        checks.max_item,
        checks.references_outside(),
        stream.read_bytes,
    )
