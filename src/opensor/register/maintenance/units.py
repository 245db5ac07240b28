"""Maintainers' writes to units: create, change, move, close, reopen, record a successor.

Each function is one service call (one transaction). The order of checks is fixed: the unit
must exist (404), the actor's roles must cover it (403, before the request body is looked
at), the write must name the current version (428/412), then the values are validated (422)
and the rules of the tree checked (409). Only then is anything recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

from django.db import transaction

from opensor.domain.changes import apply_unit_changes, changed_fields
from opensor.domain.records import Level, UnitRecord, Validity, record_to_dict
from opensor.domain.responsibility import Permission, Placement
from opensor.domain.validation import FieldProblem, unit_problems
from opensor.register.accounts.actors import Actor
from opensor.register.maintenance.errors import Conflict, NotFound, ValidationFailed
from opensor.register.maintenance.placement import placement_of, placement_under
from opensor.register.maintenance.recording import (
    Write,
    WriteResult,
    check_version,
    effective_day,
    require,
    snapshot,
)
from opensor.register.maintenance.versions import Timeline, unit_etag, unit_timeline
from opensor.register.prepared import PreparedSelect
from opensor.register.units.mapping import unit_record_from_row, unit_version_values
from opensor.register.units.models import LocationNumberVersion, Unit, UnitVersion
from opensor.register.units.selectors import MAX_DEPTH, unit_on
from opensor.register.units.sequences import sor_id_allocate

__all__ = [
    "ChildrenPolicy",
    "open_children",
    "unit_close",
    "unit_create",
    "unit_move",
    "unit_reopen",
    "unit_successor",
    "unit_update",
]

ChildrenPolicy = Literal["refuse", "close", "move"]


_LOCK = PreparedSelect(
    lambda key: Unit.objects.select_for_update().filter(sor_id=key).values("sor_id")
)


def _lock(sor_id: int) -> None:
    # Serialises concurrent writes to one unit on PostgreSQL (SQLite's IMMEDIATE transactions
    # serialise every write already), so an If-Match check cannot race another write.
    if not _LOCK.rows(sor_id):
        raise NotFound(f"no unit has SOR-ID {sor_id}", f"ingen enhed har SOR-ID {sor_id}")


def _version_on(timeline: Timeline, sor_id: int, day: date) -> UnitRecord:
    row = timeline.valid_on(day)
    if row is None:
        raise NotFound(
            f"unit {sor_id} is not valid on {day}", f"enhed {sor_id} er ikke gyldig den {day}"
        )
    return unit_record_from_row(row)


def _validate(
    record: UnitRecord,
    write: Write,
    day: date,
    extra: Sequence[FieldProblem] = (),
    *,
    check_parent: bool = True,
) -> None:
    parent_level = None
    if check_parent and record.parent_sor_id is not None:
        parent = unit_on(record.parent_sor_id, day)
        if parent is None:
            extra = [
                *extra,
                FieldProblem(
                    "parent",
                    f"den overordnede enhed {record.parent_sor_id} er ikke gyldig den {day}",
                    f"the parent {record.parent_sor_id} is not valid on {day}",
                ),
            ]
        else:
            parent_level = parent.level
    problems = [*extra, *unit_problems(record, write.codes, parent_level=parent_level)]
    if problems:
        raise ValidationFailed(problems)


def _values(record: UnitRecord, write: Write) -> dict[str, Any]:
    validity = record.validity
    stamped = record.with_changes(
        validity=Validity(validity.first_from, validity.valid_from, validity.valid_to, write.today)
    )
    return unit_version_values(stamped)


def _result(
    write: Write,
    sor_id: int,
    day: date | None,
    changed: list[str],
    timeline: Timeline | None = None,
) -> WriteResult:
    write.finish(target=sor_id)
    return WriteResult(
        target_type="unit",
        target_id=str(sor_id),
        etag=timeline.etag_after_write() if timeline is not None else unit_etag(sor_id),
        change_set_id=write.change_set.pk,
        effective_from=day,
        changed=tuple(changed),
    )


@transaction.atomic
def unit_create(
    actor: Actor,
    *,
    level: Level,
    parent_sor_id: int | None,
    values: Mapping[str, Any],
    effective: date | None = None,
) -> WriteResult:
    """Create a unit under ``parent_sor_id`` (``None`` for an owner), valid from ``effective``.

    ``values`` are the unit's fields in the change format of :mod:`opensor.domain.changes`
    (``name`` is required). The new unit gets a never-used SOR-ID.
    """
    day = effective_day(effective)
    parent = None
    if parent_sor_id is not None:
        parent = unit_on(parent_sor_id, day)
        if parent is None:
            raise NotFound(
                f"the parent {parent_sor_id} is not valid on {day}",
                f"den overordnede enhed {parent_sor_id} er ikke gyldig den {day}",
            )
    if level is Level.OWNER:
        placement = Placement(level=Level.OWNER, sector=None, owner_sor_id=0)
    elif parent is None:
        raise ValidationFailed(
            [FieldProblem("parent", "overordnet enhed mangler", "parent is missing")]
        )
    else:
        placement = placement_under(parent, level, day=day)
    require(actor, Permission.UNIT_CREATE, placement)
    write = Write(actor, Permission.UNIT_CREATE)
    base = UnitRecord(
        sor_id=0,
        level=level,
        name="",
        validity=Validity(first_from=day, valid_from=day),
        parent_sor_id=parent_sor_id,
    )
    record, problems = apply_unit_changes(base, values)
    if "name" not in values:
        problems.append(FieldProblem("name", "navn mangler", "name is missing"))
    _validate(record, write, day, problems)
    sor_id = sor_id_allocate()
    record = record.with_changes(sor_id=sor_id)
    Unit.objects.create(sor_id=sor_id, level=level.value, created_by=write.change_set)
    UnitVersion.objects.create(
        **_values(record, write), recorded_at=write.at, recorded_by=write.change_set
    )
    write.audit("unit", sor_id, before=None, after=snapshot(record), effective_from=day)
    return _result(write, sor_id, day, ["created"])


@transaction.atomic
def unit_update(
    actor: Actor,
    sor_id: int,
    changes: Mapping[str, Any],
    *,
    if_match: str | None,
    effective: date | None = None,
) -> WriteResult:
    """Change a unit's attributes from ``effective`` (today by default; may lie ahead)."""
    day = effective_day(effective)
    _lock(sor_id)
    timeline = unit_timeline(sor_id)
    current = _version_on(timeline, sor_id, day)
    require(actor, Permission.UNIT_UPDATE, placement_of(current, day))
    check_version(if_match, timeline)
    write = Write(actor, Permission.UNIT_UPDATE, target=sor_id)
    changed_record, problems = apply_unit_changes(current, changes)
    # An attribute change leaves the unit where it is: its parent was checked when it was placed.
    _validate(changed_record, write, day, problems, check_parent=False)
    changed = changed_fields(current, changed_record)
    if changed:
        timeline.change_from(day, _values(changed_record, write), write.change_set, write.at)
    write.audit(
        "unit",
        sor_id,
        before=snapshot(current),
        after=snapshot(changed_record),
        effective_from=day,
        changed=changed,
    )
    return _result(write, sor_id, day, changed, timeline)


