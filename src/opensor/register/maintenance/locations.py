"""Maintainers' writes to EAN location numbers.

Create, change (including the accepted message types), move to another unit, close.

Permissions follow the *owning unit*: a region maintains the numbers of its own OEs, the
authority every other number (municipalities never maintain location numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import transaction

from opensor.domain.changes import apply_location_changes, changed_fields
from opensor.domain.errors import DomainError
from opensor.domain.identifiers import validate_gln
from opensor.domain.records import LocationNumberRecord, Validity
from opensor.domain.responsibility import Permission
from opensor.domain.validation import FieldProblem, location_problems
from opensor.register.accounts.actors import Actor
from opensor.register.maintenance.errors import Conflict, NotFound, ValidationFailed
from opensor.register.maintenance.placement import placement_of
from opensor.register.maintenance.recording import (
    Write,
    WriteResult,
    check_version,
    effective_day,
    require,
    snapshot,
)
from opensor.register.maintenance.versions import Timeline, location_etag, location_timeline
from opensor.register.units.mapping import location_record_from_row, location_version_values
from opensor.register.units.models import LocationNumber, LocationNumberVersion
from opensor.register.units.selectors import unit_on

__all__ = [
    "close_location_timeline",
    "location_close",
    "location_create",
    "location_move",
    "location_update",
]


def _lock(gln: str) -> None:
    if not LocationNumber.objects.select_for_update().filter(gln=gln).exists():
        raise NotFound(f"no location number {gln}", f"lokationsnummer {gln} findes ikke")


def _owner_placement(owner_sor_id: int, day: date, field: str = "owner") -> Any:
    owner = unit_on(owner_sor_id, day)
    if owner is None:
        raise ValidationFailed(
            [
                FieldProblem(
                    field,
                    f"enhed {owner_sor_id} er ikke gyldig den {day}",
                    f"unit {owner_sor_id} is not valid on {day}",
                )
            ]
        )
    return placement_of(owner, day)


def _current(timeline: Timeline, gln: str, day: date) -> LocationNumberRecord:
    row = timeline.valid_on(day)
    if row is None:
        raise NotFound(
            f"location number {gln} is not valid on {day}",
            f"lokationsnummer {gln} er ikke gyldigt den {day}",
        )
    return location_record_from_row(row)


def _values(
    record: LocationNumberRecord, first_from: date, day: date, write: Write
) -> dict[str, Any]:
    validity = Validity(first_from=first_from, valid_from=day, updated_at=write.today)
    return location_version_values(record.with_changes(validity=validity))


def _result(write: Write, gln: str, day: date, changed: list[str]) -> WriteResult:
    write.finish(target=gln)
    return WriteResult(
        target_type="location",
        target_id=gln,
        etag=location_etag(gln),
        change_set_id=write.change_set.pk,
        effective_from=day,
        changed=tuple(changed),
    )


def _owned_open(owner_sor_id: int, day: date, other_than: str) -> str | None:
    return (
        LocationNumberVersion.objects.valid_on(day)
        .filter(owner_id=owner_sor_id)
        .exclude(location_number_id=other_than)
        .values_list("location_number_id", flat=True)
        .first()
    )


def _refuse_second_number(owner_sor_id: int, day: date, gln: str) -> None:
    existing = _owned_open(owner_sor_id, day, gln)
    if existing is not None:
        raise Conflict(
            f"unit {owner_sor_id} owns location number {existing} already on {day}",
            f"enhed {owner_sor_id} har allerede lokationsnummer {existing} den {day}",
        )


@transaction.atomic
def location_create(
    actor: Actor,
    gln: str,
    *,
    owner_sor_id: int,
    values: Mapping[str, Any],
    effective: date | None = None,
) -> WriteResult:
    """Register a new location number owned by a unit, valid from ``effective``."""
    day = effective_day(effective)
    require(actor, Permission.LOCATION_CREATE, _owner_placement(owner_sor_id, day))
    try:
        gln = validate_gln(gln)
    except DomainError as error:
        raise ValidationFailed(
            [FieldProblem("gln", f"ugyldigt lokationsnummer {gln!r}", str(error))]
        ) from None
    if LocationNumber.objects.filter(gln=gln).exists():
        raise Conflict(
            f"location number {gln} exists already (move or reopen it instead)",
            f"lokationsnummer {gln} findes allerede",
        )
    write = Write(actor, Permission.LOCATION_CREATE)
    record, problems = apply_location_changes(
        LocationNumberRecord(gln=gln, owner_sor_id=owner_sor_id), values
    )
    problems += location_problems(record, write.codes)
    if problems:
        raise ValidationFailed(problems)
    _refuse_second_number(owner_sor_id, day, gln)
    LocationNumber.objects.create(gln=gln, created_by=write.change_set)
    LocationNumberVersion.objects.create(
        **_values(record, day, day, write), recorded_at=write.at, recorded_by=write.change_set
    )
    write.audit("location", gln, before=None, after=snapshot(record), effective_from=day)
    return _result(write, gln, day, ["created"])


@transaction.atomic
def location_update(
    actor: Actor,
    gln: str,
    changes: Mapping[str, Any],
    *,
    if_match: str | None,
    effective: date | None = None,
) -> WriteResult:
    """Change a location number's attributes or accepted message types from ``effective``."""
    day = effective_day(effective)
    _lock(gln)
    timeline = location_timeline(gln)
    current = _current(timeline, gln, day)
    require(actor, Permission.LOCATION_UPDATE, _owner_placement(current.owner_sor_id, day))
    check_version(if_match, timeline)
    write = Write(actor, Permission.LOCATION_UPDATE)
    changed_record, problems = apply_location_changes(current, changes)
    problems += location_problems(changed_record, write.codes)
    if problems:
        raise ValidationFailed(problems)
    changed = changed_fields(current, changed_record)
    if changed:
        first_from = timeline.rows[0]["first_from"]
        timeline.change_from(
            day, _values(changed_record, first_from, day, write), write.change_set, write.at
        )
    write.audit(
        "location",
        gln,
        before=snapshot(current),
        after=snapshot(changed_record),
        effective_from=day,
        changed=changed,
    )
    return _result(write, gln, day, changed)


