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
