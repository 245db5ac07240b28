"""The demo register: complete, valid, consistent over time, deterministic, and as planned."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date

import pytest

from opensor.domain.codelists import CodeLists
from opensor.domain.demo import (
    GLN_PREFIX,
    SOR_ITEM_START,
    DemoKind,
    DemoUnit,
    demo_plan,
    generate_demo,
    summarize,
)
from opensor.domain.demo.context import NORTH_ATLANTIC_REGION_CODE
from opensor.domain.demo.names import HOSPITALS
from opensor.domain.demo.regional import REGION_SEATS
from opensor.domain.findings import check_location_number_codes, check_unit_codes
from opensor.domain.geography import municipality, postcode, postcode_in_municipality, region
from opensor.domain.identifiers import (
    normalize_phone,
    sor_id_item,
    validate_cvr,
    validate_gln,
    validate_provider_number,
    validate_shak,
    validate_sor_id,
)
from opensor.domain.records import Address, Level, UnitRecord

REFERENCE = date(2025, 6, 1)
SCALE = 0.02
PRIVATE = "550891000005100"
GP_SPECIALITY = "408443003"


@pytest.fixture(scope="module")
def units() -> list[DemoUnit]:
    return list(generate_demo(SCALE, seed=7, reference_date=REFERENCE))


@pytest.fixture(scope="module")
def by_id(units: list[DemoUnit]) -> dict[int, DemoUnit]:
    return {unit.sor_id: unit for unit in units}


def version_on(unit: DemoUnit, day: date) -> UnitRecord:
    for version in unit.versions:
        if version.validity.contains(day):
            return version
    raise AssertionError(f"{unit.sor_id} has no version on {day}")


def life(unit: DemoUnit) -> tuple[date, date | None]:
    return unit.versions[0].validity.first_from, unit.versions[-1].validity.valid_to


def addresses(record: UnitRecord) -> list[Address]:
    found = (record.postal_address, record.visiting_address, record.activity_address)
    return [a for a in found if a is not None]


# -- determinism and plan ---------------------------------------------------------------------


def test_the_same_seed_gives_the_same_register(units: list[DemoUnit]) -> None:
    assert list(generate_demo(SCALE, seed=7, reference_date=REFERENCE)) == units


def test_another_seed_gives_another_register(units: list[DemoUnit]) -> None:
    other = list(generate_demo(SCALE, seed=8, reference_date=REFERENCE))
    assert other != units
    assert [u.versions[0].name for u in other] != [u.versions[0].name for u in units]


@pytest.mark.parametrize("scale", [0.01, SCALE, 0.13])
def test_the_generator_meets_the_plan_exactly(scale: float) -> None:
    generated = summarize(generate_demo(scale, seed=3, reference_date=REFERENCE), scale)
    planned = demo_plan(scale)
    assert dict(generated.units) == dict(planned.units)
    assert generated.location_numbers == planned.location_numbers


def test_real_scale_is_about_fifty_thousand_units() -> None:
    plan = demo_plan(1.0)
    assert 45_000 <= plan.total_units <= 55_000
    assert plan.by_level()[Level.OWNER] > 6_000
    assert plan.units[DemoKind.PRIVATE_OWNER] > plan.units[DemoKind.MUNICIPALITY]


def test_scale_multiplies_the_counts() -> None:
    assert 9.5 < demo_plan(10).total_units / demo_plan(1).total_units < 10.5


def test_even_the_smallest_register_has_every_kind() -> None:
    plan = demo_plan(0.01)
    assert all(count >= 1 for count in plan.units.values()), plan.units
    generated = summarize(generate_demo(0.01, seed=1, reference_date=REFERENCE), 0.01)
    assert all(count >= 1 for count in generated.units.values())


def test_generation_streams() -> None:
    stream = generate_demo(10, seed=1, reference_date=REFERENCE)
    first = list(itertools.islice(stream, 50))
    assert len(first) == 50
    assert first[0].kind is DemoKind.REGION


@pytest.mark.parametrize("scale", [0, -1, 51])
def test_a_scale_out_of_range_is_refused(scale: float) -> None:
    with pytest.raises(ValueError, match="scale"):
        demo_plan(scale)


def test_a_reference_date_before_the_regions_is_refused() -> None:
    with pytest.raises(ValueError, match="reference_date"):
        generate_demo(0.01, reference_date=date(2008, 1, 1))


# -- identifiers --------------------------------------------------------------------------------


def test_every_identifier_is_valid(units: list[DemoUnit]) -> None:
    for unit in units:
        assert validate_sor_id(unit.sor_id) == unit.sor_id
        assert sor_id_item(unit.sor_id) >= SOR_ITEM_START
        assert len(str(unit.sor_id)) == 18
        for version in unit.versions:
            if version.shak is not None:
                assert validate_shak(version.shak) == version.shak
            if version.provider_number is not None:
                assert validate_provider_number(version.provider_number) == version.provider_number
            if version.cvr is not None:
                assert validate_cvr(version.cvr) == version.cvr
            contact = version.contact
            if contact is not None and contact.phone is not None:
                country = addresses(version)[0].country if addresses(version) else None
                assert normalize_phone(contact.phone, country or "DK") == contact.phone
        for number in unit.location_numbers:
            assert validate_gln(number.gln) == number.gln
            assert number.gln.startswith(GLN_PREFIX)


def test_identifiers_are_unique(units: list[DemoUnit]) -> None:
    sor_ids = [unit.sor_id for unit in units]
    assert len(sor_ids) == len(set(sor_ids))
    owners_of: dict[str, set[int]] = defaultdict(set)
    for unit in units:
        for number in unit.location_numbers:
            assert number.owner_sor_id == unit.sor_id
            owners_of[number.gln].add(unit.sor_id)
    assert all(len(owners) == 1 for owners in owners_of.values())
    for field in ("provider_number", "shak", "pharmacy_id", "cvr"):
        holders: dict[str, set[int]] = defaultdict(set)
        for unit in units:
            for version in unit.versions:
                if (value := getattr(version, field)) is not None:
                    holders[value].add(unit.sor_id)
        assert holders, field
        assert all(len(ids) == 1 for ids in holders.values()), field


def test_shak_codes_follow_the_tree(by_id: dict[int, DemoUnit]) -> None:
    hospitals = [u for u in by_id.values() if u.kind is DemoKind.HOSPITAL]
    assert all(len(h.current.shak or "") == 4 for h in hospitals)
    for unit in by_id.values():
        if unit.kind not in (DemoKind.DEPARTMENT, DemoKind.SECTION):
            continue
        for version in unit.versions:
            assert version.parent_sor_id is not None and version.shak is not None
            parent = version_on(by_id[version.parent_sor_id], version.validity.valid_from)
            assert parent.shak is not None
            assert len(version.shak) == len(parent.shak) + (2 if len(parent.shak) == 4 else 1)
            assert version.shak.startswith(parent.shak)


# -- the tree over time -------------------------------------------------------------------------


def test_units_come_parent_first(units: list[DemoUnit]) -> None:
    seen: set[int] = set()
    for unit in units:
        for version in unit.versions:
            assert version.parent_sor_id is None or version.parent_sor_id in seen
        seen.add(unit.sor_id)


def test_the_tree_has_the_sor_shape(by_id: dict[int, DemoUnit]) -> None:
    for unit in by_id.values():
        assert unit.kind.level is unit.current.level
        for version in unit.versions:
            if version.level is Level.OWNER:
                assert version.parent_sor_id is None and version.owner_type is not None
                continue
            assert version.parent_sor_id is not None
            parent = by_id[version.parent_sor_id].current.level
            assert parent in version.level.allowed_parent_levels
            if version.level is Level.INSTITUTION:
                assert version.institution_type is not None


def test_versions_are_contiguous(units: list[DemoUnit]) -> None:
    for unit in units:
        versions = unit.versions
        assert versions[0].validity.valid_from == versions[0].validity.first_from
        for before, after in itertools.pairwise(versions):
            assert before.validity.valid_to == after.validity.valid_from
            assert before.validity.first_from == after.validity.first_from
            assert before.sor_id == after.sor_id
            assert before.content_hash() != after.content_hash()
        for version in versions:
            validity = version.validity
            assert validity.valid_to is None or validity.valid_from < validity.valid_to
            assert validity.updated_at is not None and validity.updated_at <= REFERENCE


def test_children_live_inside_their_parents(by_id: dict[int, DemoUnit]) -> None:
    for unit in by_id.values():
        for version in unit.versions:
            if version.parent_sor_id is None:
                continue
            start, end = life(by_id[version.parent_sor_id])
            validity = version.validity
            assert start <= validity.valid_from
            assert end is None or (validity.valid_to is not None and validity.valid_to <= end)


def test_a_moved_unit_goes_to_a_parent_of_the_same_kind(by_id: dict[int, DemoUnit]) -> None:
    moved = 0
    for unit in by_id.values():
        parents = [by_id[v.parent_sor_id] for v in unit.versions if v.parent_sor_id is not None]
        if len({p.sor_id for p in parents}) > 1:
            moved += 1
            assert len({p.kind for p in parents}) == 1
    assert moved


def test_every_kind_of_history_is_present(by_id: dict[int, DemoUnit]) -> None:
    kinds: Counter[str] = Counter()
    for unit in by_id.values():
        versions = unit.versions
        if len({v.name for v in versions}) > 1:
            kinds["renamed"] += 1
        if len({v.parent_sor_id for v in versions}) > 1:
            kinds["moved"] += 1
        end = versions[-1].validity.valid_to
        if end is not None:
            kinds["closed" if end <= REFERENCE else "closes in the future"] += 1
        if versions[0].validity.first_from > REFERENCE:
            kinds["opens in the future"] += 1
        if any(v.validity.valid_from > REFERENCE for v in versions[1:]):
            kinds["changes in the future"] += 1
        if versions[-1].replaced_by:
            kinds["replaced"] += 1
            for successor_id in versions[-1].replaced_by:
                successor = by_id[successor_id]
                assert unit.sor_id in successor.current.replaces
                assert successor.versions[0].validity.first_from == end
                assert successor.kind is unit.kind
    expected = {"renamed", "moved", "closed", "closes in the future", "opens in the future",
                "changes in the future", "replaced"}  # fmt: skip
    assert expected <= set(kinds), kinds
    assert kinds["renamed"] < 0.1 * len(by_id)


# -- places -------------------------------------------------------------------------------------


def test_addresses_lie_in_the_units_municipality(units: list[DemoUnit]) -> None:
    checked = 0
    for unit in units:
        for version in unit.versions:
            for address in addresses(version):
                country = address.country or "DK"
                assert postcode(address.postcode, country) is not None
                if unit.municipality is not None:
                    m = municipality(unit.municipality)
                    assert m.country == country
                    assert postcode_in_municipality(address.postcode, m.code, country)
                    checked += 1
                else:
                    assert country == "FO"
    assert checked


def test_coordinates_lie_in_the_region_near_the_parent(by_id: dict[int, DemoUnit]) -> None:
    for unit in by_id.values():
        own = unit.current.postal_address
        if own is None or unit.municipality is None:
            continue
        assert own.latitude is not None and own.longitude is not None
        region_code = municipality(unit.municipality).region_code
        if region_code is None:
            continue  # Greenland: a municipality spans hundreds of kilometres
        assert region(region_code).contains(own.latitude, own.longitude)
        parent_id = unit.current.parent_sor_id
        if parent_id is None:
            continue
        parent = by_id[parent_id]
        theirs = parent.current.postal_address
        if theirs is not None and parent.municipality == unit.municipality:
            assert theirs.latitude is not None and theirs.longitude is not None
            assert abs(own.latitude - theirs.latitude) < 0.1
            assert abs(own.longitude - theirs.longitude) < 0.15


def test_greenland_and_the_faroes_have_their_own_numbers(by_id: dict[int, DemoUnit]) -> None:
    seen = set()
    for unit in by_id.values():
        address, contact = unit.current.postal_address, unit.current.contact
        if address is None or address.country == "DK":
            continue
        seen.add(address.country)
        assert contact is not None and contact.phone is not None
        if address.country == "GL":
            assert address.postcode.startswith("39") and contact.phone.startswith("+299")
        else:
            assert len(address.postcode) == 3 and contact.phone.startswith("+298")
    assert seen == {"GL", "FO"}


# -- content ------------------------------------------------------------------------------------


def test_every_code_is_in_its_code_list(units: list[DemoUnit]) -> None:
    codes = CodeLists.bundled()
    for unit in units:
        for version in unit.versions:
            assert list(check_unit_codes(version, codes)) == []
        for number in unit.location_numbers:
            assert number.message_types
            assert list(check_location_number_codes(number, codes)) == []
            for list_name, value in (
                ("system_type", number.system_type),
                ("system_supplier", number.system_supplier),
                ("communication_supplier", number.communication_supplier),
                ("edi_administrator", number.edi_administrator),
            ):
                codes.validate(list_name, value)


def owner_on(by_id: dict[int, DemoUnit], record: UnitRecord, day: date) -> UnitRecord:
    while record.parent_sor_id is not None:
        record = version_on(by_id[record.parent_sor_id], day)
    return record


def test_personal_data_marks_exactly_the_sole_proprietorships(
    by_id: dict[int, DemoUnit],
) -> None:
    sole = 0
    for unit in by_id.values():
        for version in unit.versions:
            owner = owner_on(by_id, version, version.validity.valid_from)
            expected = owner.owner_type == PRIVATE and owner.cvr is None
            assert version.personal_data is expected, (unit.kind, version.name)
            sole += expected and version.level is Level.OWNER
        if unit.kind.level is Level.OWNER and unit.current.owner_type == PRIVATE:
            assert unit.current.cvr is not None or unit.current.personal_data
    assert sole


def test_gp_practices_have_a_provider_number_unit_in_general_practice(
    by_id: dict[int, DemoUnit],
) -> None:
    practices = [u for u in by_id.values() if u.kind is DemoKind.GP_PRACTICE]
    providers = {
        u.current.parent_sor_id: u
        for u in by_id.values()
        if u.kind is DemoKind.PROVIDER_NUMBER_UNIT
    }
    assert practices
    for practice in practices:
        assert practice.current.institution_type == "394761003"
        provider = providers[practice.sor_id].current
        assert provider.provider_number is not None and len(provider.provider_number) == 6
        assert provider.specialities[0].code == GP_SPECIALITY
        assert provider.specialities[0].type == "51000095001"


def owns_location_number_on(unit: DemoUnit, day: date) -> bool:
    return any(n.validity is not None and n.validity.contains(day) for n in unit.location_numbers)


def test_location_numbers_are_own_or_inherited_consistently(by_id: dict[int, DemoUnit]) -> None:
    flags: Counter[object] = Counter()
    for unit in by_id.values():
        first, end = life(unit)
        region_code = municipality(unit.municipality).region_code if unit.municipality else None
        for number in unit.location_numbers:
            assert number.validity is not None
            assert first <= number.validity.valid_from
            assert number.region_code == (region_code or NORTH_ATLANTIC_REGION_CODE)
        if unit.location_numbers:
            last = unit.location_numbers[-1].validity
            assert last is not None and last.valid_to == end
        for version in unit.versions:
            flag = version.location_number_inherited
            flags[flag] += 1
            if version.level is Level.OWNER or unit.location_numbers:
                assert flag is None
                continue
            day = version.validity.valid_from
            ancestor, found = version, False
            while ancestor.parent_sor_id is not None and not found:
                parent = by_id[ancestor.parent_sor_id]
                found = owns_location_number_on(parent, day)
                ancestor = version_on(parent, day)
            assert flag is found, (unit.kind, version.name)
    assert flags[True] and flags[False] and flags[None]


def test_the_register_does_not_depend_on_hash_randomisation() -> None:
    script = (
        "import hashlib, datetime\n"
        "from opensor.domain.demo import generate_demo\n"
        "h = hashlib.sha256()\n"
        "for u in generate_demo(0.01, 5, reference_date=datetime.date(2024, 3, 1)):\n"
        "    h.update(repr(u).encode())\n"
        "print(h.hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1


def test_hospitals_and_region_seats_lie_in_their_region() -> None:
    for region_code, hospitals in HOSPITALS.items():
        for name, code in hospitals:
            assert municipality(code).region_code == region_code, name
    for region_code, code in REGION_SEATS.items():
        assert municipality(code).region_code == region_code


def test_names_longer_than_sortree_allows_are_shortened_at_a_word_boundary():
    from opensor.domain.demo.tree import MAX_NAME_LENGTH, fit_name

    long_name = "Speciallægeklinik for Intern Medicin, Frederiksberg Allé Centrum"
    assert len(long_name) > MAX_NAME_LENGTH
    assert fit_name(long_name) == "Speciallægeklinik for Intern Medicin, Frederiksberg Allé"
    assert fit_name("Kort navn") == "Kort navn"