@transaction.atomic
def location_move(
    actor: Actor,
    gln: str,
    new_owner_sor_id: int,
    *,
    if_match: str | None,
    effective: date | None = None,
) -> WriteResult:
    """Give a location number to another unit from ``effective``.

    The actor must maintain the number at its current owner and at the new one.
    """
    day = effective_day(effective)
    _lock(gln)
    timeline = location_timeline(gln)
    current = _current(timeline, gln, day)
    require(actor, Permission.LOCATION_MOVE, _owner_placement(current.owner_sor_id, day))
    check_version(if_match, timeline)
    require(actor, Permission.LOCATION_MOVE, _owner_placement(new_owner_sor_id, day, "owner"))
    write = Write(actor, Permission.LOCATION_MOVE)
    _refuse_second_number(new_owner_sor_id, day, gln)
    moved = current.with_changes(owner_sor_id=new_owner_sor_id)
    if new_owner_sor_id != current.owner_sor_id:
        first_from = timeline.rows[0]["first_from"]
        timeline.change_from(
            day, _values(moved, first_from, day, write), write.change_set, write.at
        )
    write.audit(
        "location",
        gln,
        before=snapshot(current),
        after=snapshot(moved),
        effective_from=day,
        changed=["owner_sor_id"],
    )
    return _result(write, gln, day, ["owner_sor_id"])


def close_location_timeline(write: Write, gln: str, day: date) -> None:
    """Close a location number on ``day`` within a write (also used when its unit closes)."""
    timeline = location_timeline(gln)
    row = timeline.valid_on(day) or timeline.last()
    before = location_record_from_row(row) if row is not None else None
    timeline.close_on(day, write.change_set, write.at)
    write.audit(
        "location",
        gln,
        before=snapshot(before),
        after=None,
        effective_from=day,
        changed=["valid_to"],
        operation=Permission.LOCATION_CLOSE,
    )


@transaction.atomic
def location_close(
    actor: Actor, gln: str, *, if_match: str | None, effective: date | None = None
) -> WriteResult:
    """Close a location number on ``effective`` (the first day it is no longer valid)."""
    day = effective_day(effective)
    _lock(gln)
    timeline = location_timeline(gln)
    current = _current(timeline, gln, day)
    require(actor, Permission.LOCATION_CLOSE, _owner_placement(current.owner_sor_id, day))
    check_version(if_match, timeline)
    write = Write(actor, Permission.LOCATION_CLOSE)
    close_location_timeline(write, gln, day)
    return _result(write, gln, day, ["valid_to"])
