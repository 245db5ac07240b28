"""Reading units as of a date, with the effective values and where they come from."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from opensor.domain.records import Contact
from opensor.register.units.selectors import UnitNotFound, unit_view_on
from tests import factories

DAY = date(2010, 6, 1)


@pytest.fixture
def recorded_tree(record):
    nodes = factories.tree()
    owner_number = factories.location_number(nodes["owner"])
    department_number = factories.location_number(nodes["department"])
    record(
        [
            (nodes["owner"], owner_number),
            (nodes["hospital"], None),
            (nodes["department"].with_changes(location_number_inherited=None), department_number),
            (nodes["section"], None),
        ]
    )
    return nodes, owner_number, department_number


def test_a_hospital_inherits_its_owners_address_phone_and_location_number(recorded_tree):
    nodes, owner_number, _ = recorded_tree
    view = unit_view_on(nodes["hospital"].sor_id, DAY)
    data = view.as_dict()
    assert data["effective"]["postal_address"]["source_sor_id"] == str(nodes["owner"].sor_id)
    assert data["effective"]["postal_address"]["inherited"] is True
    assert data["effective"]["visiting_address"]["rule"] == "postal_address"
    assert data["effective"]["contact"]["phone"]["value"] == "46300000"
    location = data["effective"]["location_number"]
    assert location["value"]["gln"] == owner_number.gln
    assert location["source_sor_id"] == str(nodes["owner"].sor_id)
    assert [a["level"] for a in data["ancestry"]] == ["IE"]


def test_a_section_inherits_the_nearest_location_number(recorded_tree):
    nodes, _, department_number = recorded_tree
    view = unit_view_on(nodes["section"].sor_id, DAY)
    location = view.effective.location_number
    assert location.value.gln == department_number.gln
    assert location.source_sor_id == nodes["department"].sor_id
    assert location.inherited is True
    assert [a.sor_id for a in view.effective.ancestors] == [
        nodes["department"].sor_id,
        nodes["hospital"].sor_id,
        nodes["owner"].sor_id,
    ]
    assert view.effective.activity_address.rule == "visiting_address"


def test_an_own_value_wins_over_an_inherited_one(record):
    owner = factories.unit()
    hospital = factories.unit(
        factories.Level.INSTITUTION, owner, contact=Contact(phone="70707070", email="a@b.dk")
    )
    record([(owner, None), (hospital, None)])
    view = unit_view_on(hospital.sor_id, DAY)
    assert view.effective.contact["phone"].value == "70707070"
    assert view.effective.contact["phone"].inherited is False
    assert view.effective.location_number.value is None


def test_a_unit_that_refuses_inheritance_has_no_location_number(record):
    owner = factories.unit()
    hospital = factories.unit(factories.Level.INSTITUTION, owner, location_number_inherited=False)
    record([(owner, factories.location_number(owner)), (hospital, None)])
    assert unit_view_on(hospital.sor_id, DAY).effective.location_number.value is None


def test_reading_before_the_unit_existed_says_when_it_did(record):
    owner = factories.unit(validity=factories.validity(date(2005, 1, 1), date(2015, 1, 1)))
    record([(owner, None)])
    with pytest.raises(UnitNotFound, match="did not exist on 2001-01-01; it is valid from 2005"):
        unit_view_on(owner.sor_id, date(2001, 1, 1))
    with pytest.raises(UnitNotFound, match="until 2015-01-01"):
        unit_view_on(owner.sor_id, date(2016, 1, 1))


def test_reading_an_unknown_unit_says_so(db):
    with pytest.raises(UnitNotFound, match="no unit has SOR-ID"):
        unit_view_on(factories.new_sor_id(), DAY)


def test_as_of_reads_the_version_valid_that_day(record):
    owner = factories.unit(name="Før")
    record([(owner, None)])
    later = owner.with_changes(
        name="Efter", validity=replace(owner.validity, valid_from=date(2012, 1, 1))
    )
    record([(later, None)])
    assert unit_view_on(owner.sor_id, date(2011, 12, 31)).unit.name == "Før"
    assert unit_view_on(owner.sor_id, date(2012, 1, 1)).unit.name == "Efter"
    assert unit_view_on(owner.sor_id, date(2012, 1, 1)).version_count == 2
