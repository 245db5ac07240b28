"""The effective-state rules: which value applies to a unit, and where it comes from.

SOR lets a unit leave attributes to its ancestors (DESIGN §3):

* a unit without its own postal address uses its nearest ancestor's;
* the visiting address defaults to the unit's (effective) postal address;
* an organisational unit's activity address defaults to its (effective) visiting address;
* each contact value (telephone, e-mail, website, fax) is inherited from the nearest ancestor
  that has one;
* a location number is the unit's own, or the nearest ancestor's; a unit whose
  ``EntityInheritedIndicator`` is explicitly ``false`` and has none of its own has none.

Consumers need both the effective value and its provenance, so every resolved value is a
:class:`Sourced` naming the SOR-ID it was taken from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from opensor.domain.records import (
    Address,
    Level,
    LocationNumberRecord,
    UnitRecord,
    record_to_dict,
)

__all__ = ["CONTACT_FIELDS", "EffectiveUnit", "Sourced", "effective_to_dict", "resolve_effective"]

T = TypeVar("T")

CONTACT_FIELDS = ("phone", "email", "website", "fax")
"""The contact values that are inherited one by one."""


@dataclass(frozen=True, slots=True)
class Sourced(Generic[T]):
    """An effective value with its provenance.

    ``source_sor_id`` is the unit whose own value it is (``None`` when no unit in the chain has
    one); ``inherited`` is true when that unit is not the one being resolved; ``rule`` names
    the rule that supplied it (``own``, ``ancestor``, ``postal_address``, ``visiting_address``
    or ``none``).
    """

    value: T | None
    source_sor_id: int | None
    inherited: bool
    rule: str

    def as_dict(self, render: Any = None) -> dict[str, Any]:
        """A JSON-ready dict: the value (rendered by ``render`` if given) and its provenance."""
        value = self.value
        if value is not None and render is not None:
            value = render(value)
        return {
            "value": value,
            "source_sor_id": str(self.source_sor_id) if self.source_sor_id is not None else None,
            "inherited": self.inherited,
            "rule": self.rule,
        }


_NONE: Sourced[Any] = Sourced(None, None, False, "none")


@dataclass(frozen=True, slots=True)
class EffectiveUnit:
    """A unit with every inheritable value resolved against its ancestors on one date."""

    unit: UnitRecord
    ancestors: tuple[UnitRecord, ...]
    postal_address: Sourced[Address]
    visiting_address: Sourced[Address]
    activity_address: Sourced[Address]
    contact: Mapping[str, Sourced[str]]
    location_number: Sourced[LocationNumberRecord]


def _nearest(
    chain: Sequence[UnitRecord], pick: Any, *, stop_when_refused: bool = False
) -> Sourced[Any]:
    for position, record in enumerate(chain):
        value = pick(record)
        if value is not None:
            return Sourced(
                value, record.sor_id, position > 0, "own" if position == 0 else "ancestor"
            )
        if stop_when_refused and record.location_number_inherited is False:
            break
    return _NONE


def _defaulted(own: Sourced[Any], fallback: Sourced[Any], rule: str, unit_id: int) -> Sourced[Any]:
    if own.value is not None and not own.inherited:
        return own
    if fallback.value is None:
        return _NONE
    return Sourced(fallback.value, fallback.source_sor_id, fallback.source_sor_id != unit_id, rule)


def resolve_effective(
    chain: Sequence[UnitRecord],
    location_numbers: Mapping[int, LocationNumberRecord],
) -> EffectiveUnit:
    """Resolve a unit's effective values.

    ``chain`` is the unit followed by its ancestors, nearest first, all as of the same date;
    ``location_numbers`` maps a SOR-ID to the location number that unit owns on that date.
    """
    if not chain:
        raise ValueError("resolve_effective needs at least the unit itself")
    unit = chain[0]
    postal = _nearest(chain, lambda r: r.postal_address)
    own_visiting = _nearest(chain[:1], lambda r: r.visiting_address)
    visiting = _defaulted(own_visiting, postal, "postal_address", unit.sor_id)
    if unit.level is Level.UNIT:
        own_activity = _nearest(chain[:1], lambda r: r.activity_address)
        activity = _defaulted(own_activity, visiting, "visiting_address", unit.sor_id)
    else:
        activity = _NONE
    contact = {
        name: _nearest(chain, lambda r, n=name: getattr(r.contact, n) if r.contact else None)
        for name in CONTACT_FIELDS
    }
    location = _nearest(chain, lambda r: location_numbers.get(r.sor_id), stop_when_refused=True)
    return EffectiveUnit(
        unit=unit,
        ancestors=tuple(chain[1:]),
        postal_address=postal,
        visiting_address=visiting,
        activity_address=activity,
        contact=contact,
        location_number=location,
    )


def _address_dict(address: Address) -> dict[str, Any]:
    return {**record_to_dict_address(address), "text": address.one_line()}


def record_to_dict_address(address: Address) -> dict[str, Any]:
    """A JSON-ready dict of an address."""
    return {f.name: getattr(address, f.name) for f in dataclasses.fields(address)}


def _location_dict(number: LocationNumberRecord) -> dict[str, Any]:
    data = record_to_dict(number)
    data["owner_sor_id"] = str(number.owner_sor_id)
    return data


def effective_to_dict(effective: EffectiveUnit) -> dict[str, Any]:
    """The effective values of a unit as a JSON-ready dict with provenance for each value."""
    return {
        "postal_address": effective.postal_address.as_dict(_address_dict),
        "visiting_address": effective.visiting_address.as_dict(_address_dict),
        "activity_address": effective.activity_address.as_dict(_address_dict),
        "contact": {name: value.as_dict() for name, value in effective.contact.items()},
        "location_number": effective.location_number.as_dict(_location_dict),
    }