def _descends_from(candidate: UnitRecord, sor_id: int, day: date) -> bool:
    current: UnitRecord | None = candidate
    for _ in range(MAX_DEPTH):
        if current is None:
            return False
        if current.sor_id == sor_id:
            return True
        if current.parent_sor_id is None:
            return False
        current = unit_on(current.parent_sor_id, day)
    return True


def _move(
    actor: Actor,
    write: Write,
    timeline: Timeline,
    current: UnitRecord,
    new_parent_id: int,
    day: date,
) -> list[str]:
    new_parent = unit_on(new_parent_id, day)
    if new_parent is None:
        raise ValidationFailed(
            [
                FieldProblem(
                    "parent",
                    f"den nye overordnede enhed {new_parent_id} er ikke gyldig den {day}",
                    f"the new parent {new_parent_id} is not valid on {day}",
                )
            ]
        )
    require(actor, Permission.UNIT_MOVE, placement_under(new_parent, current.level, day=day))
    if _descends_from(new_parent, current.sor_id, day):
        raise Conflict(
            f"{current.sor_id} cannot move under {new_parent_id}, which lies below it",
            f"{current.sor_id} kan ikke flyttes ind under {new_parent_id}, som ligger under den",
        )
    moved = current.with_changes(parent_sor_id=new_parent_id)
    _validate(moved, write, day)
    if new_parent_id != current.parent_sor_id:
        timeline.change_from(day, _values(moved, write), write.change_set, write.at)
    write.audit(
        "unit",
        current.sor_id,
        before=snapshot(current),
        after=snapshot(moved),
        effective_from=day,
        changed=["parent_sor_id"],
        operation=Permission.UNIT_MOVE,
    )
    return ["parent_sor_id"]


