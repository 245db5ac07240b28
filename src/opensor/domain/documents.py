"""The JSON document of a unit as of a date: what ``sor unit`` prints and the REST API serves.

One function builds it from a resolved :class:`~opensor.domain.inheritance.EffectiveUnit`, so
the register's CLI, the publication's read model and the lookup service's ``as_of`` reads give
exactly the same content.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from opensor.domain.codelists import CodeLists
from opensor.domain.inheritance import EffectiveUnit, effective_to_dict
from opensor.domain.records import LocationNumberRecord, Validity, record_to_dict

__all__ = ["location_number_document", "unit_document"]


def unit_document(
    effective: EffectiveUnit,
    *,
    day: date,
    own_location_number: LocationNumberRecord | None,
    version_count: int,
) -> dict[str, Any]:
    """The unit as of ``day``: every own field, the ancestry, effective values and provenance.

    SOR-IDs are strings (they exceed the integers JavaScript can hold exactly).
    """
    unit = effective.unit
    own = record_to_dict(unit)
    own["sor_id"] = str(unit.sor_id)
    own["parent_sor_id"] = str(unit.parent_sor_id) if unit.parent_sor_id else None
    own["replaces"] = [str(other) for other in unit.replaces]
    own["replaced_by"] = [str(other) for other in unit.replaced_by]
    if unit.geographical_parent_sor_id is not None:
        own["geographical_parent_sor_id"] = str(unit.geographical_parent_sor_id)
    location = None
    if own_location_number is not None:
        location = record_to_dict(own_location_number)
        location["owner_sor_id"] = str(own_location_number.owner_sor_id)
    return {
        "as_of": day.isoformat(),
        "sor_id": str(unit.sor_id),
        "level": unit.level.value,
        "name": unit.name,
        "unit": own,
        "own_location_number": location,
        "effective": effective_to_dict(effective),
        "ancestry": [
            {"sor_id": str(a.sor_id), "level": a.level.value, "name": a.name}
            for a in effective.ancestors
        ],
        "versions": version_count,
    }


def location_number_document(
    number: LocationNumberRecord,
    *,
    day: date,
    validity: Validity,
    active: bool,
    version_count: int,
    codes: CodeLists | None = None,
) -> dict[str, Any]:
    """A location number (GLN) as of ``day``: its own version, its owner and its message types.

    ``validity`` is the version's valid time as the register holds it (the record's own
    ``validity`` is ``None`` when the source gave none and the owner's was used); ``active``
    tells whether that version is valid on ``day``. With ``codes`` each accepted message type
    is named from the ``message_type`` code list. The owner's SOR-ID is a string, as in
    :func:`unit_document`.
    """
    own = record_to_dict(number)
    own["owner_sor_id"] = str(number.owner_sor_id)
    names = codes.get("message_type") if codes is not None else None
    return {
        "as_of": day.isoformat(),
        "gln": number.gln,
        "owner_sor_id": str(number.owner_sor_id),
        "active": active,
        "valid_from": validity.valid_from.isoformat(),
        "valid_to": validity.valid_to.isoformat() if validity.valid_to else None,
        "location_number": own,
        "message_types": [
            {"code": code, "name": names.name_of(code) if names is not None else None}
            for code in number.message_types
        ],
        "versions": version_count,
    }
