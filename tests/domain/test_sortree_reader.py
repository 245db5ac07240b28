"""The streaming SorTree reader: real extracts, mapping, validation errors, safety, memory."""

from __future__ import annotations

import gzip
import io
import tracemalloc
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from opensor.domain.errors import DomainError
from opensor.domain.identifiers import make_gln, make_sor_id
from opensor.domain.records import Address, Contact, Level, Speciality, Validity
from opensor.domain.sortree import (
    SorTreeError,
    SorTreeHeader,
    SorTreeItem,
    read_sortree,
    write_sortree,
)

from .sortree_factory import synthetic_items

NS = "urn:oio:sundhedsstyrelsen:organisation:1.0.0"
IE, SI, OE, OE2 = (make_sor_id(n) for n in (101, 102, 103, 104))
GLN, GLN2 = make_gln("579000012345"), make_gln("579000054321")
BAD_GLN = GLN[:-1] + str((int(GLN[-1]) + 1) % 10)

# A small, complete SorTree document (own content, not a copy of the reference extracts).
VALID = f"""<?xml version="1.0" encoding="UTF-8"?>
<SorTree xmlns="{NS}"
         xmlns:xkom-1="http://rep.oio.dk/xkom.dk/xml/schemas/2006/01/06/"
         xmlns:dkcc="http://rep.oio.dk/ebxml/xml/schemas/dkcc/2003/02/13/"
         xmlns:dkcc2005="http://rep.oio.dk/ebxml/xml/schemas/dkcc/2005/03/15/"
         xmlns:xkom="http://rep.oio.dk/xkom.dk/xml/schemas/2005/03/15/">
  <CreatedAtTime>2024-05-01T12:30:00Z</CreatedAtTime>
  <SnapshotDate>2024-05-01</SnapshotDate>
  <InstitutionOwnerEntity>
    <InstitutionOwner>
      <SorIdentifier>{IE}</SorIdentifier>
      <EntityName>Region Test</EntityName>
      <OwnerType>550881000005103</OwnerType>
      <EanLocationCodeEntity>
        <EanLocationCode>{GLN}</EanLocationCode>
        <OnlyInternalIndicator>0</OnlyInternalIndicator>
        <NonActiveIndicator>false</NonActiveIndicator>
        <SystemSupplier>641000055002</SystemSupplier>
        <SystemType>1611000045003</SystemType>
        <CommunicationSupplier>41000035001</CommunicationSupplier>
        <RegionCode>1084</RegionCode>
        <EdiAdministrator>116</EdiAdministrator>
        <SorNote>EDI via VANS</SorNote>
      </EanLocationCodeEntity>
      <PostalAddressInformation>
        <xkom-1:AddressPostal>
          <dkcc2005:StreetName>Kongens Vænge</dkcc2005:StreetName>
          <dkcc:StreetBuildingIdentifier>2</dkcc:StreetBuildingIdentifier>
          <dkcc2005:PostCodeIdentifier>3400</dkcc2005:PostCodeIdentifier>
          <dkcc2005:DistrictName>Hillerød</dkcc2005:DistrictName>
<dkcc:CountryIdentificationCode scheme="iso3166-alpha2">DK</dkcc:CountryIdentificationCode>
        </xkom-1:AddressPostal>
        <Stairway>Opgang B</Stairway>
      </PostalAddressInformation>
      <VirtualAddressInformation>
        <xkom:EmailAddressIdentifier>info@example.dk</xkom:EmailAddressIdentifier>
        <TelephoneNumberIdentifier>38665000</TelephoneNumberIdentifier>
      </VirtualAddressInformation>
      <SorStatus>
        <FromDate>2007-01-01</FromDate>
        <FirstFromDate>2007-01-01</FirstFromDate>
      </SorStatus>
    </InstitutionOwner>
    <HealthInstitutionEntity>
      <HealthInstitution>
        <SorIdentifier>{SI}</SorIdentifier>
        <EntityName>Testhospitalet</EntityName>
        <InstitutionType>22232009</InstitutionType>
        <ShakIdentifier>2529</ShakIdentifier>
        <OptionalEanLocationCode>
          <EntityInheritedIndicator>true</EntityInheritedIndicator>
        </OptionalEanLocationCode>
        <SorStatus>
          <FromDate>2007-01-01</FromDate>
          <ToDate>2030-01-01</ToDate>
          <FirstFromDate>2007-01-01</FirstFromDate>
        </SorStatus>
        <ReplacesEntityCollection>
          <SorIdentifier>{make_sor_id(90)}</SorIdentifier>
          <SorIdentifier>{make_sor_id(91)}</SorIdentifier>
        </ReplacesEntityCollection>
      </HealthInstitution>
      <OrganizationalUnitEntity>
        <OrganizationalUnit>
          <SorIdentifier>{OE}</SorIdentifier>
          <EntityName>Medicinsk afdeling</EntityName>
          <UnitType>550851000005109</UnitType>
          <ShakIdentifier>252901</ShakIdentifier>
          <OptionalEanLocationCode/>
          <GeographicalParent>
            <GeographicalParentRelation>2</GeographicalParentRelation>
            <GeographicalParentSorIdentifier>{SI}</GeographicalParentSorIdentifier>
          </GeographicalParent>
          <ClinicalSpecialityCollection>
            <ClinicalSpeciality>
              <SpecialityCode>394594003</SpecialityCode>
              <SpecialityType>51000095001</SpecialityType>
            </ClinicalSpeciality>
          </ClinicalSpecialityCollection>
          <SorStatus>
            <FromDate>2007-01-01</FromDate>
            <UpdatedAt>2009-03-31</UpdatedAt>
            <FirstFromDate>2007-01-01</FirstFromDate>
          </SorStatus>
          <OrganizationalUnitInformation>
            <AmbulantActivityIndicator>1</AmbulantActivityIndicator>
            <PatientsAdmittedIndicator>true</PatientsAdmittedIndicator>
            <ReportingLevelIndicator>false</ReportingLevelIndicator>
          </OrganizationalUnitInformation>
        </OrganizationalUnit>
        <OrganizationalUnitEntity>
          <OrganizationalUnit>
            <SorIdentifier>{OE2}</SorIdentifier>
            <EntityName>Sengeafsnit M1</EntityName>
            <ProviderIdentifier>019062</ProviderIdentifier>
            <OptionalEanLocationCode>
              <EanLocationCodeEntity>
                <EanLocationCode>{GLN2}</EanLocationCode>
                <OnlyInternalIndicator>true</OnlyInternalIndicator>
                <NonActiveIndicator>1</NonActiveIndicator>
                <SystemSupplier>641000055002</SystemSupplier>
                <SystemType>1611000045003</SystemType>
                <CommunicationSupplier>41000035001</CommunicationSupplier>
                <RegionCode>1084</RegionCode>
                <EdiAdministrator>116</EdiAdministrator>
                <SorStatus>
                  <FromDate>2010-02-01</FromDate>
                  <FirstFromDate>2010-02-01</FirstFromDate>
                </SorStatus>
              </EanLocationCodeEntity>
            </OptionalEanLocationCode>
            <GeographicalParent>
              <GeographicalParentRelation>2</GeographicalParentRelation>
            </GeographicalParent>
            <SorStatus>
              <FromDate>2010-02-01</FromDate>
              <FirstFromDate>2010-02-01</FirstFromDate>
            </SorStatus>
            <LocalAttributeCollection>
              <LocalAttribute2>lokalt</LocalAttribute2>
            </LocalAttributeCollection>
          </OrganizationalUnit>
        </OrganizationalUnitEntity>
      </OrganizationalUnitEntity>
    </HealthInstitutionEntity>
  </InstitutionOwnerEntity>
</SorTree>
"""


