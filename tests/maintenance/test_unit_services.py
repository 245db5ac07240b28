"""The unit write services: rules of the tree, valid time, versions, audit, all-or-nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from opensor.domain.records import Level
from opensor.register.audit.models import AuditEvent, ChangeSet
from opensor.register.maintenance import units
from opensor.register.maintenance.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from opensor.register.maintenance.versions import location_timeline, unit_timeline
from opensor.register.units.models import UnitVersion
from opensor.register.units.selectors import UnitNotFound, unit_history, unit_on, unit_view_on

TODAY = timezone.localdate()


def _tag(sor_id: int) -> str:
    return unit_timeline(sor_id).etag()


def _state() -> tuple[int, int, int]:
    return UnitVersion.objects.count(), AuditEvent.objects.count(), ChangeSet.objects.count()


def test_a_region_renames_its_department_with_an_audit_record(world: dict, actors: dict) -> None:
    department = world["department"].sor_id
    before = _tag(department)
    result = units.unit_update(
        actors["region"], department, {"name": "Akutmodtagelsen"}, if_match=before
    )
    assert unit_on(department, TODAY).name == "Akutmodtagelsen"
    assert result.etag != before and result.changed == ("name",)
    event = AuditEvent.objects.get(target_type="unit", target_id=str(department))
    assert (event.actor, event.operation, event.client) == (
        "region",
        "register:unit:update",
        "test",
    )
    assert event.before["name"] == "Akutafdeling" and event.after["name"] == "Akutmodtagelsen"
    assert event.changed == ["name"] and event.effective_from == TODAY
    # The old version is still there in valid time, ending today.
    history = unit_history(department)
    assert [v.name for v in history] == ["Akutafdeling", "Akutmodtagelsen"]
    assert history[0].validity.valid_to == TODAY


def test_a_future_change_leaves_today_alone_and_a_later_change_keeps_it(
    world: dict, actors: dict
) -> None:
    department = world["department"].sor_id
    later = TODAY + timedelta(days=60)
    units.unit_update(
        actors["region"], department, {"name": "Ny akutafdeling"}, if_match="*", effective=later
    )
    units.unit_update(actors["region"], department, {"shak": "380002"}, if_match=_tag(department))
    assert unit_on(department, TODAY).name == "Akutafdeling"
    assert unit_on(department, TODAY).shak == "380002"
    future = unit_on(department, later)
    assert future.name == "Ny akutafdeling"
    assert future.shak == "380001"  # the planned version stays as planned


@pytest.mark.parametrize(
    ("if_match", "error"),
    [(None, PreconditionRequired), ("", PreconditionRequired), ('"1.1"', PreconditionFailed)],
)
def test_a_write_must_name_the_current_version(
    world: dict, actors: dict, if_match: str | None, error: type
) -> None:
    before = _state()
    with pytest.raises(error):
        units.unit_update(
            actors["region"], world["department"].sor_id, {"name": "X"}, if_match=if_match
        )
    assert _state() == before


def test_a_stale_write_after_another_write_is_refused(world: dict, actors: dict) -> None:
    department = world["department"].sor_id
    seen = _tag(department)
    units.unit_update(actors["region"], department, {"name": "Først"}, if_match=seen)
    with pytest.raises(PreconditionFailed) as refused:
        units.unit_update(actors["region"], department, {"name": "Anden"}, if_match=seen)
    assert refused.value.current_etag == _tag(department)
    assert unit_on(department, TODAY).name == "Først"


def test_out_of_scope_is_refused_before_the_body_is_examined(world: dict, actors: dict) -> None:
    before = _state()
    with pytest.raises(Forbidden) as refused:
        units.unit_update(
            actors["municipality"], world["department"].sor_id, {"bogus": 1}, if_match=None
        )
    assert "region:1085" in refused.value.message_en
    assert _state() == before


def test_every_invalid_field_is_named_and_nothing_changes(world: dict, actors: dict) -> None:
    department = world["department"].sor_id
    before = _state()
    with pytest.raises(ValidationFailed) as refused:
        units.unit_update(
            actors["region"],
            department,
            {"name": "", "shak": "12", "unit_type": "1", "colour": "red"},
            if_match=_tag(department),
        )
    assert {p["field"] for p in refused.value.problem()["errors"]} == {
        "name",
        "shak",
        "unit_type",
        "colour",
    }
    assert _state() == before


def test_unknown_units_are_not_found(actors: dict, world: dict) -> None:
    with pytest.raises(NotFound):
        units.unit_update(actors["authority"], 99999991000016001, {}, if_match="*")


def test_create_allocates_a_new_id_under_the_right_steward(world: dict, actors: dict) -> None:
    result = units.unit_create(
        actors["municipality"],
        level=Level.UNIT,
        parent_sor_id=world["care"].sor_id,
        values={"name": "Træningsenhed Nord"},
    )
    created = unit_on(int(result.target_id), TODAY)
    assert created.name == "Træningsenhed Nord" and created.parent_sor_id == world["care"].sor_id
    with pytest.raises(Forbidden):
        units.unit_create(
            actors["municipality"],
            level=Level.INSTITUTION,
            parent_sor_id=world["municipality"].sor_id,
            values={"name": "Nyt plejecenter"},
        )
    with pytest.raises(ValidationFailed) as refused:
        units.unit_create(
            actors["authority"],
            level=Level.INSTITUTION,
            parent_sor_id=world["municipality"].sor_id,
            values={},
        )
    assert {"name", "institution_type"} <= {p.field for p in refused.value.problems}


def test_move_needs_the_steward_at_both_places_and_no_cycles(world: dict, actors: dict) -> None:
    section = world["section"].sor_id
    with pytest.raises(Forbidden):
        units.unit_move(actors["region"], section, world["other_department"].sor_id, if_match="*")
    with pytest.raises(Conflict):
        units.unit_move(actors["region"], world["department"].sor_id, section, if_match="*")
    units.unit_move(actors["region"], section, world["hospital"].sor_id, if_match=_tag(section))
    assert unit_on(section, TODAY).parent_sor_id == world["hospital"].sor_id


def test_close_is_refused_with_open_children_unless_they_go_too(world: dict, actors: dict) -> None:
    department = world["department"].sor_id
    section = world["section"].sor_id
    with pytest.raises(Conflict) as refused:
        units.unit_close(actors["region"], department, if_match=_tag(department))
    assert str(section) in refused.value.message_en
    tomorrow = TODAY + timedelta(days=1)
    result = units.unit_close(
        actors["region"],
        department,
        if_match=_tag(department),
        children="close",
        effective=tomorrow,
    )
    assert set(result.extra["closed"]) == {department, section}
    assert unit_on(department, TODAY) is not None and unit_on(department, tomorrow) is None
    assert unit_on(section, tomorrow) is None
    # The department's location number closed with it.
    gln = world["department_number"].gln
    assert location_timeline(gln).valid_on(tomorrow) is None
    with pytest.raises(UnitNotFound, match=f"until {tomorrow}"):
        unit_view_on(department, tomorrow)


def test_close_can_move_the_children_first(world: dict, actors: dict) -> None:
    department = world["department"].sor_id
    other = units.unit_create(
        actors["region"],
        level=Level.UNIT,
        parent_sor_id=world["hospital"].sor_id,
        values={"name": "Modtageafdeling"},
    )
    units.unit_close(
        actors["region"],
        department,
        if_match=_tag(department),
        children="move",
        move_children_to=int(other.target_id),
        effective=TODAY + timedelta(days=1),
    )
    section = unit_on(world["section"].sor_id, TODAY + timedelta(days=1))
    assert section is not None and section.parent_sor_id == int(other.target_id)


def test_reopen_and_successor(world: dict, actors: dict) -> None:
    section = world["section"].sor_id
    units.unit_close(actors["region"], section, if_match=_tag(section), effective=TODAY)
    with pytest.raises(Conflict):
        units.unit_close(
            actors["region"],
            world["department"].sor_id,
            if_match="*",
            children="refuse",
            effective=TODAY - timedelta(days=400),
        )
    units.unit_reopen(
        actors["region"], section, if_match=_tag(section), effective=TODAY + timedelta(days=10)
    )
    assert unit_on(section, TODAY + timedelta(days=5)) is None
    assert unit_on(section, TODAY + timedelta(days=10)).name == "Akutklinik"
    with pytest.raises(Conflict):
        units.unit_reopen(
            actors["region"], section, if_match="*", effective=TODAY + timedelta(days=20)
        )
    department = world["department"].sor_id
    units.unit_successor(
        actors["region"], section, department, if_match="*", effective=TODAY + timedelta(days=10)
    )
    assert department in unit_on(section, TODAY + timedelta(days=10)).replaced_by
    assert section in unit_on(department, TODAY + timedelta(days=10)).replaces
    with pytest.raises(Forbidden):
        units.unit_successor(
            actors["region"], section, world["other_department"].sor_id, if_match="*"
        )


def test_each_write_is_one_change_set(world: dict, actors: dict) -> None:
    department = world["department"].sor_id
    result = units.unit_close(
        actors["region"],
        department,
        if_match="*",
        children="close",
        effective=TODAY + timedelta(days=3),
    )
    events = AuditEvent.objects.filter(change_set_id=result.change_set_id)
    assert {(e.target_type, e.operation) for e in events} == {
        ("unit", "register:unit:close"),
        ("location", "register:location:close"),
    }
    assert events.count() == 3
    change_set = ChangeSet.objects.get(pk=result.change_set_id)
    assert change_set.kind == "service" and change_set.finished_at is not None


def test_successor_checks_scope_before_the_values(world: dict, actors: dict) -> None:
    section = world["section"].sor_id
    with pytest.raises(Forbidden):
        units.unit_successor(actors["municipality"], section, section, if_match=None)
    with pytest.raises(ValidationFailed):
        units.unit_successor(actors["region"], section, section, if_match="*")
