"""The register's value objects: one version of a unit and one version of a location number.

These records are what flows between the parts of OpenSOR: the SorTree reader yields them, the
demo generator makes them, the register stores them as version rows, the exporter writes them.
They hold a unit's *own* attributes only; effective values (with inheritance resolved) come from
:mod:`opensor.domain.inheritance`.

Identifiers of units (SOR-IDs) are ``int`` (they are ``xs:long`` in SorTree); every code
(SNOMED CT, SHAK, region …) is a ``str`` so that codes with leading zeros or letters survive.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

__all__ = [
    "Address",
    "Contact",
    "Level",
    "LocationNumberRecord",
    "Speciality",
    "UnitRecord",
    "Validity",
    "record_from_dict",
    "record_to_dict",
]


class Level(StrEnum):
    """The three levels of the SOR hierarchy."""

    OWNER = "IE"
    """Institutionsejer: region, kommune, stat or privat owner."""
    INSTITUTION = "SI"
    """Sundhedsinstitution: hospital, practice, pharmacy, health administration …"""
    UNIT = "OE"
    """Organisatorisk enhed: department, section, provider-number unit …; nests to any depth."""

    @property
    def allowed_parent_levels(self) -> tuple[Level, ...]:
        """The levels a unit of this level may sit under (none for an owner)."""
        return _ALLOWED_PARENTS[self]

    @property
    def label_da(self) -> str:
        """The Danish name of the level."""
        return _LEVEL_LABELS_DA[self]


_ALLOWED_PARENTS: dict[Level, tuple[Level, ...]] = {
    Level.OWNER: (),
    Level.INSTITUTION: (Level.OWNER,),
    Level.UNIT: (Level.INSTITUTION, Level.UNIT),
}
_LEVEL_LABELS_DA = {
    Level.OWNER: "Institutionsejer",
    Level.INSTITUTION: "Sundhedsinstitution",
    Level.UNIT: "Organisatorisk enhed",
}


@dataclass(frozen=True, slots=True)
class Validity:
    """Valid time of one version (SorStatus).

    ``first_from`` is when the unit first existed, ``valid_from`` when this version starts,
    ``valid_to`` the closing date (``None`` while open; the version is valid *before* it, i.e.
    the half-open interval ``[valid_from, valid_to)``), ``updated_at`` the source's last update.
    """

    first_from: date
    valid_from: date
    valid_to: date | None = None
    updated_at: date | None = None

    def contains(self, day: date) -> bool:
        """Whether ``day`` lies in this version's valid time."""
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True, slots=True)
class Address:
    """A postal, visiting or activity address (xkom:AddressPostal plus SOR's Stairway).

    ``latitude``/``longitude`` (WGS84) are OpenSOR additions that SorTree does not carry.
    """

    street_name: str
    building: str
    postcode: str
    district: str
    country: str | None = "DK"
    street_for_addressing: str | None = None
    floor: str | None = None
    suite: str | None = None
    district_subdivision: str | None = None
    po_box: str | None = None
    mail_delivery_sublocation: str | None = None
    stairway: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def one_line(self) -> str:
        """The address as one human-readable line."""
        street = " ".join(p for p in (self.street_name, self.building) if p)
        if self.floor:
            street += f", {self.floor}."
        if self.suite:
            street += f" {self.suite}"
        return f"{street}, {self.postcode} {self.district}"


@dataclass(frozen=True, slots=True)
class Contact:
    """Contact data (VirtualAddressInformation): e-mail, website, telephone and fax."""

    phone: str | None = None
    email: str | None = None
    website: str | None = None
    fax: str | None = None

    def is_empty(self) -> bool:
        """Whether no contact value is set."""
        return not (self.phone or self.email or self.website or self.fax)


