"""Factories: valid records with sensible defaults, in one place.

Every identifier made here is valid (Verhoeff SOR-IDs, GS1 GLNs), from item ranges that the
demo register and the real extracts do not use.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from opensor.domain.identifiers import make_gln, make_sor_id
from opensor.domain.records import (
    Address,
    Contact,
    Level,
    LocationNumberRecord,
    UnitRecord,
    Validity,
)

_items = itertools.count(5_000_000)
_glns = itertools.count(1)

DEFAULT_START = date(2000, 1, 1)

TYPE_FIELD = {
    Level.OWNER: ("owner_type", "550881000005103"),
    Level.INSTITUTION: ("institution_type", "22232009"),
    Level.UNIT: ("unit_type", "550851000005109"),
}


def new_sor_id() -> int:
    """A fresh, valid SOR-ID."""
    return make_sor_id(next(_items))


def new_gln() -> str:
    """A fresh, valid GLN in a test block."""
    return make_gln(f"579888{next(_glns):06d}")


def address(**overrides: Any) -> Address:
    """A Danish postal address."""
    values: dict[str, Any] = {
        "street_name": "Køgevej",
        "building": "7",
        "postcode": "4000",
        "district": "Roskilde",
        "country": "DK",
    }
    values.update(overrides)
    return Address(**values)


def validity(start: date = DEFAULT_START, end: date | None = None, **overrides: Any) -> Validity:
    """A valid time starting ``start``."""
    values: dict[str, Any] = {"first_from": start, "valid_from": start, "valid_to": end}
    values.update(overrides)
    return Validity(**values)


def unit(
    level: Level = Level.OWNER, parent: UnitRecord | None = None, **overrides: Any
) -> UnitRecord:
    """A unit record of ``level`` under ``parent``."""
    type_field, type_code = TYPE_FIELD[level]
    values: dict[str, Any] = {
        "sor_id": new_sor_id(),
        "level": level,
        "name": f"Testenhed {level.value}",
        "validity": parent.validity if parent is not None else validity(),
        "parent_sor_id": parent.sor_id if parent is not None else None,
        type_field: type_code,
    }
    if level is Level.OWNER:
        values["postal_address"] = address()
        values["contact"] = Contact(phone="46300000")
    else:
        values["location_number_inherited"] = True
    if level is Level.UNIT:
        values["geographical_parent_relation"] = 2
    values.update(overrides)
    return UnitRecord(**values)


def location_number(owner: UnitRecord, **overrides: Any) -> LocationNumberRecord:
    """A location number owned by ``owner``."""
    values: dict[str, Any] = {
        "gln": new_gln(),
        "owner_sor_id": owner.sor_id,
        "system_supplier": "641000055002",
        "system_type": "1611000045003",
        "communication_supplier": "41000035001",
        "region_code": "1085",
        "edi_administrator": "116",
        "validity": owner.validity,
    }
    values.update(overrides)
    return LocationNumberRecord(**values)


def tree() -> dict[str, UnitRecord]:
    """A small tree: owner (own address, phone) → hospital → department → section."""
    owner = unit(Level.OWNER, name="Region Sjælland")
    hospital = unit(
        Level.INSTITUTION, owner, name="Sjællands Universitetshospital, Køge", shak="3800"
    )
    department = unit(Level.UNIT, hospital, name="Akutafdeling", shak="380001")
    section = unit(Level.UNIT, department, name="Akutklinik", shak="3800011")
    return {"owner": owner, "hospital": hospital, "department": department, "section": section}


def record_tree_with_number(record: Any) -> dict[str, Any]:
    """Record :func:`tree` (its department owning a location number) and another owner.

    ``record`` is the suite's ``record`` fixture; returns the records by role, with ``other``
    (the second owner) and ``number`` (the department's location number).
    """
    nodes = tree()
    other = unit(Level.OWNER, name="Region Syddanmark")
    number = location_number(nodes["department"])
    record(
        [
            (nodes["owner"], None),
            (nodes["hospital"], None),
            (nodes["department"].with_changes(location_number_inherited=None), number),
            (nodes["section"], None),
            (other, None),
        ]
    )
    return {**nodes, "other": other, "number": number}


OWNER_TYPES = {
    "region": "550881000005103",
    "municipality": "547211000005108",
    "state": "398070004",
    "private": "550891000005100",
}
"""The SNOMED CT owner type of each sector."""


def record_maintenance_world(record: Any) -> dict[str, Any]:
    """Record one tree per sector, for the responsibility rules.

    * ``region`` (Region Sjælland, 1085) → ``hospital`` (SI) → ``department`` (OE, owns
      ``department_number``) → ``section`` (OE);
    * ``municipality`` (Køge Kommune, 0259) → ``care`` (SI) → ``care_unit`` (OE, owns
      ``care_number``);
    * ``practice_owner`` (private) → ``practice`` (SI) → ``practice_unit`` (OE); the owner owns
      ``practice_number``;
    * ``state`` (state owner) → ``state_institution`` (SI);
    * ``other_region`` (Region Syddanmark, 1083) → ``other_hospital`` → ``other_department``.
    """
    region = unit(Level.OWNER, name="Region Sjælland", owner_type=OWNER_TYPES["region"])
    hospital = unit(Level.INSTITUTION, region, name="Sjællands Universitetshospital", shak="3800")
    department = unit(
        Level.UNIT, hospital, name="Akutafdeling", shak="380001", location_number_inherited=None
    )
    section = unit(Level.UNIT, department, name="Akutklinik", shak="3800011")
    municipality = unit(
        Level.OWNER,
        name="Køge Kommune",
        owner_type=OWNER_TYPES["municipality"],
        postal_address=address(postcode="4600", district="Køge"),
    )
    care = unit(Level.INSTITUTION, municipality, name="Køge Sundhedscenter")
    care_unit = unit(Level.UNIT, care, name="Genoptræning Køge", location_number_inherited=None)
    practice_owner = unit(
        Level.OWNER,
        name="Lægerne i Solrød",
        owner_type=OWNER_TYPES["private"],
        location_number_inherited=None,
        postal_address=address(postcode="2680", district="Solrød Strand"),
    )
    practice = unit(Level.INSTITUTION, practice_owner, name="Lægerne i Solrød")
    practice_unit = unit(Level.UNIT, practice, name="Lægerne i Solrød, ydernummer 012345")
    state = unit(Level.OWNER, name="Statens Serum Institut", owner_type=OWNER_TYPES["state"])
    state_institution = unit(Level.INSTITUTION, state, name="SSI Laboratorier")
    other_region = unit(Level.OWNER, name="Region Syddanmark", owner_type=OWNER_TYPES["region"])
    other_hospital = unit(Level.INSTITUTION, other_region, name="Odense Universitetshospital")
    other_department = unit(Level.UNIT, other_hospital, name="Kardiologisk afdeling")
    department_number = location_number(
        department,
        message_types=("urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r",),
    )
    care_number = location_number(care_unit, region_code="1085")
    practice_number = location_number(practice_owner)
    record(
        [
            (region, None),
            (hospital, None),
            (department, department_number),
            (section, None),
            (municipality, None),
            (care, None),
            (care_unit, care_number),
            (practice_owner, practice_number),
            (practice, None),
            (practice_unit, None),
            (state, None),
            (state_institution, None),
            (other_region, None),
            (other_hospital, None),
            (other_department, None),
        ]
    )
    return {
        "region": region,
        "hospital": hospital,
        "department": department,
        "section": section,
        "municipality": municipality,
        "care": care,
        "care_unit": care_unit,
        "practice_owner": practice_owner,
        "practice": practice,
        "practice_unit": practice_unit,
        "state": state,
        "state_institution": state_institution,
        "other_region": other_region,
        "other_hospital": other_hospital,
        "other_department": other_department,
        "department_number": department_number,
        "care_number": care_number,
        "practice_number": practice_number,
    }
