"""Importing SorTree XML: all or nothing, idempotent, warnings kept, real extracts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from opensor.domain.records import Level
from opensor.domain.sortree import write_sortree
from opensor.register.audit.models import ChangeSet
from opensor.register.units import importing
from opensor.register.units.importing import ImportRefused, sortree_import
from opensor.register.units.models import (
    LocationNumber,
    LocationNumberVersion,
    Unit,
    UnitVersion,
)
from opensor.register.units.selectors import unit_history, unit_view_on
from tests import factories

CREATED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(autouse=True, params=["in-process", "helper-process"])
def reading(request, monkeypatch):
    """Every import test runs twice: reading in this process, and in a helper process."""
    if request.param == "helper-process":
        monkeypatch.setattr(importing, "HELPER_MIN_BYTES", 0)
    else:
        monkeypatch.setattr(importing, "HELPER_MIN_BYTES", 2**62)
    return request.param


def write_file(path: Path, items, snapshot: date = date(2024, 1, 2)) -> Path:
    write_sortree(path, items, created_at=CREATED, snapshot_date=snapshot)
    return path


def practices(count: int):
    """``count`` private owners, each with a GP practice and a provider-number unit."""
    items = []
    for n in range(count):
        owner = factories.unit(owner_type="550891000005100", name=f"Læge {n}")
        practice = factories.unit(
            Level.INSTITUTION, owner, institution_type="394761003", name=f"Lægerne {n}"
        )
        provider = factories.unit(
            Level.UNIT, practice, unit_type=None, provider_number=f"{n:06d}", name=f"Læge {n}"
        )
        items += [(owner, factories.location_number(owner)), (practice, None), (provider, None)]
    return items


def test_a_file_is_imported_with_its_location_numbers(db, tmp_path):
    items = practices(3)
    result = sortree_import(path=write_file(tmp_path / "a.xml", items), actor="test")
    assert result.units_read == 9
    assert result.counts == {"units_created": 9, "location_numbers_created": 3}
    assert Unit.objects.count() == 9
    assert ChangeSet.objects.get(pk=result.change_set_id).source_sha256 == result.sha256
    provider = items[2][0]
    view = unit_view_on(provider.sor_id, date(2010, 1, 1))
    assert view.effective.location_number.value.gln == items[0][1].gln
    assert view.effective.location_number.source_sor_id == items[0][0].sor_id


def test_reimporting_the_same_file_changes_nothing(db, tmp_path):
    path = write_file(tmp_path / "a.xml", practices(2))
    sortree_import(path=path, actor="test")
    rows = UnitVersion.objects.count(), LocationNumberVersion.objects.count()
    again = sortree_import(path=path, actor="test")
    assert again.counts == {"units_unchanged": 6, "location_numbers_unchanged": 2}
    assert (UnitVersion.objects.count(), LocationNumberVersion.objects.count()) == rows


def test_a_later_snapshot_records_its_differences_as_new_versions(db, tmp_path):
    items = practices(2)
    sortree_import(path=write_file(tmp_path / "a.xml", items), actor="test")
    owner, number = items[0]
    renamed = owner.with_changes(
        name="Lægehuset", validity=replace(owner.validity, valid_from=date(2023, 6, 1))
    )
    later = [(renamed, number), *items[1:]]
    result = sortree_import(path=write_file(tmp_path / "b.xml", later), actor="test")
    assert result.counts["unit_versions_added"] == 1
    assert result.counts["units_unchanged"] == 5
    assert [v.name for v in unit_history(owner.sor_id)] == [owner.name, "Lægehuset"]


def test_an_error_after_several_batches_writes_nothing(db, tmp_path):
    items = practices(800)  # 2,400 units: more than one batch is recorded before the error
    first, last = items[0][0], items[-3][0]
    text = write_file(tmp_path / "ok.xml", items).read_text(encoding="utf-8")
    path = tmp_path / "bad.xml"
    path.write_text(text.replace(str(last.sor_id), str(first.sor_id)), encoding="utf-8")
    with pytest.raises(ImportRefused, match="nothing was written") as refused:
        sortree_import(path=path, actor="test")
    assert refused.value.result.errors[0].sor_id == first.sor_id
    assert "line" in str(refused.value)
    assert Unit.objects.count() == 0
    assert ChangeSet.objects.count() == 0


def test_two_units_owning_one_gln_is_refused(db, tmp_path):
    items = practices(2)
    items[3] = (items[3][0], items[0][1].with_changes(owner_sor_id=items[3][0].sor_id))
    with pytest.raises(ImportRefused, match="already owned by a unit on line"):
        sortree_import(path=write_file(tmp_path / "bad.xml", items), actor="test")
    assert Unit.objects.count() == 0


def test_a_report_collects_every_error_in_one_pass(db, tmp_path):
    text = write_file(tmp_path / "ok.xml", practices(3)).read_text(encoding="utf-8")
    broken = text.replace("<OwnerType>550891000005100</OwnerType>", "<OwnerType>x</OwnerType>")
    path = tmp_path / "broken.xml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        sortree_import(path=path, actor="test", collect_errors=True)
    assert len(refused.value.result.errors) == 3
    assert all(e.line for e in refused.value.result.errors)
    assert Unit.objects.count() == 0


def test_real_world_inconsistencies_are_imported_and_reported(db, tmp_path):
    owner = factories.unit(owner_type="123456789")  # a code not in the list
    early = factories.unit(
        Level.INSTITUTION,
        owner,
        validity=factories.validity(date(1999, 12, 31)),  # a day before its owner
        replaces=(factories.new_sor_id(),),  # a predecessor outside the file
    )
    result = sortree_import(
        path=write_file(tmp_path / "a.xml", [(owner, None), (early, None)]), actor="test"
    )
    rules = sorted(f.rule for f in result.warnings)
    assert rules == ["child-outside-parent-validity", "replacement-outside-file", "unknown-code"]
    assert Unit.objects.count() == 2


def test_a_dry_run_counts_but_writes_nothing(db, tmp_path):
    result = sortree_import(
        path=write_file(tmp_path / "a.xml", practices(2)), actor="t", dry_run=True
    )
    assert result.counts["units_created"] == 6
    assert result.change_set_id is None
    assert Unit.objects.count() == 0


@pytest.mark.reference
def test_the_real_gp_practice_extract_inherits_its_owners_location_number(db, reference_dir):
    sortree_import(path=reference_dir / "samples" / "ONE_PRAKSIS.xml", actor="test")
    view = unit_view_on(8341000016002, date(2010, 1, 26)).as_dict()
    assert view["unit"]["provider_number"] == "019062"
    assert view["effective"]["location_number"]["value"]["gln"] == "5790000141227"
    assert view["effective"]["location_number"]["source_sor_id"] == "8321000016007"
    assert view["effective"]["location_number"]["inherited"] is True
    assert [a["sor_id"] for a in view["ancestry"]] == ["8331000016009", "8321000016007"]
    assert view["effective"]["postal_address"]["value"]["district"] == "Gilleleje"


@pytest.mark.reference
def test_both_real_extracts_import_and_reimport_unchanged(db, reference_dir):
    for name in ("ONE_PRAKSIS.xml", "ONE_APOTEK.xml"):
        path = reference_dir / "samples" / name
        first = sortree_import(path=path, actor="test")
        assert first.counts["units_created"] == 3
        assert first.findings == []
        again = sortree_import(path=path, actor="test")
        assert again.counts == {"units_unchanged": 3, "location_numbers_unchanged": 1}
    pharmacy = unit_view_on(306031000016009, date(2010, 1, 26)).unit
    assert pharmacy.pharmacy_id == "362,1"


def test_new_units_are_recorded_alike_with_and_without_look_ups(db, tmp_path):
    """Into an empty register (no look-ups) and beside other units (look-ups), same rows."""
    items = practices(3)
    practice = items[1][0]
    items[1] = (practice.with_changes(replaces=(factories.new_sor_id(),)), None)
    path = write_file(tmp_path / "a.xml", items)
    columns = ("unit_id", "name", "content_hash", "valid_from", "postal_address", "replaces")

    def rows():
        return sorted(UnitVersion.objects.values_list(*columns)), sorted(
            LocationNumberVersion.objects.values_list("location_number_id", "content_hash")
        )

    sortree_import(path=path, actor="test")
    fresh = rows()
    UnitVersion.objects.all().delete()
    LocationNumberVersion.objects.all().delete()
    LocationNumber.objects.all().delete()
    Unit.objects.all().delete()
    other = practices(1)
    sortree_import(path=write_file(tmp_path / "other.xml", other), actor="test")
    sortree_import(path=path, actor="test")
    others = {unit.sor_id for unit, _ in other}
    beside = rows()
    assert [r for r in beside[0] if r[0] not in others] == fresh[0]
    assert [r for r in beside[1] if r[0] != other[0][1].gln] == fresh[1]