@transaction.atomic
def unit_move(
    actor: Actor,
    sor_id: int,
    new_parent_sor_id: int,
    *,
    if_match: str | None,
    effective: date | None = None,
) -> WriteResult:
    """Move a unit (with its subtree) under a new parent from ``effective``.

    The actor must maintain the unit where it is and where it goes.
    """
    day = effective_day(effective)
    _lock(sor_id)
    timeline = unit_timeline(sor_id)
    current = _version_on(timeline, sor_id, day)
    if current.level is Level.OWNER:
        raise Conflict("an owner has no parent to move under", "en ejer kan ikke flyttes")
    require(actor, Permission.UNIT_MOVE, placement_of(current, day))
    check_version(if_match, timeline)
    write = Write(actor, Permission.UNIT_MOVE)
    changed = _move(actor, write, timeline, current, new_parent_sor_id, day)
    return _result(write, sor_id, day, changed)


def open_children(sor_id: int, day: date) -> list[int]:
    """The units whose version valid on ``day`` (or planned after it) sits under ``sor_id``."""
    rows = (
        UnitVersion.objects.current()
        .filter(parent_id=sor_id)
        .exclude(valid_to__lte=day)
        .values_list("unit_id", flat=True)
        .distinct()
    )
    return sorted(set(rows))


def _listed(ids: list[int]) -> str:
    return ", ".join(map(str, ids))


def _close_locations(write: Write, sor_id: int, day: date) -> None:
    from opensor.register.maintenance.locations import close_location_timeline

    glns = (
        LocationNumberVersion.objects.current()
        .filter(owner_id=sor_id)
        .exclude(valid_to__lte=day)
        .values_list("location_number_id", flat=True)
        .distinct()
    )
    for gln in sorted(set(glns)):
        close_location_timeline(write, gln, day)


def _close(
    actor: Actor,
    write: Write,
    sor_id: int,
    day: date,
    children: ChildrenPolicy,
    move_children_to: int | None,
) -> list[int]:
    timeline = unit_timeline(sor_id)
    last = timeline.valid_on(day - timedelta(days=1)) or timeline.valid_on(day)
    if last is None:
        raise Conflict(
            f"unit {sor_id} is not open on {day}", f"enhed {sor_id} er ikke åben den {day}"
        )
    record = unit_record_from_row(last)
    require(actor, Permission.UNIT_CLOSE, placement_of(record, day))
    if record.validity.valid_from >= day and timeline.rows[0]["valid_from"] >= day:
        raise Conflict(
            f"unit {sor_id} starts on {record.validity.valid_from}: close it after that",
            f"enhed {sor_id} begynder {record.validity.valid_from}: luk den senere",
        )
    closed = [sor_id]
    for child in open_children(sor_id, day):
        if children == "close":
            closed += _close(actor, write, child, day, children, None)
        elif children == "move" and move_children_to is not None:
            child_timeline = unit_timeline(child)
            child_record = _version_on(child_timeline, child, day)
            require(actor, Permission.UNIT_MOVE, placement_of(child_record, day))
            _move(actor, write, child_timeline, child_record, move_children_to, day)
        else:
            raise Conflict(
                f"unit {sor_id} has open children ({_listed(open_children(sor_id, day))}):"
                " close or move them in the same call",
                f"enhed {sor_id} har åbne underenheder: luk eller flyt dem i samme handling",
            )
    _close_locations(write, sor_id, day)
    timeline.close_on(day, write.change_set, write.at)
    before = record_to_dict(record)
    write.audit(
        "unit",
        sor_id,
        before=before,
        after={**before, "validity": {**before["validity"], "valid_to": day.isoformat()}},
        effective_from=day,
        changed=["valid_to"],
        operation=Permission.UNIT_CLOSE,
    )
    return closed