# libxml2 gives an element the line where its start tag ends
ROOT_LINE = VALID.count("\n", 0, VALID.index('2005/03/15/">')) + 1


def read_all(data: str | bytes, **kwargs: object) -> list[SorTreeItem]:
    raw = data.encode() if isinstance(data, str) else data
    return list(read_sortree(io.BytesIO(raw), **kwargs))  # type: ignore[arg-type]


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th ``marker`` in ``text``."""
    at = -1
    for _ in range(occurrence):
        at = text.index(marker, at + 1)
    return text.count("\n", 0, at) + 1


def mutate(old: str, new: str, count: int = 1, text: str = VALID) -> str:
    assert text.count(old) >= count, old
    return text.replace(old, new, count)


def expect_error(data: str | bytes, message: str, line: int | None, sor_id: int | None) -> None:
    with pytest.raises(SorTreeError) as caught:
        read_all(data)
    error = caught.value
    assert error.message == message, error.message
    assert error.line == line
    assert error.sor_id == sor_id
    assert isinstance(error, DomainError)


# ---------------------------------------------------------------------------------------------
# the real extracts


@pytest.mark.reference
def test_reads_the_gp_practice_extract(reference_dir: Path) -> None:
    reader = read_sortree(reference_dir / "samples" / "ONE_PRAKSIS.xml")
    items = list(reader)
    assert reader.count == 3
    assert reader.header == SorTreeHeader(
        created_at=datetime(2010, 1, 26, tzinfo=timezone(timedelta(hours=1))),
        snapshot_date=date(2010, 1, 26),
    )
    owner, practice, provider = items
    assert [i.unit.level for i in items] == [Level.OWNER, Level.INSTITUTION, Level.UNIT]

    assert owner.unit.sor_id == 8321000016007
    assert owner.unit.name == "Michael Filtenborg"
    assert owner.unit.owner_type == "550891000005100"
    assert owner.unit.parent_sor_id is None and owner.parent is None
    assert owner.unit.postal_address == Address(
        street_name="Vesterbrogade", building="21", postcode="3250", district="Gilleleje"
    )
    assert owner.unit.contact == Contact(phone="48300204", fax="48300109")
    assert owner.unit.validity == Validity(
        first_from=date(1999, 3, 25), valid_from=date(1999, 3, 25), updated_at=date(2009, 3, 31)
    )
    number = owner.location_number
    assert number is not None
    assert number.gln == "5790000141227"
    assert number.owner_sor_id == 8321000016007
    assert number.region_code == "1084"
    assert (number.only_internal, number.non_active) == (False, False)
    assert (number.system_supplier, number.system_type) == ("641000055002", "1611000045003")
    assert (number.communication_supplier, number.edi_administrator) == ("41000035001", "116")
    assert number.note is None
    assert number.validity is not None and number.validity.updated_at == date(2009, 3, 31)

    assert practice.unit.sor_id == 8331000016009
    assert practice.unit.name == "Michael Filtenborg & co"
    assert practice.unit.institution_type == "394761003"
    assert practice.unit.parent_sor_id == 8321000016007
    assert practice.parent == owner.unit
    # the real extract's institution has no address and no contact of its own
    assert practice.unit.postal_address is None and practice.unit.contact is None
    assert practice.unit.geographical_parent_relation == 1
    assert practice.unit.location_number_inherited is True
    assert practice.location_number is None

    unit = provider.unit
    assert unit.sor_id == 8341000016002
    assert unit.parent_sor_id == 8331000016009 and provider.parent == practice.unit
    assert unit.provider_number == "019062"
    assert unit.specialities == (Speciality(code="408443003", type="51000095001"),)
    assert unit.location_number_inherited is True and provider.location_number is None
    assert unit.geographical_parent_relation == 2
    assert unit.geographical_parent_sor_id is None
    assert unit.unit_type is None
    assert [i.line for i in items] == [9, 48, 65]


@pytest.mark.reference
def test_reads_the_pharmacy_extract(reference_dir: Path) -> None:
    with (reference_dir / "samples" / "ONE_APOTEK.xml").open("rb") as stream:
        items = list(read_sortree(stream))
        assert not stream.closed
    owner, pharmacy, branch = items
    assert owner.unit.name == "Værløse Apotek"
    assert owner.location_number is not None
    assert owner.location_number.gln == "5790000173624"
    assert owner.unit.postal_address is not None
    assert owner.unit.postal_address.district == "Værløse"
    assert owner.unit.postal_address.country == "DK"
    assert pharmacy.unit.institution_type == "264372000"
    assert branch.unit.pharmacy_id == "362,1"
    assert branch.unit.sor_id == 306031000016009


@pytest.mark.reference
def test_reads_with_the_reference_schema(reference_dir: Path) -> None:
    schema = etree.XMLSchema(etree.parse(str(reference_dir / "sor-xml-1.0.0" / "SorTree.xsd")))
    for name in ("ONE_PRAKSIS.xml", "ONE_APOTEK.xml"):
        assert len(list(read_sortree(reference_dir / "samples" / name, schema=schema))) == 3
    assert len(read_all(VALID, schema=schema)) == 4


def test_passes_a_schema_to_the_parser() -> None:
    # a stricter schema of one's own (here: a fixed snapshot date) is applied as well
    schema = etree.XMLSchema(
        etree.fromstring(
            f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}"
                          elementFormDefault="qualified">
              <xs:element name="SorTree"><xs:complexType><xs:sequence>
                <xs:element name="CreatedAtTime" type="xs:dateTime"/>
                <xs:element name="SnapshotDate" type="xs:date" fixed="2099-01-01"/>
                <xs:any processContents="skip" maxOccurs="unbounded"/>
              </xs:sequence></xs:complexType></xs:element>
            </xs:schema>"""
        )
    )
    with pytest.raises(SorTreeError) as caught:
        read_all(VALID, schema=schema)
    assert caught.value.message == (
        "not valid against the schema: Element 'SnapshotDate': The actual value '2024-05-01' "
        "does not match the fixed value constraint '2099-01-01' "
        "(the XSD validator gives no position)"
    )


