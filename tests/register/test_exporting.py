"""Exporting SorTree XML: valid against the official schemas, and a faithful round trip."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from lxml import etree

from opensor.domain.records import Level
from opensor.domain.sortree import read_sortree
from opensor.register.units.exporting import ExportEmpty, sortree_export
from opensor.register.units.importing import sortree_import
from opensor.register.units.models import LocationNumberVersion, UnitVersion
from tests import factories
from tests.register.test_importing import practices, write_file

DAY = date(2024, 1, 2)


def current_rows():
    units = sorted(
        UnitVersion.objects.current().values_list("unit_id", "valid_from", "content_hash")
    )
    numbers = sorted(
        LocationNumberVersion.objects.current().values_list(
            "location_number_id", "valid_from", "content_hash"
        )
    )
    return units, numbers


def test_import_export_import_gives_the_same_register(db, tmp_path):
    sortree_import(path=write_file(tmp_path / "a.xml", practices(5)), actor="test")
    before = current_rows()
    exported = tmp_path / "export.xml"
    result = sortree_export(path=exported, as_of=DAY)
    assert (result.units, result.location_numbers) == (15, 5)
    again = sortree_import(path=exported, actor="test")
    assert again.counts == {"units_unchanged": 15, "location_numbers_unchanged": 5}
    assert current_rows() == before


def test_a_version_that_gives_way_to_a_later_one_is_exported_open(record, tmp_path):
    owner = factories.unit(name="Før")
    record([(owner, None)])
    record(
        [
            (
                owner.with_changes(
                    name="Efter", validity=replace(owner.validity, valid_from=date(2030, 1, 1))
                ),
                None,
            )
        ]
    )
    sortree_export(path=tmp_path / "x.xml", as_of=DAY)
    (item,) = list(read_sortree(tmp_path / "x.xml"))
    assert item.unit.name == "Før"
    assert item.unit.validity.valid_to is None


def test_a_unit_whose_parent_is_not_valid_that_day_is_reported_not_dropped(record, tmp_path):
    closed = factories.unit(validity=factories.validity(date(2005, 1, 1), date(2010, 1, 1)))
    outliving = factories.unit(
        Level.INSTITUTION, closed, validity=factories.validity(date(2006, 1, 1))
    )
    other = factories.unit()
    record([(closed, None), (outliving, None), (other, None)])
    result = sortree_export(path=tmp_path / "x.xml", as_of=date(2012, 1, 1))
    assert result.units == 1
    assert [f.sor_id for f in result.findings] == [outliving.sor_id]
    assert "parent is not valid on 2012-01-01" in result.findings[0].message


def test_exporting_a_day_without_units_is_a_clear_error(db, tmp_path):
    with pytest.raises(ExportEmpty, match="no units are valid on 1900-01-01"):
        sortree_export(path=tmp_path / "x.xml", as_of=date(1900, 1, 1))
    assert not (tmp_path / "x.xml").exists()


@pytest.mark.reference
def test_the_export_validates_against_the_official_schemas(db, tmp_path, reference_dir):
    for name in ("ONE_PRAKSIS.xml", "ONE_APOTEK.xml"):
        sortree_import(path=reference_dir / "samples" / name, actor="test")
    sortree_import(path=write_file(tmp_path / "a.xml", practices(3)), actor="test")
    exported = tmp_path / "export.xml"
    sortree_export(path=exported, as_of=DAY)
    schema = etree.XMLSchema(etree.parse(str(reference_dir / "sor-xml-1.0.0" / "SorTree.xsd")))
    document = etree.parse(str(exported))
    assert schema.validate(document), schema.error_log
