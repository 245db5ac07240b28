"""The streaming SorTree writer: schema-valid output, round trips, refusals, extensions."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from opensor.domain.errors import DomainError
from opensor.domain.identifiers import make_gln, make_sor_id
from opensor.domain.records import (
    Address,
    Contact,
    Level,
    LocationNumberRecord,
    Speciality,
    UnitRecord,
    Validity,
)
from opensor.domain.sortree import (
    SORTREE_EXTENSION_FIELDS,
    SorTreeError,
    SorTreeWriteError,
    carry_over_extensions,
    carry_over_location_extensions,
    read_sortree,
    write_sortree,
)

from .sortree_factory import synthetic_items

Item = tuple[UnitRecord, LocationNumberRecord | None]
CREATED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SNAPSHOT = date(2024, 5, 1)


def write(items: list[Item], **kwargs: Any) -> bytes:
    out = io.BytesIO()
    count = write_sortree(
        out,
        items,
        created_at=kwargs.get("created_at", CREATED),
        snapshot_date=kwargs.get("snapshot_date", SNAPSHOT),
    )
    assert count == len(items)
    return out.getvalue()


def read_back(data: bytes) -> list[Item]:
    return [(item.unit, item.location_number) for item in read_sortree(io.BytesIO(data))]


@pytest.fixture(scope="module")
def xsd(reference_dir: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(reference_dir / "sor-xml-1.0.0" / "SorTree.xsd")))


def assert_valid(schema: etree.XMLSchema, data: bytes) -> None:
    document = etree.parse(io.BytesIO(data))
    assert schema.validate(document), schema.error_log


# ---------------------------------------------------------------------------------------------
# the real extracts, written again


@pytest.mark.reference
@pytest.mark.parametrize("name", ["ONE_PRAKSIS.xml", "ONE_APOTEK.xml"])
def test_rewrites_the_real_extracts(reference_dir: Path, xsd: etree.XMLSchema, name: str) -> None:
    path = reference_dir / "samples" / name
    reader = read_sortree(path)
    items = [(item.unit, item.location_number) for item in reader]
    data = write(
        items, created_at=reader.header.created_at, snapshot_date=reader.header.snapshot_date
    )
    assert_valid(xsd, data)
    assert read_back(data) == items
    # element for element the same document (whitespace and unused prefixes aside)
    parser = etree.XMLParser(remove_blank_text=True)

    def canonical(raw: bytes) -> bytes:
        return etree.tostring(
            etree.fromstring(raw, parser), method="c14n", exclusive=True, with_comments=False
        )

    assert canonical(data) == canonical(path.read_bytes())
    assert b"<xkom-1:AddressPostal>" in data
    assert b"<dkcc2005:StreetName>" in data and b"<dkcc:StreetBuildingIdentifier>" in data


def test_writes_to_a_path(tmp_path: Path) -> None:
    items = list(synthetic_items(60))
    path = tmp_path / "export.xml"
    assert write_sortree(path, items, created_at=CREATED, snapshot_date=SNAPSHOT) == 60
    reader = read_sortree(str(path))
    assert [(i.unit, i.location_number) for i in reader] == items
    assert reader.header.created_at == CREATED


@pytest.mark.reference
def test_synthetic_export_validates(xsd: etree.XMLSchema) -> None:
    items = list(synthetic_items(300))
    data = write(items)
    assert_valid(xsd, data)
    assert read_back(data) == items


def test_deep_nesting_round_trip() -> None:
    owner, institution = (item for item, _ in itertools.islice(synthetic_items(2), 2))
    items: list[Item] = [(owner, None), (institution, None)]
    parent = institution.sor_id
    for depth in range(50):
        unit = UnitRecord(
            sor_id=make_sor_id(7000 + depth),
            level=Level.UNIT,
            name=f"Niveau {depth}",
            validity=institution.validity,
            parent_sor_id=parent,
            geographical_parent_relation=2,
        )
        items.append((unit, None))
        parent = unit.sor_id
    # and a sibling of the outermost OE after its 49 descendants
    items.append((items[2][0].with_changes(sor_id=make_sor_id(8000)), None))
    data = write(items)
    assert data.count(b"<OrganizationalUnitEntity>") == 51
    assert read_back(data) == items


# ---------------------------------------------------------------------------------------------
# generated trees: schema-valid values of every field the format carries

# characters XML 1.0 can carry (no surrogates, no C0 controls but tab, newline, return)
XML_CHAR = st.characters(
    exclude_categories=("Cs", "Cc"),
    exclude_characters="\ufffe\uffff",
    include_characters="\t\n\r\x85\x7f",
)


def text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(XML_CHAR, min_size=min_size, max_size=max_size)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


longs = st.integers(-(2**63), 2**63 - 1).map(str) | st.from_regex(r"[0-9]{1,18}", fullmatch=True)
sor_ids = st.integers(1, 99_999_999).map(make_sor_id)
glns = st.from_regex(r"579[0-9]{9}", fullmatch=True).map(make_gln)
validities = st.builds(
    Validity,
    first_from=st.dates(),
    valid_from=st.dates(),
    valid_to=optional(st.dates()),
    updated_at=optional(st.dates()),
)
addresses = st.builds(
    Address,
    street_name=text(1, 40),
    building=st.from_regex(r"[1-9][0-9]{0,2}[A-Z]?", fullmatch=True),
    postcode=st.from_regex(r"[0-9]{4}", fullmatch=True),
    district=text(1, 20),
    country=optional(st.from_regex(r"[a-z,A-Z]{2,3}|[0-9]{3,4}", fullmatch=True)),
    street_for_addressing=optional(text(1, 20)),
    floor=optional(st.from_regex(r"[1-9][0-9]?|KL|ST|kl|st|[kK][2-9]", fullmatch=True)),
    suite=optional(text(1, 4)),
    district_subdivision=optional(text(1, 34)),
    po_box=optional(st.integers(1, 9999).map(str)),
    mail_delivery_sublocation=optional(text(1, 34)),
    stairway=optional(text(1, 40)),
).filter(  # a Faroese postcode is 3 digits, "0100" is read back as "100"
    lambda a: not (a.country and a.country.upper() == "FO" and a.postcode.startswith("0"))
)
EMAIL_CHAR = st.characters(
    exclude_categories=("Cs", "Cc"),
    exclude_characters=">()[]\\,;:@ \ufffe\uffff",
)
emails = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.text(EMAIL_CHAR, max_size=30),
    st.text(EMAIL_CHAR, min_size=1, max_size=64),
)
contacts = st.builds(
    Contact,
    phone=text(8, 20),
    email=optional(emails),
    website=optional(text(1, 254)),
    fax=optional(text(8, 20)),
)


def location_numbers(owner: int) -> st.SearchStrategy[LocationNumberRecord]:
    return st.builds(
        LocationNumberRecord,
        gln=glns,
        owner_sor_id=st.just(owner),
        only_internal=st.booleans(),
        non_active=st.booleans(),
        system_supplier=longs,
        system_type=longs,
        communication_supplier=longs,
        region_code=longs,
        edi_administrator=longs,
        note=optional(text(0, 254)),
        validity=optional(validities),
    )


@st.composite
def location(draw: st.DrawFn, owner: int) -> tuple[bool | None, LocationNumberRecord | None]:
    if draw(st.booleans()):
        return None, draw(location_numbers(owner))
    return draw(st.sampled_from([None, True, False])), None


@st.composite
def geography(draw: st.DrawFn, required: bool) -> dict[str, Any]:
    relation = draw(st.integers(-(2**63), 2**63 - 1) if required else optional(st.integers()))
    if relation is not None and not -(2**63) <= relation < 2**63:
        relation = 1
    return {
        "geographical_parent_relation": relation,
        "geographical_parent_sor_id": draw(optional(sor_ids)) if relation is not None else None,
    }


@st.composite
def owner(draw: st.DrawFn, sor_id: int) -> Item:
    unit = UnitRecord(
        sor_id=sor_id,
        level=Level.OWNER,
        name=draw(text(1, 60)),
        validity=draw(validities),
        owner_type=draw(longs),
        postal_address=draw(addresses),
        contact=draw(contacts),
    )
    return unit, draw(optional(location_numbers(sor_id)))


@st.composite
def institution(draw: st.DrawFn, sor_id: int, parent: int) -> Item:
    inherited, number = draw(location(sor_id))
    unit = UnitRecord(
        sor_id=sor_id,
        level=Level.INSTITUTION,
        name=draw(text(1, 60)),
        validity=draw(validities),
        parent_sor_id=parent,
        institution_type=draw(longs),
        pharmacy_id=draw(optional(text(1, 20))),
        shak=draw(optional(text(4, 7))),
        location_number_inherited=inherited,
        postal_address=draw(optional(addresses)),
        visiting_address=draw(optional(addresses)),
        contact=draw(optional(contacts)),
        replaces=tuple(draw(st.lists(sor_ids, max_size=3))),
        replaced_by=tuple(draw(st.lists(sor_ids, max_size=2))),
        **draw(geography(required=False)),
    )
    return unit, number


@st.composite
def organizational_unit(draw: st.DrawFn, sor_id: int, parent: int) -> Item:
    inherited, number = draw(location(sor_id))
    information = draw(st.none() | st.tuples(st.booleans(), st.booleans(), st.booleans()))
    ambulant, admitted, reporting = information or (None, None, None)
    unit = UnitRecord(
        sor_id=sor_id,
        level=Level.UNIT,
        name=draw(text(1, 60)),
        validity=draw(validities),
        parent_sor_id=parent,
        unit_type=draw(optional(longs)),
        local_code=draw(optional(text(1, 20))),
        pharmacy_id=draw(optional(text(1, 20))),
        shak=draw(optional(text(4, 7))),
        provider_number=draw(optional(text(1, 9))),
        local_attributes=tuple(draw(st.lists(optional(text(1, 20)), min_size=5, max_size=5))),
        location_number_inherited=inherited,
        postal_address=draw(optional(addresses)),
        visiting_address=draw(optional(addresses)),
        activity_address=draw(optional(addresses)),
        contact=draw(optional(contacts)),
        specialities=tuple(
            draw(st.lists(st.builds(Speciality, code=longs, type=longs), max_size=8))
        ),
        ambulant_activity=ambulant,
        patients_admitted=admitted,
        reporting_level=reporting,
        replaces=tuple(draw(st.lists(sor_ids, max_size=2))),
        replaced_by=tuple(draw(st.lists(sor_ids, max_size=2))),
        **draw(geography(required=True)),
    )
    return unit, number


@st.composite
def trees(draw: st.DrawFn) -> list[Item]:
    """Owners with institutions with nested OEs, in depth-first pre-order, unique SOR-IDs."""
    first = draw(st.integers(1, 90_000_000))
    ids = (make_sor_id(n) for n in itertools.count(first))
    items: list[Item] = []

    def units_below(parent: int, depth: int) -> Iterator[None]:
        for _ in range(draw(st.integers(0, 2 if depth < 3 else 0))):
            sor_id = next(ids)
            items.append(draw(organizational_unit(sor_id, parent)))
            yield from units_below(sor_id, depth + 1)

    for _ in range(draw(st.integers(1, 2))):
        owner_id = next(ids)
        items.append(draw(owner(owner_id)))
        for _ in range(draw(st.integers(0, 2))):
            institution_id = next(ids)
            items.append(draw(institution(institution_id, owner_id)))
            list(units_below(institution_id, 1))
    return items


offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
headers = st.tuples(
    st.datetimes(timezones=st.none() | offsets),
    st.dates(),
)
ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(items=trees(), header=headers)
def test_generated_trees_round_trip(items: list[Item], header: tuple[datetime, date]) -> None:
    created, snapshot = header
    data = write(items, created_at=created, snapshot_date=snapshot)
    reader = read_sortree(io.BytesIO(data))
    assert [(i.unit, i.location_number) for i in reader] == items
    assert reader.header.created_at == created
    assert reader.header.created_at.utcoffset() == created.utcoffset()
    assert reader.header.snapshot_date == snapshot


@pytest.mark.reference
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=trees())
def test_generated_trees_validate_against_the_xsd(xsd: etree.XMLSchema, items: list[Item]) -> None:
    assert_valid(xsd, write(items))


# ---------------------------------------------------------------------------------------------
# what the writer refuses


def sample() -> list[Item]:
    return list(synthetic_items(12))


def expect_refusal(items: list[Item], message: str, sor_id: int | None, field: str | None) -> None:
    with pytest.raises(SorTreeWriteError) as caught:
        write(items)
    assert caught.value.message == message
    assert caught.value.sor_id == sor_id
    assert caught.value.field == field
    assert isinstance(caught.value, DomainError)
    if sor_id is not None:
        assert str(caught.value) == f"SOR-ID {sor_id}: {message}"


def replace(items: list[Item], index: int, **changes: Any) -> list[Item]:
    unit, number = items[index]
    return [*items[:index], (unit.with_changes(**changes), number), *items[index + 1 :]]


def test_owner_needs_a_postal_address() -> None:
    items = replace(sample(), 0, postal_address=None)
    expect_refusal(
        items,
        "PostalAddressInformation is required in InstitutionOwner but postal_address is not set",
        items[0][0].sor_id,
        "postal_address",
    )


@pytest.mark.parametrize("contact", [None, Contact(), Contact(email="info@example.dk")])
def test_owner_needs_a_telephone_number(contact: Contact | None) -> None:
    items = replace(sample(), 0, contact=contact)
    expect_refusal(
        items,
        "TelephoneNumberIdentifier is required in VirtualAddressInformation but contact.phone "
        "is not set",
        items[0][0].sor_id,
        "contact.phone",
    )


def test_organizational_unit_needs_a_geographical_parent() -> None:
    items = sample()
    assert items[2][0].level is Level.UNIT
    items = replace(items, 2, geographical_parent_relation=None)
    expect_refusal(
        items,
        "GeographicalParent is required in OrganizationalUnit but "
        "geographical_parent_relation is not set",
        items[2][0].sor_id,
        "geographical_parent_relation",
    )


def test_geographical_parent_sor_id_needs_a_relation() -> None:
    items = replace(
        sample(), 1, geographical_parent_relation=None, geographical_parent_sor_id=make_sor_id(5)
    )
    expect_refusal(
        items,
        "geographical_parent_sor_id is set but geographical_parent_relation is not "
        "(GeographicalParentRelation is required in GeographicalParent)",
        items[1][0].sor_id,
        "geographical_parent_relation",
    )


def test_child_before_its_parent() -> None:
    items = sample()
    items = [items[0], items[2], items[1], *items[3:]]
    unit = items[1][0]
    expect_refusal(
        items,
        f"its parent {unit.parent_sor_id} has not been written before it; items must be in "
        "depth-first pre-order (every unit after its parent)",
        unit.sor_id,
        "parent_sor_id",
    )


def test_descendants_must_be_contiguous() -> None:
    items = list(synthetic_items(50))
    owners = [i for i, (unit, _) in enumerate(items) if unit.level is Level.OWNER]
    assert owners == [0, 45]
    # a unit of the first owner's last institution after the second owner
    moved = items.pop(44)
    items.append(moved)
    expect_refusal(
        items,
        f"its parent {moved[0].parent_sor_id} was written earlier but other units came in "
        "between; items must be in depth-first pre-order (all of a unit's descendants before "
        "its next sibling)",
        moved[0].sor_id,
        "parent_sor_id",
    )


def test_institution_under_an_institution() -> None:
    items = sample()
    items = replace(
        items,
        2,
        level=Level.INSTITUTION,
        unit_type=None,
        ambulant_activity=None,
        patients_admitted=None,
        reporting_level=None,
        specialities=(),
        provider_number=None,
        activity_address=None,
    )
    expect_refusal(
        items,
        "an SI (Sundhedsinstitution) cannot sit under an SI (Sundhedsinstitution) in SorTree",
        items[2][0].sor_id,
        "parent_sor_id",
    )


def test_owner_with_a_parent_and_unit_without_one() -> None:
    items = replace(sample(), 0, parent_sor_id=make_sor_id(3))
    expect_refusal(
        items,
        f"an owner (IE) has no parent in SorTree, but parent_sor_id is {make_sor_id(3)}",
        items[0][0].sor_id,
        "parent_sor_id",
    )
    items = replace(sample(), 1, parent_sor_id=None)
    expect_refusal(
        items,
        "an SI (Sundhedsinstitution) needs a parent_sor_id",
        items[1][0].sor_id,
        "parent_sor_id",
    )


def test_unit_twice() -> None:
    items = sample()
    items.append(items[-1])
    expect_refusal(items, "the unit occurs twice", items[-1][0].sor_id, "sor_id")


def test_more_than_eight_specialities() -> None:
    items = replace(sample(), 2, specialities=(Speciality("408443003", "51000095001"),) * 9)
    expect_refusal(
        items,
        "at most 8 ClinicalSpeciality are allowed in ClinicalSpecialityCollection, got 9",
        items[2][0].sor_id,
        "specialities",
    )


@pytest.mark.parametrize(
    ("index", "changes", "message", "field"),
    [
        (
            0,
            {"postal_address": Address("Vej", "1", "12", "By")},
            "postal_address.postcode '12' cannot be written as dkcc2005:PostCodeIdentifier: "
            "not a postcode of 4 digits",
            "postal_address.postcode",
        ),
        (
            0,
            {"name": "x" * 61},
            f"name '{'x' * 61}' cannot be written as EntityName: longer than 60 characters (61)",
            "name",
        ),
        (
            0,
            {"name": "nul\x00byte"},
            "name 'nul\\x00byte' contains characters that XML 1.0 cannot carry",
            "name",
        ),
        (
            0,
            {"owner_type": 550881000005103},
            "owner_type must be a str, not int (550881000005103)",
            "owner_type",
        ),
        (
            0,
            {"owner_type": " 1084"},
            "owner_type ' 1084' cannot be written as OwnerType: it would read back as '1084'",
            "owner_type",
        ),
        (
            2,
            {"local_attributes": (None, "", None, None, None)},
            "local_attributes[1] '' cannot be written as LocalAttribute2: empty",
            "local_attributes[1]",
        ),
        (
            2,
            {"replaces": (12345,)},
            "replaces '12345' cannot be written as SorIdentifier: must have 11 to 18 digits, has 5",
            "replaces",
        ),
        (
            0,
            {"shak": "2529"},
            "SorTree has no element for shak on an IE (Institutionsejer)",
            "shak",
        ),
        (
            1,
            {"activity_address": Address("Vej", "1", "1234", "By")},
            "SorTree has no element for activity_address on an SI (Sundhedsinstitution)",
            "activity_address",
        ),
        (
            2,
            {"owner_type": "550881000005103"},
            "SorTree has no element for owner_type on an OE (Organisatorisk enhed)",
            "owner_type",
        ),
        (
            2,
            {"patients_admitted": None},
            "OrganizationalUnitInformation needs all of ambulant_activity, patients_admitted and "
            "reporting_level, but patients_admitted is None",
            "patients_admitted",
        ),
        (
            2,
            {"local_attributes": ("a",)},
            "local_attributes must have 5 entries, has 1",
            "local_attributes",
        ),
        (
            0,
            {"location_number_inherited": True},
            "the unit has its own location number but location_number_inherited is True",
            "location_number_inherited",
        ),
    ],
)
def test_invalid_values(index: int, changes: dict[str, Any], message: str, field: str) -> None:
    items = replace(sample(), index, **changes)
    expect_refusal(items, message, items[index][0].sor_id, field)


def test_location_number_must_belong_to_the_unit() -> None:
    items = sample()
    unit, number = items[0]
    assert number is not None
    items[0] = (unit, number.with_changes(owner_sor_id=make_sor_id(9)))
    expect_refusal(
        items,
        f"location number {number.gln} belongs to {make_sor_id(9)}, not to this unit",
        unit.sor_id,
        "location_number.owner_sor_id",
    )
    items[0] = (unit, number.with_changes(region_code=""))
    expect_refusal(
        items,
        "location_number.region_code '' cannot be written as RegionCode: empty, expected an "
        "integer",
        unit.sor_id,
        "location_number.region_code",
    )


def test_owner_cannot_inherit_a_location_number() -> None:
    items = sample()
    items[0] = (items[0][0].with_changes(location_number_inherited=True), None)
    expect_refusal(
        items,
        "an owner (IE) has no ancestor to inherit a location number from",
        items[0][0].sor_id,
        "location_number_inherited",
    )


def test_no_units() -> None:
    with pytest.raises(SorTreeWriteError, match="needs at least one owner"):
        write([])


def test_failed_export_to_a_path_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    items = replace(list(synthetic_items(100)), 80, name="")
    with pytest.raises(SorTreeWriteError, match="name '' cannot be written as EntityName"):
        write_sortree(path, items, created_at=CREATED, snapshot_date=SNAPSHOT)
    assert not path.exists()


def test_failed_export_to_a_stream_is_not_well_formed() -> None:
    out = io.BytesIO()
    items = replace(list(synthetic_items(100)), 80, name="")
    with pytest.raises(SorTreeWriteError):
        write_sortree(out, items, created_at=CREATED, snapshot_date=SNAPSHOT)
    assert out.getvalue().startswith(b"<?xml")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(out.getvalue())


def test_faroese_postcodes() -> None:
    items = sample()
    faroese = Address("Tinghúsvegur", "5", "100", "Tórshavn", country="FO")
    items = replace(items, 0, postal_address=faroese)
    data = write(items)
    assert b"<dkcc2005:PostCodeIdentifier>0100</dkcc2005:PostCodeIdentifier>" in data
    assert read_back(data)[0][0].postal_address == faroese
    danish = replace(items, 0, postal_address=Address("Vej", "5", "100", "By", country="DK"))
    with pytest.raises(SorTreeWriteError, match="'100' cannot be written as"):
        write(danish)


def test_normalised_values() -> None:
    items = sample()
    owner, number = items[0]
    items[0] = (owner.with_changes(location_number_inherited=False), number)
    institution, _ = items[1]
    items[1] = (institution.with_changes(contact=Contact()), None)
    read = read_back(write(items))
    assert read[0][0].location_number_inherited is None
    assert read[1][0].contact is None
    assert read[2:] == items[2:]


# ---------------------------------------------------------------------------------------------
# fields SorTree does not carry


def test_extension_fields_are_not_written_and_can_be_carried_over() -> None:
    assert SORTREE_EXTENSION_FIELDS == {
        "UnitRecord": ("cvr", "personal_data"),
        "Address": ("latitude", "longitude"),
        "LocationNumberRecord": ("message_types",),
    }
    items = sample()
    owner, number = items[0]
    assert owner.postal_address is not None and number is not None
    current = owner.with_changes(
        cvr="12345674",
        personal_data=True,
        postal_address=Address(
            **{
                **{f: getattr(owner.postal_address, f) for f in owner.postal_address.__slots__},
                "latitude": 55.93,
                "longitude": 12.31,
            }
        ),
    )
    current_number = number.with_changes(
        message_types=("urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r",)
    )
    items[0] = (current, current_number)
    data = write(items)
    assert b"12345674" not in data and b"55.93" not in data and b"medcom" not in data
    read_unit, read_number = read_back(data)[0]
    assert read_number is not None
    assert read_unit != current and read_number != current_number
    assert carry_over_extensions(read_unit, current) == current
    assert carry_over_location_extensions(read_number, current_number) == current_number


def test_carry_over_keeps_no_stale_position() -> None:
    owner = sample()[0][0]
    assert owner.postal_address is not None
    current = owner.with_changes(
        postal_address=Address("Gammel Vej", "1", "1234", "By", latitude=55.0, longitude=12.0)
    )
    moved = carry_over_extensions(owner, current)
    assert moved.postal_address == owner.postal_address
    assert moved.postal_address is not None and moved.postal_address.latitude is None


def test_carry_over_refuses_another_unit() -> None:
    first, second = (unit for unit, _ in sample()[:2])
    with pytest.raises(DomainError, match="cannot carry extension fields"):
        carry_over_extensions(first, second)
    number = sample()[0][1]
    assert number is not None
    with pytest.raises(DomainError, match="cannot carry extension fields"):
        carry_over_location_extensions(number, number.with_changes(gln=make_gln("579000000001")))


def test_nesting_limit() -> None:
    owner, institution = (item for item, _ in itertools.islice(synthetic_items(2), 2))
    items: list[Item] = [(owner, None), (institution, None)]
    parent = institution.sor_id
    for depth in range(249):
        unit = UnitRecord(
            sor_id=make_sor_id(20_000 + depth),
            level=Level.UNIT,
            name="OE",
            validity=institution.validity,
            parent_sor_id=parent,
            geographical_parent_relation=2,
        )
        items.append((unit, None))
        parent = unit.sor_id
    assert len(read_back(write(items[:-1]))) == 250  # 248 nested OEs: readable
    expect_refusal(
        items,
        "the unit would be the 249th nested OE; XML parsers refuse documents nested deeper "
        "than 256 elements (libxml2 without huge_tree), which allows at most 248 nested OEs",
        items[-1][0].sor_id,
        "parent_sor_id",
    )


# ---------------------------------------------------------------------------------------------
# the built-in validation against the XSDs: mutate valid documents, compare the verdicts

TRICKY_TEXTS = [
    "",
    " ",
    "x",
    "-1",
    "+7",
    " 42 ",
    "1.5",
    "99999999999999999999",
    "2010-02-30",
    "2010-02-28",
    "2010-02-28Z",
    "2010-02-28T10:00:00",
    "true",
    "0",
    "yes",
    "DK",
    "ST",
    "12A",
    "a@b",
    "a b@c",
    "x" * 21,
    "x" * 61,
]


@st.composite
def mutations(draw: st.DrawFn, root: Any) -> str:
    elements = [e for e in root.iter() if e is not root]
    target = draw(st.sampled_from(elements))
    parent = target.getparent()
    kind = draw(st.sampled_from(["remove", "duplicate", "swap", "text", "unknown", "attribute"]))
    if kind == "remove":
        parent.remove(target)
    elif kind == "duplicate":
        target.addnext(etree.fromstring(etree.tostring(target)))
    elif kind == "swap" and target.getnext() is not None:
        target.addprevious(target.getnext())
    elif kind == "text":
        if len(target):
            target.text = draw(st.sampled_from(["text", " \n "]))
        else:
            target.text = draw(st.sampled_from(TRICKY_TEXTS))
    elif kind == "unknown":
        target.addnext(etree.Element(target.tag.rsplit("}", 1)[0] + "}Unknown"))
    else:
        target.set(draw(st.sampled_from(["scheme", "id"])), "iso3166-alpha2")
    return f"{kind} {etree.QName(target).localname}"


IDENTIFIER_ELEMENTS = (
    "SorIdentifier '",
    "EanLocationCode '",
    "GeographicalParentSorIdentifier '",
)


@pytest.mark.reference
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=trees(), data=st.data())
def test_validation_is_equivalent_to_the_xsd(
    xsd: etree.XMLSchema, items: list[Item], data: st.DataObject
) -> None:
    root = etree.fromstring(write(items))
    what = data.draw(mutations(root))
    raw = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    schema_ok = xsd.validate(etree.fromstring(raw).getroottree())
    try:
        list(read_sortree(io.BytesIO(raw)))
    except SorTreeError as error:
        reader_error: SorTreeError | None = error
    else:
        reader_error = None
    if not schema_ok:
        assert reader_error is not None, f"{what}: the XSD refuses it ({xsd.error_log}), we not"
    elif reader_error is not None:
        # beyond the XSD, only the identifier rules (check digits, unique SOR-IDs) may refuse
        assert reader_error.message.startswith(IDENTIFIER_ELEMENTS) or (
            "duplicate SOR-ID" in reader_error.message
        ), f"{what}: we refuse a schema-valid document: {reader_error}"
