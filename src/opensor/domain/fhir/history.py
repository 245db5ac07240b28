"""Past versions of a unit or a location number, resolved from version records (pure).

The FHIR history (IHE mCSD ITI-91) shows each change to a resource as it was on the day the
change took effect. These functions resolve that state from the register's version records
as the publication holds them: the unit's own versions, its ancestors' versions and the
location numbers each unit owned, with the same inheritance rules as the current state
(:func:`opensor.domain.inheritance.resolve_effective`).

The caller supplies the records through two look-up functions, so the rules stay here and the
storage (a read model, the register) stays with the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from opensor.domain.inheritance import EffectiveUnit, resolve_effective
from opensor.domain.records import LocationNumberRecord, UnitRecord

__all__ = [
    "MAX_DEPTH",
    "OwnedNumber",
    "effective_on",
    "history_method",
    "number_on",
    "version_on",
]

MAX_DEPTH = 64
"""No real tree is this deep; a longer ancestry means a cycle in the data."""


@dataclass(frozen=True, slots=True)
class OwnedNumber:
    """One version of a location number with the valid time of its row.

    ``record.validity`` is empty when the source gave no status; the row's ``valid_from`` and
    ``valid_to`` (the owner's validity then) are still the time the number was owned.
    """

    record: LocationNumberRecord
    valid_from: date
    valid_to: date | None

    def contains(self, day: date) -> bool:
        """Whether the number was owned (this version valid) on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


def version_on(versions: Sequence[UnitRecord], day: date) -> UnitRecord | None:
    """The version valid on ``day`` among one unit's versions, or ``None``."""
    for version in versions:
        if version.validity.contains(day):
            return version
    return None


def _nearest(versions: Sequence[UnitRecord], day: date) -> UnitRecord | None:
    """The version valid on ``day``, else the last one started by then, else the first."""
    found = version_on(versions, day)
    if found is not None:
        return found
    started = [v for v in versions if v.validity.valid_from <= day]
    if started:
        return max(started, key=lambda v: v.validity.valid_from)
    return min(versions, key=lambda v: v.validity.valid_from) if versions else None


def number_on(numbers: Sequence[OwnedNumber], day: date) -> OwnedNumber | None:
    """The version of a location number valid on ``day``, else the nearest (as for units)."""
    for number in numbers:
        if number.contains(day):
            return number
    started = [n for n in numbers if n.valid_from <= day]
    if started:
        return max(started, key=lambda n: n.valid_from)
    return min(numbers, key=lambda n: n.valid_from) if numbers else None


def effective_on(
    sor_id: int,
    day: date,
    *,
    versions_of: Callable[[int], Sequence[UnitRecord]],
    numbers_owned_by: Callable[[int], Sequence[OwnedNumber]],
) -> EffectiveUnit | None:
    """The unit ``sor_id`` with its effective values as of ``day``.

    The unit's own version is the one valid on ``day`` or, for a day on which it was closed or
    not yet open, its nearest version (so a closure shows the last state). Ancestors are taken
    valid on ``day``; the walk stops at an ancestor not valid then, as the register's own
    reads do. A location number counts when its owner owned it on ``day``. ``None`` when the
    unit has no versions.
    """
    unit = _nearest(versions_of(sor_id), day)
    if unit is None:
        return None
    chain = [unit]
    seen = {unit.sor_id}
    while chain[-1].parent_sor_id is not None and len(chain) <= MAX_DEPTH:
        parent_id = chain[-1].parent_sor_id
        if parent_id in seen:
            break  # a cycle in the data: stop rather than loop
        parent = version_on(versions_of(parent_id), day)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent_id)
    numbers: dict[int, LocationNumberRecord] = {}
    for record in chain:
        owned = sorted(
            (n for n in numbers_owned_by(record.sor_id) if n.contains(day)),
            key=lambda n: n.record.gln,
        )
        if owned:
            numbers[record.sor_id] = owned[0].record
            break
        if record.location_number_inherited is False:
            break
    return resolve_effective(chain, numbers)


def history_method(kind: str, *, active: bool) -> str:
    """The HTTP method a change-feed event shows as in a FHIR history.

    ``POST`` for a created entity, ``DELETE`` for a closure (and for a replacement that
    leaves the entity closed), ``PUT`` for every other change.
    """
    if kind == "created":
        return "POST"
    if kind == "closed" or (kind == "replaced" and not active):
        return "DELETE"
    return "PUT"