@transaction.atomic
def unit_close(
    actor: Actor,
    sor_id: int,
    *,
    if_match: str | None,
    effective: date | None = None,
    children: ChildrenPolicy = "refuse",
    move_children_to: int | None = None,
) -> WriteResult:
    """Close a unit on ``effective`` (the first day it is no longer valid).

    Refused (409) while the unit has open children, unless ``children`` is ``"close"`` (close
    the whole subtree) or ``"move"`` (move them under ``move_children_to``). The location
    numbers the closed units own close with them. Versions planned after the day are withdrawn.
    """
    day = effective_day(effective)
    _lock(sor_id)
    timeline = unit_timeline(sor_id)
    anchor = timeline.valid_on(day - timedelta(days=1)) or timeline.valid_on(day)
    if anchor is None:
        raise NotFound(
            f"unit {sor_id} is not open on {day}", f"enhed {sor_id} er ikke åben den {day}"
        )
    require(actor, Permission.UNIT_CLOSE, placement_of(unit_record_from_row(anchor), day))
    check_version(if_match, timeline)
    if children == "move" and move_children_to is None:
        raise ValidationFailed(
            [
                FieldProblem(
                    "move_children_to",
                    "angiv hvor underenhederne skal flyttes hen",
                    "say where the children move",
                )
            ]
        )
    write = Write(actor, Permission.UNIT_CLOSE)
    closed = _close(actor, write, sor_id, day, children, move_children_to)
    result = _result(write, sor_id, day, ["valid_to"])
    result.extra["closed"] = closed
    return result


@transaction.atomic
def unit_reopen(
    actor: Actor, sor_id: int, *, if_match: str | None, effective: date | None = None
) -> WriteResult:
    """Reopen a closed unit from ``effective`` with its last attributes."""
    day = effective_day(effective)
    _lock(sor_id)
    timeline = unit_timeline(sor_id)
    last_row = timeline.last()
    if last_row is None:
        raise NotFound(f"no unit has SOR-ID {sor_id}", f"ingen enhed har SOR-ID {sor_id}")
    last = unit_record_from_row(last_row)
    require(actor, Permission.UNIT_REOPEN, placement_of(last, day))
    check_version(if_match, timeline)
    if last.validity.valid_to is None or last.validity.valid_to > day:
        raise Conflict(f"unit {sor_id} is open on {day}", f"enhed {sor_id} er åben den {day}")
    write = Write(actor, Permission.UNIT_REOPEN)
    _validate(last, write, day)
    timeline.reopen_on(day, _values(last, write), write.change_set, write.at)
    write.audit(
        "unit",
        sor_id,
        before=snapshot(last),
        after=snapshot(last.with_changes(validity=Validity(last.validity.first_from, day))),
        effective_from=day,
        changed=["valid_to"],
    )
    return _result(write, sor_id, day, ["valid_to"])


@transaction.atomic
def unit_successor(
    actor: Actor,
    sor_id: int,
    successor_sor_id: int,
    *,
    if_match: str | None,
    effective: date | None = None,
) -> WriteResult:
    """Record that ``successor_sor_id`` replaces ``sor_id`` (replaced-by / replaces).

    The predecessor's latest version valid up to ``effective`` is corrected to name its
    successor; the successor names its predecessor from ``effective`` on.
    """
    day = effective_day(effective)
    _lock(sor_id)
    _lock(successor_sor_id)
    timeline = unit_timeline(sor_id)
    row = timeline.valid_on(day) or timeline.valid_on(day - timedelta(days=1)) or timeline.last()
    assert row is not None
    predecessor = unit_record_from_row(row)
    require(actor, Permission.UNIT_SUCCESSOR, placement_of(predecessor, day))
    if successor_sor_id == sor_id:
        raise ValidationFailed(
            [
                FieldProblem(
                    "successor",
                    "en enhed kan ikke efterfølge sig selv",
                    "a unit cannot succeed itself",
                )
            ]
        )
    successor_timeline = unit_timeline(successor_sor_id)
    successor = _version_on(successor_timeline, successor_sor_id, day)
    require(actor, Permission.UNIT_SUCCESSOR, placement_of(successor, day))
    check_version(if_match, timeline)
    write = Write(actor, Permission.UNIT_SUCCESSOR)
    if successor_sor_id not in predecessor.replaced_by:
        marked = predecessor.with_changes(replaced_by=(*predecessor.replaced_by, successor_sor_id))
        timeline.change_from(
            predecessor.validity.valid_from, _values(marked, write), write.change_set, write.at
        )
        write.audit(
            "unit",
            sor_id,
            before=snapshot(predecessor),
            after=snapshot(marked),
            effective_from=day,
            changed=["replaced_by"],
        )
    if sor_id not in successor.replaces:
        marked = successor.with_changes(replaces=(*successor.replaces, sor_id))
        successor_timeline.change_from(day, _values(marked, write), write.change_set, write.at)
        write.audit(
            "unit",
            successor_sor_id,
            before=snapshot(successor),
            after=snapshot(marked),
            effective_from=day,
            changed=["replaces"],
        )
    return _result(write, sor_id, day, ["replaced_by"])
