"""The scope checks the API runs before it reports a malformed call.

A well-formed call is checked by the service itself (permission first). A malformed one never
reaches the service, so the view asks here whether the caller acts within its scope at all,
and answers 403 (or 404 for an unknown resource) before the 400 that names the parameter.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from opensor.domain.records import Level, UnitRecord
from opensor.domain.responsibility import Permission
from opensor.register.accounts.actors import Actor
from opensor.register.maintenance.errors import Forbidden, NotFound
from opensor.register.maintenance.placement import placement_of, placement_under
from opensor.register.maintenance.recording import require
from opensor.register.maintenance.versions import location_timeline
from opensor.register.units.mapping import location_record_from_row
from opensor.register.units.models import LocationNumberVersion
from opensor.register.units.selectors import unit_history, unit_on

__all__ = ["location_scope", "unit_create_scope", "unit_record", "unit_scope"]


def unit_record(sor_id: int, day: date) -> UnitRecord:
    """The unit's version on ``day``, else its latest version; 404 for an unknown unit."""
    record = unit_on(sor_id, day)
    if record is None:
        history = unit_history(sor_id)
        if not history:
            raise NotFound(f"no unit has SOR-ID {sor_id}", f"ingen enhed har SOR-ID {sor_id}")
        record = history[-1]
    return record


def unit_scope(actor: Actor, permission: Permission, sor_id: int, day: date | None) -> None:
    """403 unless the actor may do ``permission`` on the unit (404 for an unknown unit)."""
    day = day or timezone.localdate()
    require(actor, permission, placement_of(unit_record(sor_id, day), day))


def unit_create_scope(
    actor: Actor, parent_sor_id: int | None, level: Level | None, day: date | None
) -> None:
    """403 unless the actor may create a unit (of ``level``, or of any level) under the parent."""
    day = day or timezone.localdate()
    if parent_sor_id is None:
        if not actor.is_authority:
            raise Forbidden("only the authority creates owners", "kun myndigheden opretter ejere")
        return
    parent = unit_record(parent_sor_id, day)
    levels = [level] if level is not None else [Level.INSTITUTION, Level.UNIT]
    refusal: Forbidden | None = None
    for candidate in levels:
        try:
            require(actor, Permission.UNIT_CREATE, placement_under(parent, candidate, day=day))
            return
        except Forbidden as error:
            refusal = error
    assert refusal is not None
    raise refusal


def location_scope(actor: Actor, permission: Permission, gln: str, day: date | None) -> None:
    """403 unless the actor may do ``permission`` on the location number's owner (404: unknown)."""
    day = day or timezone.localdate()
    timeline = location_timeline(gln)
    row = timeline.valid_on(day) or timeline.last()
    if row is not None:
        owner = location_record_from_row(row).owner_sor_id
    else:  # withdrawn (closed on its first day): its last owner still decides
        owner = (
            LocationNumberVersion.objects.filter(location_number_id=gln)
            .order_by("-id")
            .values_list("owner_id", flat=True)
            .first()
        )
        if owner is None:
            raise NotFound(f"no location number {gln}", f"lokationsnummer {gln} findes ikke")
    require(actor, permission, placement_of(unit_record(owner, day), day))
