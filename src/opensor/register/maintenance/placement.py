"""Where a unit sits for the responsibility rules.

Its level, its owner's sector and the owner's region or municipality, read from the register
as of a date.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.db import connection

from opensor.domain import geography
from opensor.domain.errors import DomainError
from opensor.domain.records import Address, Level, UnitRecord, Validity
from opensor.domain.responsibility import OWNER_TYPE_SECTORS, Placement, Sector
from opensor.register.units.models import UnitVersion
from opensor.register.units.selectors import MAX_DEPTH, unit_on

_ADDRESS_COLUMNS = ("postal_address", "visiting_address", "activity_address")

__all__ = ["owner_jurisdiction", "placement_of", "placement_under", "root_owner"]


def root_owner(record: UnitRecord, day: date) -> UnitRecord:
    """The owner (IE) at the root of a unit's tree on ``day`` (the unit itself for an owner)."""
    if record.parent_sor_id is None:
        return record
    owner = _root_by_query(record.parent_sor_id, day)
    if owner is not None:
        return owner
    current = record
    for _ in range(MAX_DEPTH):
        if current.parent_sor_id is None:
            return current
        parent = unit_on(current.parent_sor_id, day)
        if parent is None:
            # The parent was not valid that day: fall back to its latest version before it.
            parent = _latest(current.parent_sor_id)
            if parent is None:
                return current
        current = parent
    return current


_OWNER_COLUMNS = ("unit_id", "name", "owner_type", *_ADDRESS_COLUMNS)


def _root_sql() -> str:
    table = UnitVersion._meta.db_table
    valid = "superseded_at IS NULL AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)"
    columns = ", ".join(_OWNER_COLUMNS)
    return (
        f"WITH RECURSIVE chain(unit_id, parent_id, depth) AS ("
        f" SELECT unit_id, parent_id, 0 FROM {table} WHERE unit_id = %s AND {valid}"
        f" UNION ALL SELECT v.unit_id, v.parent_id, c.depth + 1 FROM chain c"
        f" JOIN {table} v ON v.unit_id = c.parent_id"
        f" WHERE v.superseded_at IS NULL AND v.valid_from <= %s"
        f" AND (v.valid_to IS NULL OR v.valid_to > %s) AND c.depth < {MAX_DEPTH})"
        f" SELECT {columns} FROM {table} WHERE {valid} AND parent_id IS NULL"
        f" AND unit_id = (SELECT unit_id FROM chain WHERE parent_id IS NULL LIMIT 1)"
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _address(value: Any) -> Address | None:
    data = _json(value)
    return Address(**data) if data else None


def _root_by_query(start: int, day: date) -> UnitRecord | None:
    """The root owner above ``start``, read in one recursive query.

    ``None`` when the chain of versions valid on ``day`` breaks before an owner; the caller
    then walks it step by step.
    """
    with connection.cursor() as cursor:
        cursor.execute(_root_sql(), [start, day, day, day, day, day, day])
        row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip(_OWNER_COLUMNS, row, strict=True))
    return UnitRecord(
        sor_id=int(values["unit_id"]),
        level=Level.OWNER,
        name=values["name"],
        validity=Validity(first_from=day, valid_from=day),
        owner_type=values["owner_type"],
        postal_address=_address(values["postal_address"]),
        visiting_address=_address(values["visiting_address"]),
        activity_address=_address(values["activity_address"]),
    )


def _latest(sor_id: int) -> UnitRecord | None:
    from opensor.register.units.selectors import unit_history

    history = unit_history(sor_id)
    return history[-1] if history else None


def _municipality_by_name(name: str) -> str | None:
    folded = name.casefold().removesuffix(" kommune").removesuffix(" kommunia").strip()
    for municipality in geography.municipalities():
        if municipality.name.casefold() == folded:
            return municipality.code
    return None


def _region_by_name(name: str) -> str | None:
    folded = name.casefold()
    for region in geography.regions():
        if region.name.casefold() == folded:
            return region.code
    return None


def _address_municipality(owner: UnitRecord) -> str | None:
    for address in (owner.postal_address, owner.visiting_address, owner.activity_address):
        if address is None:
            continue
        try:
            known = geography.postcode(address.postcode, address.country or "DK")
        except DomainError:
            continue
        if known is not None and known.municipality_codes:
            return known.municipality_codes[0]
    return None


def owner_jurisdiction(owner: UnitRecord, sector: Sector | None) -> tuple[str | None, str | None]:
    """``(region_code, municipality_code)`` of a regional or municipal owner.

    The owner's name decides first ("Region Hovedstaden", "Køge Kommune"), its address's
    municipality second; other sectors have no jurisdiction.
    """
    if sector is Sector.REGION:
        code = _region_by_name(owner.name)
        if code is None and (municipality := _address_municipality(owner)) is not None:
            code = geography.municipality(municipality).region_code
        return code, None
    if sector is Sector.MUNICIPALITY:
        municipality = _municipality_by_name(owner.name) or _address_municipality(owner)
        region = geography.municipality(municipality).region_code if municipality else None
        return region, municipality
    return None, None


def _placement(level: Level, owner: UnitRecord) -> Placement:
    sector = OWNER_TYPE_SECTORS.get(owner.owner_type or "")
    region, municipality = owner_jurisdiction(owner, sector)
    return Placement(
        level=level,
        sector=sector,
        owner_sor_id=owner.sor_id,
        region_code=region,
        municipality_code=municipality,
    )


def placement_of(record: UnitRecord, day: date) -> Placement:
    """The placement of an existing unit version on ``day``."""
    return _placement(record.level, root_owner(record, day))


def placement_under(
    parent: UnitRecord | None, level: Level, owner: UnitRecord | None = None, *, day: date
) -> Placement:
    """The placement a unit of ``level`` would have under ``parent``.

    For an owner (``parent`` is ``None``) its own record ``owner`` decides.
    """
    if parent is None:
        if owner is None:
            raise ValueError("an owner's placement needs the owner's record")
        return _placement(level, owner)
    return _placement(level, root_owner(parent, day))
