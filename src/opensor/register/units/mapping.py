"""Translation between the domain's records and the register's version rows.

One place knows how a :class:`~opensor.domain.records.UnitRecord` is spread over the columns of
:class:`~opensor.register.units.models.UnitVersion` (and likewise for location numbers), so the
importer, the demo loader, the services, the selectors and the exporter agree on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from datetime import date
from typing import Any

from opensor.domain.records import (
    Address,
    Contact,
    Level,
    LocationNumberRecord,
    Speciality,
    UnitRecord,
    Validity,
)

__all__ = [
    "LOCATION_VERSION_FIELDS",
    "UNIT_VERSION_FIELDS",
    "location_record_from_row",
    "location_row_hash",
    "location_version_values",
    "row_fingerprint",
    "unit_record_from_row",
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


def unit_version_values(record: UnitRecord) -> dict[str, Any]:
    """The column values of a unit version row holding ``record`` (record-time columns aside)."""
    validity = record.validity
    values: dict[str, Any] = {
        "unit_id": record.sor_id,
        "level": record.level.value,
        "parent_id": record.parent_sor_id,
        "name": record.name,
        "owner_type": record.owner_type,
        "institution_type": record.institution_type,
        "unit_type": record.unit_type,
        "shak": record.shak,
        "provider_number": record.provider_number,
        "pharmacy_id": record.pharmacy_id,
        "local_code": record.local_code,
        "local_attributes": list(record.local_attributes),
        "location_number_inherited": record.location_number_inherited,
        "geographical_parent_relation": record.geographical_parent_relation,
        "geographical_parent_sor_id": record.geographical_parent_sor_id,
        "postal_address": _address_value(record.postal_address),
        "visiting_address": _address_value(record.visiting_address),
        "activity_address": _address_value(record.activity_address),
        "contact": _contact_value(record.contact),
        "specialities": [[s.code, s.type] for s in record.specialities],
        "ambulant_activity": record.ambulant_activity,
        "patients_admitted": record.patients_admitted,
        "reporting_level": record.reporting_level,
        "replaces": list(record.replaces),
        "replaced_by": list(record.replaced_by),
        "cvr": record.cvr,
        "personal_data": record.personal_data,
        "first_from": validity.first_from,
        "valid_from": validity.valid_from,
        "valid_to": validity.valid_to,
        "updated_at": validity.updated_at,
        "content_hash": "",
    }
    values["content_hash"] = row_fingerprint(values, UNIT_VERSION_FIELDS)
    return values


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


def location_version_values(
    record: LocationNumberRecord, owner_validity: Validity | None = None
) -> dict[str, Any]:
    """The column values of a location-number version row holding ``record``.

    A record without its own validity takes ``owner_validity`` (the owner's version) and is
    marked ``status_given=False`` so that exports reproduce the source faithfully.
    """
    validity = record.validity or owner_validity
    if validity is None:
        raise ValueError(f"location number {record.gln} has no validity and no owner validity")
    values: dict[str, Any] = {
        "location_number_id": record.gln,
        "owner_id": record.owner_sor_id,
        "only_internal": record.only_internal,
        "non_active": record.non_active,
        "system_supplier": record.system_supplier,
        "system_type": record.system_type,
        "communication_supplier": record.communication_supplier,
        "region_code": record.region_code,
        "edi_administrator": record.edi_administrator,
        "note": record.note,
        "status_given": record.validity is not None,
        "message_types": sorted(record.message_types),
        "first_from": validity.first_from,
        "valid_from": validity.valid_from,
        "valid_to": validity.valid_to,
        "updated_at": validity.updated_at,
        "content_hash": "",
    }
    values["content_hash"] = location_row_hash(values)
    return values


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
