"""The two SorTree files: the public one withholds the owners it cannot write without a
personal field (and says so), the complete one holds everything; both are schema-valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from opensor.domain.records import Contact, Level, UnitRecord
from opensor.domain.sortree import read_sortree
from opensor.publication.builder import publish
from opensor.publication.exports import (
    PERSONAL_DATA_FILES,
    PERSONAL_DATA_SCOPE,
    SORTREE_COMPLETE,
    SORTREE_PUBLIC,
)
from opensor.publication.store import PublicationStore
from opensor.register.units.exporting import ExportEmpty, sortree_export
from tests import factories

DAY = date(2025, 6, 1)

PRACTICE_PHONE = "46301111"
PRACTICE_EMAIL = "ejer@tandpraksis.dk"
CLINIC_PHONE = "46302222"
NURSE_PHONE = "46303333"
NURSE_EMAIL = "sygeplejerske@example.dk"
CHIROPODIST_PHONE = "46304444"
CHIROPODIST_EMAIL = "fodterapeut@example.dk"
PERSONAL_VALUES = (
    PRACTICE_PHONE,
    PRACTICE_EMAIL,
    CLINIC_PHONE,
    NURSE_PHONE,
    NURSE_EMAIL,
    CHIROPODIST_PHONE,
    CHIROPODIST_EMAIL,
)


@dataclass
class World:
    """A region (not personal), a sole proprietorship (personal owner), and a municipality
    with personal-data units below it."""

    region: list[UnitRecord]
    practice: list[UnitRecord]
    municipality: UnitRecord
    nurse: UnitRecord
    chiropodist: UnitRecord


@pytest.fixture
def world(record) -> World:
    region = factories.unit(name="Region Sjælland")
    hospital = factories.unit(Level.INSTITUTION, region, name="Sygehus")
    ward = factories.unit(Level.UNIT, hospital, name="Afdeling")
    practice = factories.unit(
        name="Tandlæge Hansen",
        personal_data=True,
        contact=Contact(phone=PRACTICE_PHONE, email=PRACTICE_EMAIL),
    )
    clinic = factories.unit(
        Level.INSTITUTION,
        practice,
        name="Tandlæge Hansen, klinik",
        personal_data=True,
        contact=Contact(phone=CLINIC_PHONE, website="https://hansen.example.dk"),
        location_number_inherited=None,
    )
    chair = factories.unit(Level.UNIT, clinic, name="Behandling", personal_data=True)
    municipality = factories.unit(name="Køge Kommune", contact=Contact(phone="56676767"))
    care = factories.unit(Level.INSTITUTION, municipality, name="Hjemmepleje")
    nurse = factories.unit(
        Level.UNIT,
        care,
        name="Sygeplejerske Jensen",
        personal_data=True,
        contact=Contact(phone=NURSE_PHONE, email=NURSE_EMAIL, website="https://jensen.dk"),
    )
    chiropodist = factories.unit(
        Level.UNIT,
        care,
        name="Fodterapeut Nielsen",
        personal_data=True,
        contact=Contact(phone=CHIROPODIST_PHONE, email=CHIROPODIST_EMAIL),
    )
    record(
        [
            (region, None),
            (hospital, None),
            (ward, None),
            (practice, None),
            (clinic, factories.location_number(clinic)),
            (chair, None),
            (municipality, None),
            (care, None),
            (nurse, None),
            (chiropodist, None),
        ]
    )
    return World(
        [region, hospital, ward], [practice, clinic, chair], municipality, nurse, chiropodist
    )


@pytest.fixture(scope="module")
def xsd(reference_dir: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(reference_dir / "sor-xml-1.0.0" / "SorTree.xsd")))


def units_in(path: Path) -> dict[int, UnitRecord]:
    return {item.unit.sor_id: item.unit for item in read_sortree(path)}


def test_the_public_file_withholds_a_personal_owner_and_its_units(world, tmp_path):
    public, complete = tmp_path / "sortree.xml", tmp_path / "sortree-complete.xml"
    result = sortree_export(path=public, as_of=DAY, public=True, complete_path=complete)

    practice_ids = [unit.sor_id for unit in world.practice]
    assert result.withheld_owners == [world.practice[0].sor_id]
    assert result.withheld_units == practice_ids
    assert (result.units, result.complete_units) == (7, 10)
    assert result.location_numbers == 0, "the clinic's location number is withheld with it"

    shown = units_in(public)
    assert not set(practice_ids) & set(shown)
    # SorTree needs a telephone number in a contact block: without one the block is left out
    # (the website is in the other files)
    assert shown[world.nurse.sor_id].contact is None
    assert shown[world.chiropodist.sor_id].contact is None
    assert shown[world.municipality.sor_id].contact == world.municipality.contact
    text = public.read_text(encoding="utf-8")
    for value in PERSONAL_VALUES:
        assert value not in text

    whole = units_in(complete)
    assert set(whole) == set(shown) | set(practice_ids)
    assert whole[world.practice[0].sor_id].contact == world.practice[0].contact
    assert whole[world.nurse.sor_id].contact == world.nurse.contact
    text = complete.read_text(encoding="utf-8")
    for value in PERSONAL_VALUES:
        assert value in text


@pytest.mark.reference
def test_both_files_validate_against_the_schema(world, tmp_path, xsd):
    public, complete = tmp_path / "sortree.xml", tmp_path / "sortree-complete.xml"
    sortree_export(path=public, as_of=DAY, public=True, complete_path=complete)
    for path in (public, complete):
        assert xsd.validate(etree.parse(str(path))), (path.name, xsd.error_log)


def test_the_public_file_alone_is_the_same_file(world, tmp_path):
    paired, complete, alone = tmp_path / "a.xml", tmp_path / "b.xml", tmp_path / "c.xml"
    moment = datetime(2025, 6, 1, 3).astimezone()
    first = sortree_export(
        path=paired, as_of=DAY, public=True, complete_path=complete, created_at=moment
    )
    second = sortree_export(path=alone, as_of=DAY, public=True, created_at=moment)
    assert paired.read_bytes() == alone.read_bytes()
    assert (second.withheld_owners, second.withheld_units) == (
        first.withheld_owners,
        first.withheld_units,
    )
    assert second.complete_path is None


def test_the_complete_file_is_the_unfiltered_export(world, tmp_path):
    moment = datetime(2025, 6, 1, 3).astimezone()
    sortree_export(
        path=tmp_path / "public.xml",
        as_of=DAY,
        public=True,
        complete_path=tmp_path / "complete.xml",
        created_at=moment,
    )
    sortree_export(path=tmp_path / "all.xml", as_of=DAY, created_at=moment)
    assert (tmp_path / "complete.xml").read_bytes() == (tmp_path / "all.xml").read_bytes()


def test_a_register_of_personal_owners_only_has_no_public_file(record, tmp_path):
    practice = factories.unit(personal_data=True, contact=Contact(phone=PRACTICE_PHONE))
    record([(practice, None)])
    public, complete = tmp_path / "sortree.xml", tmp_path / "sortree-complete.xml"
    with pytest.raises(ExportEmpty, match="all 1 owners valid on 2025-06-01 are marked"):
        sortree_export(path=public, as_of=DAY, public=True, complete_path=complete)
    assert list(tmp_path.iterdir()) == []


def test_a_complete_file_goes_with_a_public_one(db, tmp_path):
    with pytest.raises(ValueError, match="public=True"):
        sortree_export(path=tmp_path / "a.xml", as_of=DAY, complete_path=tmp_path / "b.xml")


def test_the_manifest_counts_the_withheld_units_and_marks_the_complete_file(world, tmp_path):
    publication = publish(as_of=DAY, store=PublicationStore(tmp_path / "publications"))
    files = {entry["name"]: entry for entry in publication.manifest["files"]}
    assert files[SORTREE_PUBLIC]["withheld"] == {
        "reason": "personal-data-owner",
        "owners": 1,
        "units": 3,
        "complete_file": SORTREE_COMPLETE,
    }
    assert files[SORTREE_COMPLETE]["personal_data"] is True
    assert files[SORTREE_COMPLETE]["requires_scope"] == PERSONAL_DATA_SCOPE
    assert {SORTREE_COMPLETE} == PERSONAL_DATA_FILES
    assert len(units_in(publication.file_path(SORTREE_PUBLIC))) == 7
    assert len(units_in(publication.file_path(SORTREE_COMPLETE))) == 10
    public_text = publication.file_path(SORTREE_PUBLIC).read_text(encoding="utf-8")
    assert not [value for value in PERSONAL_VALUES if value in public_text]


def test_the_lookup_and_the_publisher_name_the_same_scope():
    from opensor.lookup.access import PERSONAL_DATA

    assert PERSONAL_DATA_SCOPE == PERSONAL_DATA
