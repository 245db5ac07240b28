"""Recording versions bitemporally: new units, new versions, corrections, clipping, carry-over."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from django.db import IntegrityError, transaction

from opensor.domain.records import Contact, Level
from opensor.register.units.models import LocationNumberVersion, Unit, UnitVersion
from opensor.register.units.selectors import location_number_owned_on, unit_history, unit_on
from tests import factories


def test_a_new_unit_gets_its_identity_and_one_version(record):
    owner = factories.unit()
    recorder = record([(owner, None)])
    assert recorder.counts["units_created"] == 1
    assert Unit.objects.get(sor_id=owner.sor_id).level == "IE"
    assert unit_history(owner.sor_id) == [owner]


def test_recording_the_same_snapshot_again_changes_nothing(record):
    owner = factories.unit()
    number = factories.location_number(owner)
    record([(owner, number)])
    rows_before = UnitVersion.objects.count(), LocationNumberVersion.objects.count()
    recorder = record([(owner, number)])
    assert recorder.counts == {"units_unchanged": 1, "location_numbers_unchanged": 1}
    assert (UnitVersion.objects.count(), LocationNumberVersion.objects.count()) == rows_before


def test_a_later_snapshot_adds_a_version_and_closes_the_previous_one(record):
    owner = factories.unit(name="Region Sjælland")
    record([(owner, None)])
    renamed = owner.with_changes(
        name="Region Zealand", validity=replace(owner.validity, valid_from=date(2020, 1, 1))
    )
    recorder = record([(renamed, None)])
    assert recorder.counts["unit_versions_added"] == 1
    assert unit_on(owner.sor_id, date(2019, 12, 31)).name == "Region Sjælland"
    assert unit_on(owner.sor_id, date(2020, 1, 1)).name == "Region Zealand"
    history = unit_history(owner.sor_id)
    assert [v.validity.valid_to for v in history] == [date(2020, 1, 1), None]
    superseded = UnitVersion.objects.filter(unit_id=owner.sor_id, superseded_at__isnull=False)
    assert superseded.count() == 1  # the open first version, kept in record time


def test_a_snapshot_with_the_same_start_corrects_the_version_and_keeps_the_old_row(record):
    owner = factories.unit(name="Regoin Sjælland")
    record([(owner, None)])
    recorder = record([(owner.with_changes(name="Region Sjælland"), None)])
    assert recorder.counts["unit_versions_corrected"] == 1
    rows = UnitVersion.objects.filter(unit_id=owner.sor_id).order_by("id")
    assert [(r.name, r.superseded_at is None) for r in rows] == [
        ("Regoin Sjælland", False),
        ("Region Sjælland", True),
    ]
    assert rows[0].superseded_by_id == rows[1].recorded_by_id


def test_a_snapshot_never_overlaps_a_future_dated_version(record):
    owner = factories.unit(name="Gammelt navn")
    future = owner.with_changes(
        name="Nyt navn", validity=replace(owner.validity, valid_from=date(2030, 1, 1))
    )
    record([(owner, None)])
    record([(future, None)])
    corrected = owner.with_changes(contact=Contact(phone="11223344"))
    record([(corrected, None)])
    history = unit_history(owner.sor_id)
    assert [(v.name, v.validity.valid_to) for v in history] == [
        ("Gammelt navn", date(2030, 1, 1)),
        ("Nyt navn", None),
    ]
    assert history[0].contact == Contact(phone="11223344")
    # and the same snapshot once more is recognised as unchanged despite the clipping
    assert record([(corrected, None)]).counts == {"units_unchanged": 1}


def test_fields_sortree_does_not_carry_survive_a_reimport(record):
    owner = factories.unit(cvr="29190925", personal_data=True)
    owner = owner.with_changes(
        postal_address=replace(owner.postal_address, latitude=55.64, longitude=12.08)
    )
    record([(owner, None)])
    as_in_a_file = owner.with_changes(
        cvr=None,
        personal_data=False,
        postal_address=replace(owner.postal_address, latitude=None, longitude=None),
    )
    assert record([(as_in_a_file, None)]).counts == {"units_unchanged": 1}


def test_a_location_number_dropped_from_the_snapshot_is_closed(record):
    owner = factories.unit()
    number = factories.location_number(owner)
    record([(owner, number)])
    later = owner.with_changes(validity=replace(owner.validity, valid_from=date(2021, 5, 1)))
    recorder = record([(later, None)])
    assert recorder.counts["location_numbers_closed"] == 1
    assert location_number_owned_on(owner.sor_id, date(2021, 4, 30)).gln == number.gln
    assert location_number_owned_on(owner.sor_id, date(2021, 5, 1)) is None


def test_a_location_number_moves_to_another_owner(record):
    first, second = factories.unit(), factories.unit()
    number = factories.location_number(first, validity=factories.validity())
    record([(first, number), (second, None)])
    moved = number.with_changes(
        owner_sor_id=second.sor_id,
        validity=factories.validity(date(2022, 1, 1), first_from=date(2000, 1, 1)),
    )
    second_later = second.with_changes(
        validity=replace(second.validity, valid_from=date(2022, 1, 1))
    )
    first_later = first.with_changes(validity=replace(first.validity, valid_from=date(2022, 1, 1)))
    record([(first_later, None), (second_later, moved)])
    assert location_number_owned_on(first.sor_id, date(2021, 12, 31)).gln == number.gln
    assert location_number_owned_on(second.sor_id, date(2022, 1, 1)).gln == number.gln
    assert location_number_owned_on(first.sor_id, date(2022, 1, 1)) is None


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"level": "SI", "parent_id": None}, "owner_has_no_parent"),
        ({"valid_to": date(1999, 1, 1)}, "valid_time_not_empty"),
    ],
)
def test_the_database_refuses_broken_versions(record, change, constraint):
    owner = factories.unit()
    record([(owner, None)])
    row = UnitVersion.objects.get(unit_id=owner.sor_id)
    row.pk = None
    row.valid_from = date(2001, 1, 1)
    for name, value in change.items():
        setattr(row, name, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_the_database_refuses_two_current_versions_with_the_same_start(record):
    owner = factories.unit()
    record([(owner, None)])
    row = UnitVersion.objects.get(unit_id=owner.sor_id)
    row.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_the_database_refuses_two_open_owners_of_one_gln(record):
    owner = factories.unit()
    record([(owner, factories.location_number(owner))])
    row = LocationNumberVersion.objects.get()
    row.pk = None
    row.valid_from = date(2005, 1, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_levels_are_kept(record):
    nodes = factories.tree()
    record([(n, None) for n in nodes.values()])
    assert {u.level for u in Unit.objects.all()} == {"IE", "SI", "OE"}
    assert unit_on(nodes["section"].sor_id, date(2010, 1, 1)).level is Level.UNIT
