"""Version rows: the values, the stored form the import writes, and the records back."""

from __future__ import annotations

from datetime import date

import pytest

from opensor.domain.records import Address, Contact, Level, Speciality, Validity
from opensor.register.units.bulk import location_inserters, unit_inserters
from opensor.register.units.mapping import (
    LOCATION_VERSION_FIELDS,
    UNIT_VERSION_FIELDS,
    location_record_from_values,
    location_row_values,
    location_version_values,
    row_fingerprint,
    stored_location_row,
    stored_unit_row,
    unit_record_from_values,
    unit_row_values,
    unit_version_values,
)
from tests import factories


def _units():
    owner = factories.unit()
    institution = factories.unit(
        Level.INSTITUTION,
        owner,
        shak="8001",
        pharmacy_id="362,1",
        visiting_address=factories.address(country=None, floor="ST", stairway="B"),
        replaces=(factories.new_sor_id(), factories.new_sor_id()),
    )
    unit = factories.unit(
        Level.UNIT,
        institution,
        name="Afdeling for ø og å",
        validity=Validity(date(2001, 1, 1), date(2002, 3, 4), date(2030, 1, 1), date(2001, 1, 2)),
        contact=Contact(phone="12345678", email="a@b.dk", website="https://x.dk"),
        specialities=(Speciality("394609007", "1"), Speciality("394585009", "2")),
        local_attributes=("a", None, "c", None, None),
        activity_address=Address("Vej", "1", "100", "Tórshavn", country="FO", latitude=62.0),
        ambulant_activity=True,
        patients_admitted=False,
        reporting_level=True,
        replaced_by=(factories.new_sor_id(),),
        cvr="12345678",
        personal_data=True,
    )
    return [owner, institution, unit]


@pytest.mark.parametrize("index", range(3))
def test_unit_values_give_the_dict_the_fingerprint_and_the_record_back(index):
    record = _units()[index]
    values = unit_row_values(record)
    as_dict = unit_version_values(record)
    assert (*values, as_dict["content_hash"]) == tuple(as_dict[c] for c in UNIT_VERSION_FIELDS)
    assert as_dict["content_hash"] == row_fingerprint(as_dict, UNIT_VERSION_FIELDS)
    assert unit_record_from_values(values) == record


@pytest.mark.parametrize("index", range(3))
def test_stored_unit_rows_are_what_the_inserter_writes(db, index):
    record = _units()[index]
    _, versions = unit_inserters(UNIT_VERSION_FIELDS)
    versions.add({**unit_version_values(record), **_record_time()})
    assert versions.rows[0][: len(UNIT_VERSION_FIELDS)] == stored_unit_row(unit_row_values(record))


@pytest.mark.parametrize("with_validity", [True, False])
def test_stored_location_rows_are_what_the_inserter_writes(db, with_validity):
    owner = _units()[0]
    number = factories.location_number(owner, note="Bemærk", only_internal=True)
    if not with_validity:
        number = number.with_changes(validity=None)
    owner_validity = Validity(date(2000, 1, 1), date(2000, 1, 1), date(2031, 1, 1))
    values = location_row_values(number, owner_validity)
    as_dict = location_version_values(number, owner_validity)
    assert (*values, as_dict["content_hash"]) == tuple(as_dict[c] for c in LOCATION_VERSION_FIELDS)
    assert location_record_from_values(values) == number
    _, versions = location_inserters(LOCATION_VERSION_FIELDS)
    versions.add({**as_dict, **_record_time()})
    assert versions.rows[0][: len(LOCATION_VERSION_FIELDS)] == stored_location_row(values)


def _record_time():
    from django.utils import timezone

    return {
        "recorded_at": timezone.now(),
        "recorded_by_id": 1,
        "superseded_at": None,
        "superseded_by_id": None,
    }
