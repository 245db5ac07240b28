"""A maintainer's changes are read field by field and validated strictly, naming each field."""

from __future__ import annotations

from opensor.domain.changes import apply_location_changes, apply_unit_changes, changed_fields
from opensor.domain.codelists import CodeLists
from opensor.domain.records import Level
from opensor.domain.validation import location_problems, unit_problems
from tests import factories

CODES = CodeLists.bundled()


def _fields(problems: list) -> set[str]:
    return {problem.field for problem in problems}


def test_changes_replace_groups_and_keep_the_rest() -> None:
    unit = factories.unit(Level.OWNER)
    changed, problems = apply_unit_changes(
        unit,
        {
            "name": "  Region Sjælland  ",
            "contact": {"phone": "70151515", "email": "post@regionsjaelland.dk"},
            "specialities": [{"code": "394579002", "type": "550941000005102"}],
        },
    )
    assert problems == []
    assert changed.name == "Region Sjælland"
    assert changed.contact is not None and changed.contact.phone == "70151515"
    assert changed.postal_address == unit.postal_address
    assert changed_fields(unit, changed) == ["name", "contact", "specialities"]


def test_null_clears_and_empty_text_is_none() -> None:
    unit = factories.unit(Level.OWNER, cvr="12345674")
    changed, problems = apply_unit_changes(unit, {"cvr": "", "contact": None})
    assert problems == [] and changed.cvr is None and changed.contact is None


def test_unreadable_and_fixed_fields_are_named() -> None:
    unit = factories.unit(Level.OWNER)
    _, problems = apply_unit_changes(
        unit,
        {
            "sor_id": 1,
            "parent_sor_id": 2,
            "colour": "red",
            "personal_data": "yes",
            "postal_address": {"street_name": "Vej", "postcode": "4000", "district": "Roskilde"},
            "specialities": [{"code": "1"}],
        },
    )
    assert _fields(problems) == {
        "sor_id",
        "parent_sor_id",
        "colour",
        "personal_data",
        "postal_address.building",
        "specialities.0.type",
    }


def test_invalid_values_are_all_reported_at_once() -> None:
    unit = factories.unit(Level.INSTITUTION, factories.unit(Level.OWNER))
    changed, problems = apply_unit_changes(
        unit,
        {
            "shak": "12",
            "cvr": "12345678",
            "provider_number": "12ab",
            "institution_type": "999",
            "postal_address": {
                "street_name": "Køgevej",
                "building": "7",
                "postcode": "4000",
                "district": "Køge",
            },
            "contact": {"email": "not an address", "phone": "12"},
        },
    )
    assert problems == []
    found = unit_problems(changed, CODES, parent_level=Level.OWNER)
    assert _fields(found) == {
        "shak",
        "cvr",
        "provider_number",
        "institution_type",
        "postal_address.district",
        "contact.email",
        "contact.phone",
    }
    district = next(p for p in found if p.field == "postal_address.district")
    assert district.message_da == "postnummer 4000 hedder Roskilde, ikke Køge"


def test_level_must_fit_the_parent_and_specialities_are_bounded() -> None:
    owner = factories.unit(Level.OWNER)
    unit = factories.unit(Level.UNIT, factories.unit(Level.INSTITUTION, owner))
    many = [{"code": code, "type": "550941000005102"} for code in ["394579002"] * 9]
    changed, _ = apply_unit_changes(unit, {"specialities": many})
    fields = _fields(unit_problems(changed, CODES, parent_level=Level.OWNER))
    assert {"parent", "specialities", "specialities.1.code"} <= fields


def test_a_valid_demo_like_unit_has_no_problems() -> None:
    owner = factories.unit(Level.OWNER)
    assert unit_problems(owner, CODES) == []


def test_location_changes_and_message_types_are_checked() -> None:
    owner = factories.unit(Level.OWNER)
    number = factories.location_number(owner)
    changed, problems = apply_location_changes(
        number,
        {
            "message_types": [
                "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r",
                "urn:unknown",
                "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r",
            ],
            "region_code": "9999",
        },
    )
    assert problems == []
    assert _fields(location_problems(changed, CODES)) == {
        "message_types.1",
        "message_types.2",
        "region_code",
    }
    _, problems = apply_location_changes(number, {"gln": "1", "only_internal": None})
    assert _fields(problems) == {"gln", "only_internal"}