# ---------------------------------------------------------------------------------------------
# mapping


def test_maps_every_element() -> None:
    reader = read_sortree(io.BytesIO(VALID.encode()))
    assert reader.header == SorTreeHeader(
        datetime(2024, 5, 1, 12, 30, tzinfo=UTC), date(2024, 5, 1)
    )
    owner, hospital, department, ward = reader
    assert owner.unit.postal_address == Address(
        street_name="Kongens Vænge",
        building="2",
        postcode="3400",
        district="Hillerød",
        stairway="Opgang B",
    )
    assert owner.unit.contact == Contact(phone="38665000", email="info@example.dk")
    assert owner.location_number is not None
    assert owner.location_number.note == "EDI via VANS"
    assert owner.location_number.validity is None
    assert hospital.unit.shak == "2529"
    assert hospital.unit.replaces == (make_sor_id(90), make_sor_id(91))
    assert hospital.unit.validity.valid_to == date(2030, 1, 1)
    assert hospital.unit.geographical_parent_relation is None
    assert department.unit.location_number_inherited is None  # empty OptionalEanLocationCode
    assert department.location_number is None
    assert department.unit.geographical_parent_sor_id == SI
    assert (
        department.unit.ambulant_activity,
        department.unit.patients_admitted,
        department.unit.reporting_level,
    ) == (True, True, False)
    assert department.unit.local_attributes == (None,) * 5
    assert ward.unit.parent_sor_id == OE and ward.parent == department.unit
    assert ward.unit.local_attributes == (None, "lokalt", None, None, None)
    assert ward.unit.location_number_inherited is None
    assert ward.location_number is not None
    assert ward.location_number.owner_sor_id == OE2
    assert (ward.location_number.only_internal, ward.location_number.non_active) == (True, True)
    assert ward.unit.ambulant_activity is None
    assert reader.count == 4


