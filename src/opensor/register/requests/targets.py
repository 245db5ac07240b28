"""What a change request is about: its target in the register, and whether its values hold.

Filing, answering with new values, the diff a case worker sees and the web form's
validate-as-you-type all read a request's target the same way: :func:`target_resolve` finds the
unit or location number (404 when it is not there on the day), its placement for the
responsibility rules and its current version tag; :func:`proposal` applies the requested values
and returns every problem with them, exactly as the maintenance service would on approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from opensor.domain.changes import apply_location_changes, apply_unit_changes, changed_fields
from opensor.domain.codelists import CodeLists
from opensor.domain.errors import DomainError
from opensor.domain.identifiers import validate_gln
from opensor.domain.records import Level, LocationNumberRecord, UnitRecord, Validity
from opensor.domain.responsibility import Placement
from opensor.domain.validation import FieldProblem, location_problems, unit_problems
from opensor.register.maintenance.errors import NotFound, ValidationFailed
from opensor.register.maintenance.placement import placement_of, placement_under
from opensor.register.maintenance.units import open_children
from opensor.register.maintenance.versions import location_timeline, unit_timeline
from opensor.register.requests.models import ChangeRequest
from opensor.register.units.mapping import location_record_from_row
from opensor.register.units.models import LocationNumber, LocationNumberVersion
from opensor.register.units.selectors import unit_on

__all__ = ["Target", "proposal", "target_resolve"]

Kind = ChangeRequest.Kind


@dataclass(frozen=True)
class Target:
    """The register's side of a request on one day.

    ``unit`` is the unit changed or closed, the parent of a new unit, or the unit owning the
    location number; ``location`` the location number changed or closed; ``placement`` where
    the request's subject sits (for a new unit: where it will sit); ``etag`` the current version
    tag of the subject (the parent's for a new unit, empty for a new location number).
    """

    kind: str
    day: date
    unit: UnitRecord
    placement: Placement
    etag: str
    level: Level | None = None
    location: LocationNumberRecord | None = None
    gln: str = ""


def _problem(field: str, da: str, en: str) -> ValidationFailed:
    return ValidationFailed([FieldProblem(field, da, en)])


def _unit(sor_id: int | None, day: date, field: str) -> UnitRecord:
    if sor_id is None:
        raise _problem(field, "angiv enhedens SOR-ID", "give the unit's SOR-ID")
    unit = unit_on(sor_id, day)
    if unit is None:
        raise NotFound(
            f"unit {sor_id} is not valid on {day}", f"enhed {sor_id} er ikke gyldig den {day}"
        )
    return unit


def _level_under(parent: UnitRecord, level: str | None) -> Level:
    if level:
        try:
            return Level(level)
        except ValueError:
            names = ", ".join(lv.value for lv in Level)
            raise _problem("level", f"ukendt niveau {level!r}", f"use one of {names}") from None
    return Level.INSTITUTION if parent.level is Level.OWNER else Level.UNIT


def target_resolve(
    kind: str,
    *,
    day: date,
    target_sor_id: int | None = None,
    target_gln: str = "",
    level: str | None = None,
) -> Target:
    """The target of a request of ``kind`` on ``day``; raises :class:`NotFound` or 422."""
    if kind not in Kind.values:
        raise _problem("kind", f"ukendt art {kind!r}", f"use one of {', '.join(Kind.values)}")
    if kind in (Kind.UNIT_UPDATE, Kind.UNIT_CLOSE):
        unit = _unit(target_sor_id, day, "target_sor_id")
        etag = unit_timeline(unit.sor_id).etag()
        return Target(kind, day, unit, placement_of(unit, day), etag)
    if kind == Kind.UNIT_CREATE:
        parent = _unit(target_sor_id, day, "target_sor_id")
        new_level = _level_under(parent, level)
        placement = placement_under(parent, new_level, day=day)
        return Target(
            kind, day, parent, placement, unit_timeline(parent.sor_id).etag(), level=new_level
        )
    if kind == Kind.LOCATION_CREATE:
        owner = _unit(target_sor_id, day, "target_sor_id")
        # The number itself is checked with the values (after the permission check).
        gln = (target_gln or "").strip()
        return Target(kind, day, owner, placement_of(owner, day), "", gln=gln)
    gln = (target_gln or "").strip()
    if not gln or not LocationNumber.objects.filter(gln=gln).exists():
        raise NotFound(f"no location number {gln!r}", f"lokationsnummer {gln!r} findes ikke")
    timeline = location_timeline(gln)
    row = timeline.valid_on(day)
    if row is None:
        raise NotFound(
            f"location number {gln} is not valid on {day}",
            f"lokationsnummer {gln} er ikke gyldigt den {day}",
        )
    location = location_record_from_row(row)
    owner = _unit(location.owner_sor_id, day, "target_gln")
    return Target(
        kind, day, owner, placement_of(owner, day), timeline.etag(), location=location, gln=gln
    )


def _new_unit(target: Target, payload: dict[str, Any], codes: CodeLists) -> Any:
    assert target.level is not None
    base = UnitRecord(
        sor_id=0,
        level=target.level,
        name="",
        validity=Validity(first_from=target.day, valid_from=target.day),
        parent_sor_id=target.unit.sor_id,
    )
    record, problems = apply_unit_changes(base, payload)
    if "name" not in payload:
        problems.append(FieldProblem("name", "navn mangler", "name is missing"))
    problems += unit_problems(record, codes, parent_level=target.unit.level)
    return record, problems


def _nothing_changed() -> FieldProblem:
    return FieldProblem("payload", "anmodningen ændrer ingenting", "the request changes nothing")


def _unique(problems: list[FieldProblem]) -> list[FieldProblem]:
    seen: set[tuple[str, str]] = set()
    result = []
    for problem in problems:
        if (problem.field, problem.message_en) not in seen:
            seen.add((problem.field, problem.message_en))
            result.append(problem)
    return result


def proposal(
    target: Target, payload: Any, codes: CodeLists
) -> tuple[UnitRecord | LocationNumberRecord | None, list[FieldProblem]]:
    """The record the request would write, and every problem with the requested values."""
    if not isinstance(payload, dict):
        return None, [FieldProblem("payload", "skal være et objekt", "must be a JSON object")]
    kind = target.kind
    if kind == Kind.UNIT_CREATE:
        record, problems = _new_unit(target, payload, codes)
        return record, _unique(problems)
    if kind == Kind.UNIT_UPDATE:
        changed, problems = apply_unit_changes(target.unit, payload)
        problems += unit_problems(changed, codes)
        if not problems and not changed_fields(target.unit, changed):
            problems.append(_nothing_changed())
        return changed, _unique(problems)
    if kind == Kind.UNIT_CLOSE:
        children = open_children(target.unit.sor_id, target.day)
        problems = []
        if children:
            listed = ", ".join(map(str, children))
            problems.append(
                FieldProblem(
                    "children",
                    f"enheden har åbne underenheder ({listed}): anmod først om at lukke dem",
                    f"the unit has open children ({listed}): request closing them first",
                )
            )
        return target.unit, problems
    if kind == Kind.LOCATION_CREATE:
        try:
            validate_gln(target.gln)
        except DomainError as error:
            message_da = f"ugyldigt lokationsnummer {target.gln!r}"
            return None, [FieldProblem("target_gln", message_da, str(error))]
        base = LocationNumberRecord(gln=target.gln, owner_sor_id=target.unit.sor_id)
        record, problems = apply_location_changes(base, payload)
        problems += location_problems(record, codes)
        if LocationNumber.objects.filter(gln=target.gln).exists():
            problems.append(
                FieldProblem(
                    "target_gln",
                    f"lokationsnummer {target.gln} findes allerede",
                    f"location number {target.gln} exists already",
                )
            )
        owned = (
            LocationNumberVersion.objects.valid_on(target.day)
            .filter(owner_id=target.unit.sor_id)
            .values_list("location_number_id", flat=True)
            .first()
        )
        if owned is not None:
            problems.append(
                FieldProblem(
                    "target_sor_id",
                    f"enheden har allerede lokationsnummer {owned}",
                    f"the unit owns location number {owned} already",
                )
            )
        return record, _unique(problems)
    assert target.location is not None
    if kind == Kind.LOCATION_UPDATE:
        changed_number, problems = apply_location_changes(target.location, payload)
        problems += location_problems(changed_number, codes)
        if not problems and not changed_fields(target.location, changed_number):
            problems.append(_nothing_changed())
        return changed_number, _unique(problems)
    return target.location, []
