"""The location-number write services: who may, message types, moves, closing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from opensor.register.audit.models import AuditEvent
from opensor.register.maintenance import locations
from opensor.register.maintenance.errors import (
    Conflict,
    Forbidden,
    PreconditionFailed,
    ValidationFailed,
)
from opensor.register.maintenance.versions import location_timeline
from opensor.register.units.mapping import location_record_from_row
from opensor.register.units.selectors import unit_view_on

TODAY = timezone.localdate()
REFERRAL = "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r"
ATTACHMENT = "urn:dk:healthcare:medcom:messaging:edifact:medbin:bin02:b0210x"


def _current(gln: str):
    return location_record_from_row(location_timeline(gln).valid_on(TODAY))


def test_a_region_adds_a_message_type_to_its_departments_number(world: dict, actors: dict) -> None:
    gln = world["department_number"].gln
    tag = location_timeline(gln).etag()
    result = locations.location_update(
        actors["region"], gln, {"message_types": [REFERRAL, ATTACHMENT]}, if_match=tag
    )
    assert set(_current(gln).message_types) == {REFERRAL, ATTACHMENT}
    assert result.changed == ("message_types",)
    event = AuditEvent.objects.get(target_type="location", target_id=gln)
    assert event.before["message_types"] == [REFERRAL]
    # The section inherits it: routing sees the new type through the tree.
    section = unit_view_on(world["section"].sor_id, TODAY).as_dict()
    assert ATTACHMENT in str(section)
    with pytest.raises(PreconditionFailed):
        locations.location_update(actors["region"], gln, {"note": "x"}, if_match=tag)


def test_municipalities_never_maintain_location_numbers(world: dict, actors: dict) -> None:
    gln = world["care_number"].gln
    with pytest.raises(Forbidden) as refused:
        locations.location_update(actors["municipality"], gln, {"note": "x"}, if_match="*")
    assert "authority" in refused.value.message_en
    locations.location_update(actors["authority"], gln, {"note": "ny note"}, if_match="*")
    assert _current(gln).note == "ny note"


def test_regions_do_not_maintain_numbers_of_their_hospitals(world: dict, actors: dict) -> None:
    with pytest.raises(Forbidden):
        locations.location_create(
            actors["region"], "5790000000005", owner_sor_id=world["hospital"].sor_id, values={}
        )


def test_create_validates_the_gln_and_message_types(world: dict, actors: dict) -> None:
    section = world["section"].sor_id
    with pytest.raises(ValidationFailed) as refused:
        locations.location_create(
            actors["region"], "5790000000006", owner_sor_id=section, values={}
        )
    assert refused.value.problems[0].field == "gln"
    with pytest.raises(ValidationFailed) as refused:
        locations.location_create(
            actors["region"],
            "5790000000005",
            owner_sor_id=section,
            values={"message_types": ["urn:nonsense"]},
        )
    assert refused.value.problems[0].field == "message_types.0"
    result = locations.location_create(
        actors["region"],
        "5790000000005",
        owner_sor_id=section,
        values={"message_types": [REFERRAL]},
    )
    assert result.target_id == "5790000000005"
    assert _current("5790000000005").owner_sor_id == section
    with pytest.raises(Conflict):
        locations.location_create(
            actors["region"], "5790000000005", owner_sor_id=section, values={}
        )


def test_a_unit_owns_one_open_number(world: dict, actors: dict) -> None:
    with pytest.raises(Conflict):
        locations.location_create(
            actors["region"],
            "5790000000005",
            owner_sor_id=world["department"].sor_id,
            values={},
        )


def test_move_and_close(world: dict, actors: dict) -> None:
    gln = world["department_number"].gln
    with pytest.raises(Forbidden):
        locations.location_move(
            actors["region"], gln, world["other_department"].sor_id, if_match="*"
        )
    locations.location_move(actors["region"], gln, world["section"].sor_id, if_match="*")
    assert _current(gln).owner_sor_id == world["section"].sor_id
    later = TODAY + timedelta(days=7)
    locations.location_close(actors["region"], gln, if_match="*", effective=later)
    assert location_timeline(gln).valid_on(later) is None
    assert location_timeline(gln).valid_on(TODAY) is not None