def test_header_can_be_read_before_the_units() -> None:
    reader = read_sortree(io.BytesIO(VALID.encode()))
    assert reader.header.snapshot_date == date(2024, 5, 1)
    assert reader.count == 0
    assert [item.unit.sor_id for item in reader] == [IE, SI, OE, OE2]


def test_path_source_is_closed_after_reading(tmp_path: Path) -> None:
    path = tmp_path / "tree.xml"
    path.write_text(VALID, encoding="utf-8")
    with read_sortree(str(path)) as reader:
        first = next(reader)
    assert first.unit.sor_id == IE
    assert reader._stream.closed
    with pytest.raises(StopIteration):
        next(reader)
    unread = read_sortree(path)
    unread.close()
    assert unread._stream.closed
    exhausted = read_sortree(path)
    assert len(list(exhausted)) == 4
    assert exhausted._stream.closed


def test_any_prefixes_bom_comments_and_whitespace() -> None:
    text = (
        VALID.replace(f'<SorTree xmlns="{NS}"', f'<s:SorTree xmlns:s="{NS}" xmlns="{NS}"')
        .replace("</SorTree>", "</s:SorTree>")
        .replace("xkom-1:", "adr:")
        .replace("xmlns:xkom-1=", "xmlns:adr=")
    )
    for tag in ("InstitutionOwnerEntity", "InstitutionOwner", "SorIdentifier", "EntityName"):
        text = text.replace(f"<{tag}>", f"<s:{tag}>").replace(f"</{tag}>", f"</s:{tag}>")
    text = text.replace(
        "<s:EntityName>Region Test</s:EntityName>",
        "<s:EntityName>Region <!-- a comment --><?pi x?>Test</s:EntityName><!-- c -->",
    ).replace("<RegionCode>1084</RegionCode>", "<RegionCode>\n 1084 </RegionCode>")
    text = text.replace("<FromDate>2007-01-01</FromDate>", "<FromDate> 2007-01-01\t</FromDate>")
    items = read_all(b"\xef\xbb\xbf" + text.encode())
    assert [item[:3] for item in items] == [item[:3] for item in read_all(VALID)]


def test_schema_location_hints_and_compressed_streams() -> None:
    text = mutate(
        f'<SorTree xmlns="{NS}"',
        f'<SorTree xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        f'         xsi:schemaLocation="{NS} SorTree.xsd"',
    )
    assert len(read_all(text)) == 4
    assert (
        len(list(read_sortree(gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(VALID.encode()))))))
        == 4
    )


# ---------------------------------------------------------------------------------------------
# validation errors: message, line and SOR-ID


def test_wrong_namespace() -> None:
    text = mutate(f'xmlns="{NS}"', 'xmlns="urn:example:sor"')
    expect_error(
        text,
        f"root element SorTree is in namespace 'urn:example:sor', expected '{NS}'",
        ROOT_LINE,
        None,
    )


def test_wrong_root_element() -> None:
    expect_error(
        b"<?xml version='1.0'?>\n\n<Organisation/>",
        f"root element is 'Organisation (in no namespace)', expected SorTree in namespace '{NS}'",
        3,
        None,
    )


def test_unknown_element_in_a_unit() -> None:
    text = mutate(
        "<EntityName>Testhospitalet</EntityName>",
        "<EntityName>Testhospitalet</EntityName>\n        <Colour>red</Colour>",
    )
    expect_error(
        text, "unexpected element 'Colour' in HealthInstitution", line_of(text, "<Colour>"), SI
    )


def test_unknown_element_between_units() -> None:
    text = mutate("</InstitutionOwner>", "</InstitutionOwner>\n    <Extra/>")
    expect_error(
        text,
        "unexpected element 'Extra' in InstitutionOwnerEntity",
        line_of(text, "<Extra/>"),
        IE,
    )


