"""Where a unit sits for the responsibility rules.

Its level, its owner's sector and the owner's region or municipality, read from the register
as of a date.
"""

from __future__ import annotations

from datetime import date

from opensor.domain import geography
from opensor.domain.errors import DomainError
from opensor.domain.records import Level, UnitRecord
from opensor.domain.responsibility import OWNER_TYPE_SECTORS, Placement, Sector
from opensor.register.units.selectors import MAX_DEPTH, unit_on

__all__ = ["owner_jurisdiction", "placement_of", "placement_under", "root_owner"]


def root_owner(record: UnitRecord, day: date) -> UnitRecord:
    """The owner (IE) at the root of a unit's tree on ``day`` (the unit itself for an owner)."""
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