@dataclass(frozen=True, slots=True)
class Speciality:
    """A clinical speciality (SNOMED CT code) with its speciality type (main or further)."""

    code: str
    type: str


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """One version of a unit's own attributes, at any level of the tree.

    Optional groups are ``None`` when the unit does not have them itself (they may then be
    inherited, see :mod:`opensor.domain.inheritance`). ``location_number_inherited`` keeps
    SorTree's ``EntityInheritedIndicator``: ``True`` when the unit uses an ancestor's location
    number, ``False`` or ``None`` otherwise (a unit with its own location number has ``None``).
    """

    sor_id: int
    level: Level
    name: str
    validity: Validity
    parent_sor_id: int | None = None
    owner_type: str | None = None
    institution_type: str | None = None
    unit_type: str | None = None
    shak: str | None = None
    provider_number: str | None = None
    pharmacy_id: str | None = None
    local_code: str | None = None
    local_attributes: tuple[str | None, ...] = (None, None, None, None, None)
    location_number_inherited: bool | None = None
    geographical_parent_relation: int | None = None
    geographical_parent_sor_id: int | None = None
    postal_address: Address | None = None
    visiting_address: Address | None = None
    activity_address: Address | None = None
    contact: Contact | None = None
    specialities: tuple[Speciality, ...] = ()
    ambulant_activity: bool | None = None
    patients_admitted: bool | None = None
    reporting_level: bool | None = None
    replaces: tuple[int, ...] = ()
    replaced_by: tuple[int, ...] = ()
    cvr: str | None = None
    personal_data: bool = False

    def content_hash(self) -> str:
        """A stable digest of every attribute, used to tell whether two versions differ."""
        return _digest(self)

    def with_changes(self, **changes: Any) -> UnitRecord:
        """A copy with some attributes replaced."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class LocationNumberRecord:
    """One version of an EAN location number (GLN) owned by a unit.

    ``message_types`` (MedCom URNs the number accepts) is an OpenSOR addition that SorTree
    does not carry. ``validity`` is ``None`` when the source gives no SorStatus for it.
    """

    gln: str
    owner_sor_id: int
    only_internal: bool = False
    non_active: bool = False
    system_supplier: str = ""
    system_type: str = ""
    communication_supplier: str = ""
    region_code: str = ""
    edi_administrator: str = ""
    note: str | None = None
    validity: Validity | None = None
    message_types: tuple[str, ...] = field(default=())

    def content_hash(self) -> str:
        """A stable digest of every attribute, used to tell whether two versions differ."""
        return _digest(self)

    def with_changes(self, **changes: Any) -> LocationNumberRecord:
        """A copy with some attributes replaced."""
        return dataclasses.replace(self, **changes)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def record_to_dict(record: UnitRecord | LocationNumberRecord) -> dict[str, Any]:
    """A JSON-ready dict of a record (dates as ISO strings, tuples as lists)."""
    result: dict[str, Any] = _plain(record)
    return result


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_SCALARS = (str, int, float, bool, type(None))


def _canonical(value: Any) -> Any:
    # A positional (field-order) form: much faster than record_to_dict on the import hot path,
    # and just as stable, since the field order of the records is part of their definition.
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is date:
        return value.isoformat()
    if kind is tuple or kind is list:
        return [_canonical(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    return [_canonical(getattr(value, name)) for name in names]


def _digest(record: Any) -> str:
    text = json.dumps(_canonical(record), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _validity(data: dict[str, Any] | None) -> Validity | None:
    if data is None:
        return None
    return Validity(
        first_from=date.fromisoformat(data["first_from"]),
        valid_from=date.fromisoformat(data["valid_from"]),
        valid_to=_date(data.get("valid_to")),
        updated_at=_date(data.get("updated_at")),
    )


def _address(data: dict[str, Any] | None) -> Address | None:
    return Address(**data) if data is not None else None


def record_from_dict(data: dict[str, Any]) -> UnitRecord | LocationNumberRecord:
    """Rebuild a record from :func:`record_to_dict` output (``gln`` marks a location number)."""
    if "gln" in data:
        return LocationNumberRecord(
            **{
                **data,
                "validity": _validity(data.get("validity")),
                "message_types": tuple(data.get("message_types", ())),
            }
        )
    validity = _validity(data["validity"])
    assert validity is not None
    contact = data.get("contact")
    return UnitRecord(
        **{
            **data,
            "level": Level(data["level"]),
            "validity": validity,
            "local_attributes": tuple(data.get("local_attributes", (None,) * 5)),
            "postal_address": _address(data.get("postal_address")),
            "visiting_address": _address(data.get("visiting_address")),
            "activity_address": _address(data.get("activity_address")),
            "contact": Contact(**contact) if contact is not None else None,
            "specialities": tuple(Speciality(**s) for s in data.get("specialities", ())),
            "replaces": tuple(data.get("replaces", ())),
            "replaced_by": tuple(data.get("replaced_by", ())),
        }
    )