def test_unknown_element_in_a_foreign_namespace() -> None:
    text = mutate(
        "<dkcc:StreetBuildingIdentifier>2</dkcc:StreetBuildingIdentifier>",
        "<dkcc2005:StreetBuildingIdentifier>2</dkcc2005:StreetBuildingIdentifier>",
    )
    expect_error(
        text,
        "unexpected element 'dkcc2005:StreetBuildingIdentifier' in xkom-1:AddressPostal",
        line_of(text, "<dkcc2005:StreetBuildingIdentifier>"),
        IE,
    )


def test_missing_required_element_before_the_next_one() -> None:
    start = VALID.index("<GeographicalParent>")
    end = VALID.index("</GeographicalParent>") + len("</GeographicalParent>")
    text = VALID[:start] + VALID[end:]
    expect_error(
        text,
        "missing required element GeographicalParent in OrganizationalUnit "
        "before ClinicalSpecialityCollection",
        line_of(text, "<ClinicalSpecialityCollection>"),
        OE,
    )


def test_missing_required_element_at_the_end() -> None:
    text = mutate(
        "<FromDate>2007-01-01</FromDate>\n        <FirstFromDate>2007-01-01</FirstFromDate>",
        "<FromDate>2007-01-01</FromDate>",
    )
    expect_error(
        text,
        "missing required element FirstFromDate in SorStatus",
        line_of(text, "<SorStatus>"),
        IE,
    )


def test_missing_required_address_of_an_owner() -> None:
    start = VALID.index("<PostalAddressInformation>")
    end = VALID.index("</PostalAddressInformation>") + len("</PostalAddressInformation>")
    text = VALID[:start] + VALID[end:]
    expect_error(
        text,
        "missing required element PostalAddressInformation in InstitutionOwner "
        "before VirtualAddressInformation",
        line_of(text, "<VirtualAddressInformation>"),
        IE,
    )


def test_missing_telephone_number() -> None:
    text = mutate("<TelephoneNumberIdentifier>38665000</TelephoneNumberIdentifier>", "")
    expect_error(
        text,
        "missing required element TelephoneNumberIdentifier in VirtualAddressInformation",
        line_of(text, "<VirtualAddressInformation>"),
        IE,
    )


def test_element_out_of_order() -> None:
    text = mutate("<ShakIdentifier>2529</ShakIdentifier>", "").replace(
        "</OptionalEanLocationCode>\n        <SorStatus>",
        "</OptionalEanLocationCode>\n        <ShakIdentifier>2529</ShakIdentifier>\n"
        "        <SorStatus>",
        1,
    )
    expect_error(
        text,
        "element ShakIdentifier in HealthInstitution is out of order "
        "(it must come before OptionalEanLocationCode)",
        line_of(text, "<ShakIdentifier>2529"),
        SI,
    )


def test_repeated_element() -> None:
    text = mutate(
        "<EntityName>Testhospitalet</EntityName>",
        "<EntityName>Testhospitalet</EntityName><EntityName>Igen</EntityName>",
    )
    expect_error(
        text,
        "more than one EntityName in HealthInstitution",
        line_of(text, "<EntityName>Igen"),
        SI,
    )


def test_bad_gln_check_digit() -> None:
    text = mutate(f"<EanLocationCode>{GLN}<", f"<EanLocationCode>{BAD_GLN}<")
    expect_error(
        text,
        f"EanLocationCode '{BAD_GLN}': check digit is {BAD_GLN[-1]}, expected {GLN[-1]} "
        "(GS1 mod-10)",
        line_of(text, BAD_GLN),
        IE,
    )


def test_bad_sor_id_check_digit() -> None:
    bad = OE + 1 if OE % 10 != 9 else OE - 1
    text = mutate(f"<SorIdentifier>{OE}</SorIdentifier>", f"<SorIdentifier>{bad}</SorIdentifier>")
    with pytest.raises(SorTreeError) as caught:
        read_all(text)
    assert caught.value.message.startswith(f"SorIdentifier '{bad}': check digit is")
    assert caught.value.line == line_of(text, f"<SorIdentifier>{bad}")
    assert caught.value.sor_id is None


def test_bad_sor_id_in_a_reference() -> None:
    text = mutate(f"<SorIdentifier>{make_sor_id(91)}<", "<SorIdentifier>12345<")
    expect_error(
        text,
        "SorIdentifier '12345': must have 11 to 18 digits, has 5",
        line_of(text, "<SorIdentifier>12345<"),
        SI,
    )


def test_duplicate_sor_id() -> None:
    text = mutate(f"<SorIdentifier>{OE2}<", f"<SorIdentifier>{OE}<")
    expect_error(
        text,
        f"SorIdentifier {OE}: duplicate SOR-ID (already used earlier in the file)",
        line_of(text, f"<SorIdentifier>{OE}<", 2),
        OE,
    )


def test_more_than_eight_specialities() -> None:
    speciality = (
        "<ClinicalSpeciality><SpecialityCode>394594003</SpecialityCode>"
        "<SpecialityType>51000095001</SpecialityType></ClinicalSpeciality>\n"
    )
    text = mutate(
        "<ClinicalSpecialityCollection>", "<ClinicalSpecialityCollection>\n" + speciality * 8
    )
    expect_error(
        text,
        "more than 8 ClinicalSpeciality elements in ClinicalSpecialityCollection",
        line_of(text, "<ClinicalSpeciality>", 9),
        OE,
    )


def test_eight_specialities_are_fine() -> None:
    speciality = (
        "<ClinicalSpeciality><SpecialityCode>394594003</SpecialityCode>"
        "<SpecialityType>51000095001</SpecialityType></ClinicalSpeciality>\n"
    )
    text = mutate(
        "<ClinicalSpecialityCollection>", "<ClinicalSpecialityCollection>\n" + speciality * 7
    )
    assert len(read_all(text)[2].unit.specialities) == 8


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "<FromDate>2010-02-01</FromDate>",
            "<FromDate>2010-02-30</FromDate>",
            "FromDate '2010-02-30': not a valid calendar date",
        ),
        (
            "<FromDate>2010-02-01</FromDate>",
            "<FromDate>01-02-2010</FromDate>",
            "FromDate '01-02-2010': not a date (YYYY-MM-DD)",
        ),
        (
            "<NonActiveIndicator>1</NonActiveIndicator>",
            "<NonActiveIndicator>yes</NonActiveIndicator>",
            "NonActiveIndicator 'yes': not a boolean (true, false, 1 or 0)",
        ),
        (
            "<RegionCode>1084</RegionCode>\n                <EdiAdministrator>",
            "<RegionCode>10 84</RegionCode>\n                <EdiAdministrator>",
            "RegionCode '10 84': not an integer (xs:long)",
        ),
        (
            "<SystemType>1611000045003</SystemType>\n                <Comm",
            "<SystemType>99999999999999999999</SystemType>\n                <Comm",
            "SystemType '99999999999999999999': outside the range of xs:long",
        ),
        (
            "<EntityName>Sengeafsnit M1</EntityName>",
            f"<EntityName>{'x' * 61}</EntityName>",
            f"EntityName '{'x' * 61}': longer than 60 characters (61)",
        ),
        (
            "<EntityName>Sengeafsnit M1</EntityName>",
            "<EntityName></EntityName>",
            "EntityName '': empty",
        ),
        (
            "<ProviderIdentifier>019062</ProviderIdentifier>",
            "<ProviderIdentifier>0190620000</ProviderIdentifier>",
            "ProviderIdentifier '0190620000': longer than 9 characters (10)",
        ),
    ],
)
def test_simple_type_errors(old: str, new: str, message: str) -> None:
    text = mutate(old, new)
    expect_error(text, message, line_of(text, new.split("\n")[0]), OE2)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "<dkcc2005:PostCodeIdentifier>3400<",
            "<dkcc2005:PostCodeIdentifier>340<",
            "dkcc2005:PostCodeIdentifier '340': not a postcode of 4 digits",
        ),
        (
            "<dkcc:StreetBuildingIdentifier>2<",
            "<dkcc:StreetBuildingIdentifier>02<",
            "dkcc:StreetBuildingIdentifier '02': not a house number (1–999, optionally "
            "followed by a capital letter)",
        ),
        (
            "<xkom:EmailAddressIdentifier>info@example.dk<",
            "<xkom:EmailAddressIdentifier>info at example.dk<",
            "xkom:EmailAddressIdentifier 'info at example.dk': not an e-mail address "
            "(xkom:EmailAddressIdentifier)",
        ),
        (
            ' scheme="iso3166-alpha2">DK<',
            ">DK<",
            "dkcc:CountryIdentificationCode lacks the required attribute 'scheme'",
        ),
        (
            ' scheme="iso3166-alpha2">DK<',
            ' scheme="iso">DK<',
            "dkcc:CountryIdentificationCode attribute scheme='iso': not one of imk, "
            "iso3166-alpha2, iso3166-alpha3, un-numeric3",
        ),
        (
            "<SorStatus>\n        <FromDate>2007-01-01</FromDate>\n        <FirstFromDate>",
            '<SorStatus status="open">\n        <FromDate>2007-01-01</FromDate>\n'
            "        <FirstFromDate>",
            "attribute 'status' is not allowed on SorStatus",
        ),
        (
            "<SorStatus>\n        <FromDate>2007-01-01</FromDate>\n        <FirstFromDate>",
            "<SorStatus>\n        <FromDate>2007-01-01</FromDate> open\n        <FirstFromDate>",
            "text 'open' is not allowed in SorStatus (it holds elements only)",
        ),
        (
            "<EntityName>Region Test</EntityName>",
            "<EntityName>Region <b>Test</b></EntityName>",
            "unexpected element 'b' in EntityName",
        ),
    ],
)
def test_owner_errors(old: str, new: str, message: str) -> None:
    text = mutate(old, new)
    marker = new.split("\n")[0].strip()
    if message.startswith("text "):
        marker = "<FromDate>2007-01-01</FromDate> open"
    if message.startswith("unexpected element 'b'"):
        marker = "<b>"
    expect_error(text, message, line_of(text, marker), IE)


def test_choice_with_both_alternatives() -> None:
    text = mutate(
        "<OptionalEanLocationCode>\n              <EanLocationCodeEntity>",
        "<OptionalEanLocationCode>\n              "
        "<EntityInheritedIndicator>false</EntityInheritedIndicator>\n"
        "              <EanLocationCodeEntity>",
    )
    expect_error(
        text,
        "OptionalEanLocationCode holds one of EntityInheritedIndicator or "
        "EanLocationCodeEntity, not more",
        line_of(text, f"<EanLocationCodeEntity>\n                <EanLocationCode>{GLN2}"),
        OE2,
    )


def test_unit_in_the_wrong_place() -> None:
    text = mutate(
        "</InstitutionOwner>",
        "</InstitutionOwner>\n    <OrganizationalUnit><SorIdentifier>1</SorIdentifier>"
        "</OrganizationalUnit>",
    )
    expect_error(
        text,
        "unexpected element 'OrganizationalUnit' in InstitutionOwnerEntity",
        line_of(text, "<OrganizationalUnit><SorIdentifier>1<"),
        IE,
    )


def test_two_units_in_one_entity() -> None:
    start = VALID.index("<OrganizationalUnit>")
    end = VALID.index("</OrganizationalUnit>") + len("</OrganizationalUnit>")
    again = VALID[start:end].replace(str(OE), str(make_sor_id(105)))
    text = VALID[:end] + "\n" + again + VALID[end:]
    expect_error(
        text,
        "more than one OrganizationalUnit in OrganizationalUnitEntity",
        line_of(text, "<OrganizationalUnit>", 2),
        OE,
    )


def test_missing_header() -> None:
    text = mutate("<CreatedAtTime>2024-05-01T12:30:00Z</CreatedAtTime>", "")
    expect_error(
        text,
        "missing required element CreatedAtTime in SorTree before SnapshotDate",
        line_of(text, "<SnapshotDate>"),
        None,
    )


def test_bad_created_at() -> None:
    text = mutate("2024-05-01T12:30:00Z", "2024-05-01 12:30")
    expect_error(
        text,
        "CreatedAtTime '2024-05-01 12:30': not a date and time (YYYY-MM-DDThh:mm:ss[zone])",
        line_of(text, "<CreatedAtTime>"),
        None,
    )


def test_tree_without_owner() -> None:
    start = VALID.index("  <InstitutionOwnerEntity>")
    end = VALID.index("</InstitutionOwnerEntity>") + len("</InstitutionOwnerEntity>\n")
    text = VALID[:start] + VALID[end:]
    expect_error(
        text, "missing required element InstitutionOwnerEntity in SorTree", ROOT_LINE, None
    )


def test_owner_entity_without_owner() -> None:
    start = VALID.index("<InstitutionOwner>")
    end = VALID.index("</InstitutionOwner>") + len("</InstitutionOwner>")
    text = VALID[:start] + VALID[end:]
    expect_error(
        text,
        "missing required element InstitutionOwner in InstitutionOwnerEntity "
        "before HealthInstitutionEntity",
        line_of(text, "<HealthInstitutionEntity>"),
        None,
    )


def test_collecting_every_error_in_one_pass() -> None:
    text = mutate("<ShakIdentifier>2529</ShakIdentifier>", "<ShakIdentifier>25</ShakIdentifier>")
    text = mutate("<ProviderIdentifier>019062<", "<ProviderIdentifier>0190620000<", text=text)
    text = mutate(f"<SorIdentifier>{OE2}<", f"<SorIdentifier>{IE}<", text=text)
    errors: list[SorTreeError] = []
    reader = read_sortree(io.BytesIO(text.encode()), on_error=errors.append)
    items = list(reader)
    # the institution is in error: it and the units below it are checked, not yielded
    assert [item.unit.sor_id for item in items] == [IE]
    assert reader.count == 1
    assert [(e.line, e.sor_id, e.message) for e in errors] == [
        (
            line_of(text, "<ShakIdentifier>25<"),
            SI,
            "ShakIdentifier '25': shorter than 4 characters (2)",
        ),
        (
            line_of(text, "<ProviderIdentifier>"),
            IE,
            "ProviderIdentifier '0190620000': longer than 9 characters (10)",
        ),
    ]


def test_collecting_errors_still_stops_at_a_broken_file() -> None:
    errors: list[SorTreeError] = []
    text = mutate("<OwnerType>550881000005103<", "<OwnerType>x<")
    # (far enough on for the parser to deliver the owner before it finds the break)
    text = mutate(
        "</EntityName>\n        <InstitutionType>",
        f"</EntityName><!-- {'x' * 200_000} --></Entity>",
        text=text,
    )
    with pytest.raises(SorTreeError, match="malformed XML"):
        list(read_sortree(io.BytesIO(text.encode()), on_error=errors.append))
    assert [e.message for e in errors] == ["OwnerType 'x': not an integer (xs:long)"]


# ---------------------------------------------------------------------------------------------
# malformed and hostile input


def test_malformed_xml() -> None:
    text = mutate("<EntityName>Sengeafsnit M1</EntityName>", "<EntityName>Sengeafsnit M1</Entity>")
    line = line_of(text, "Sengeafsnit M1")
    expect_error(
        text,
        f"malformed XML: Opening and ending tag mismatch: EntityName line {line} and Entity",
        line,
        None,
    )


def test_truncated_file() -> None:
    text = VALID[: VALID.index("<SorStatus>", VALID.index(str(OE2)))]
    with pytest.raises(SorTreeError, match="malformed XML") as caught:
        read_all(text)
    assert caught.value.line is not None and caught.value.line >= line_of(text, str(OE2))


def test_undefined_entity() -> None:
    text = mutate("Region Test", "Region &test;")
    expect_error(text, "malformed XML: Entity 'test' not defined", line_of(text, "&test;"), None)


@pytest.mark.parametrize("data", [b"", b"   \n", b"<?xml version='1.0'?>"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(SorTreeError) as caught:
        read_all(data)
    assert caught.value.line is not None


DOCTYPE_MESSAGE = (
    "DOCTYPE declarations are not allowed in a SorTree file (they are how external entity "
    "(XXE) and entity-expansion attacks get in); the file is refused"
)


def test_refuses_xxe(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    text = VALID.replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE SorTree [<!ENTITY xxe SYSTEM "file://{secret}">]>\n',
    ).replace("Region Test", "&xxe;")
    with pytest.raises(SorTreeError) as caught:
        read_all(text)
    assert caught.value.message == DOCTYPE_MESSAGE
    assert caught.value.line == 2
    assert "TOP-SECRET" not in str(caught.value)


def test_refuses_billion_laughs() -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    text = f'<?xml version="1.0"?>\n<!DOCTYPE SorTree [{entities}]>\n' + VALID.split("\n", 1)[
        1
    ].replace("Region Test", "&lol9;")
    expect_error(text, DOCTYPE_MESSAGE, 2, None)


def test_refuses_external_dtd_and_parameter_entities() -> None:
    body = VALID.split("\n", 1)[1]
    external = '<!DOCTYPE SorTree SYSTEM "http://127.0.0.1:9/evil.dtd">\n' + body
    expect_error(external, DOCTYPE_MESSAGE, 1, None)
    parameter = (
        '<!DOCTYPE SorTree [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>\n'
        + body
    )
    expect_error(parameter, DOCTYPE_MESSAGE, 1, None)


def test_refuses_a_doctype_far_from_the_start() -> None:
    padding = "<!-- " + "x" * 100_000 + " -->\n"
    text = padding + "<!DOCTYPE SorTree>\n" + VALID.split("\n", 1)[1]
    expect_error(text, DOCTYPE_MESSAGE, 2, None)


def test_text_stream_is_refused() -> None:
    with pytest.raises(TypeError, match="binary"):
        list(read_sortree(io.StringIO(VALID)))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# depth and memory


def test_deep_nesting() -> None:
    items = list(synthetic_items(2))
    owner, (institution, _) = items[0], items[1]
    chain = [owner, (institution, None)]
    parent = institution.sor_id
    for depth in range(50):
        unit = institution.with_changes(
            sor_id=make_sor_id(5000 + depth),
            level=Level.UNIT,
            parent_sor_id=parent,
            institution_type=None,
            name=f"Niveau {depth}",
            geographical_parent_relation=2,
        )
        chain.append((unit, None))
        parent = unit.sor_id
    out = io.BytesIO()
    write_sortree(out, chain, created_at=datetime(2024, 1, 1), snapshot_date=date(2024, 1, 1))
    read = read_all(out.getvalue())
    assert [(i.unit, i.location_number) for i in read] == chain
    assert read[-1].parent == chain[-2][0]


def test_memory_stays_flat(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    units = 20_000
    write_sortree(
        path,
        synthetic_items(units),
        created_at=datetime(2024, 1, 1),
        snapshot_date=date(2024, 1, 1),
    )
    tracemalloc.start()
    try:
        reader = read_sortree(path)
        largest_tree = 0
        for n, _item in enumerate(reader):
            if n % 1000 == 0:
                # the lxml tree held in memory does not grow with what has been read
                largest_tree = max(largest_tree, sum(1 for _ in reader._root.iter()))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reader.count == units
    # what remains is the path to the current unit plus the parser's look-ahead (one chunk),
    # not the ~500,000 elements of the file
    assert largest_tree < 2000
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
