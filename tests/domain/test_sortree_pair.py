"""One stream written as a complete and a public SorTree file: each is what ``write_sortree``
would write of its own items, both are schema-valid, and a bad decision is refused."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from opensor.domain.records import Contact, Level, LocationNumberRecord, UnitRecord
from opensor.domain.sortree import (
    SorTreeWriteError,
    read_sortree,
    write_sortree,
    write_sortree_pair,
)
from opensor.domain.sortree.pair import PairItem

from .sortree_factory import synthetic_items

CREATED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SNAPSHOT = date(2024, 5, 1)


def three_owners() -> list[tuple[UnitRecord, LocationNumberRecord | None]]:
    """Three owners with their subtrees (45 units each), in depth-first pre-order."""
    return list(synthetic_items(135))


def decided(
    items: list[tuple[UnitRecord, LocationNumberRecord | None]],
) -> list[PairItem]:
    """The first owner's subtree left out, the second owner's units without e-mail, the rest
    shared."""
    owners = [unit.sor_id for unit, _ in items if unit.level is Level.OWNER]
    out: list[PairItem] = []
    owner = None
    for unit, number in items:
        if unit.level is Level.OWNER:
            owner = unit.sor_id
        if owner == owners[0]:
            out.append((unit, number, None))
        elif owner == owners[1] and unit.contact is not None:
            out.append((unit, number, unit.with_changes(contact=Contact(phone=unit.contact.phone))))
        else:
            out.append((unit, number, unit))
    return out


def write_pair(items: list[PairItem]) -> tuple[bytes, bytes]:
    complete, public = io.BytesIO(), io.BytesIO()
    counts = write_sortree_pair(complete, public, items, created_at=CREATED, snapshot_date=SNAPSHOT)
    assert counts.complete == len(items)
    assert counts.public == sum(1 for *_, shown in items if shown is not None)
    return complete.getvalue(), public.getvalue()


def write_one(items: list[tuple[UnitRecord, LocationNumberRecord | None]]) -> bytes:
    out = io.BytesIO()
    write_sortree(out, items, created_at=CREATED, snapshot_date=SNAPSHOT)
    return out.getvalue()


def test_each_file_is_what_write_sortree_writes_of_its_own_items() -> None:
    items = decided(three_owners())
    complete, public = write_pair(items)
    assert complete == write_one([(unit, number) for unit, number, _ in items])
    assert public == write_one([(shown, number) for _, number, shown in items if shown is not None])


def test_the_public_file_lacks_what_was_left_out_and_has_the_variants() -> None:
    items = decided(three_owners())
    complete, public = write_pair(items)
    read_complete = [item.unit for item in read_sortree(io.BytesIO(complete))]
    read_public = {item.unit.sor_id: item.unit for item in read_sortree(io.BytesIO(public))}
    assert [unit for unit, _, _ in items] == read_complete
    for unit, _, shown in items:
        if shown is None:
            assert unit.sor_id not in read_public
        else:
            assert read_public[unit.sor_id].contact == shown.contact
    assert b"info@example.dk" in complete
    assert public.count(b"info@example.dk") == 1, "only the third owner keeps its e-mail"


@pytest.mark.reference
def test_both_files_validate_against_the_xsd(reference_dir: Path) -> None:
    schema = etree.XMLSchema(etree.parse(str(reference_dir / "sor-xml-1.0.0" / "SorTree.xsd")))
    for data in write_pair(decided(three_owners())):
        assert schema.validate(etree.parse(io.BytesIO(data))), schema.error_log


def test_writes_to_paths(tmp_path: Path) -> None:
    items = decided(three_owners())
    complete, public = tmp_path / "complete.xml", tmp_path / "public.xml"
    counts = write_sortree_pair(complete, public, items, created_at=CREATED, snapshot_date=SNAPSHOT)
    assert counts == (135, 90)
    assert (complete.read_bytes(), public.read_bytes()) == write_pair(items)


def test_a_unit_below_one_left_out_must_be_left_out_too(tmp_path: Path) -> None:
    items = decided(three_owners())
    unit, number, _ = items[1]
    items[1] = (unit, number, unit)
    complete, public = tmp_path / "complete.xml", tmp_path / "public.xml"
    with pytest.raises(SorTreeWriteError) as caught:
        write_sortree_pair(complete, public, items, created_at=CREATED, snapshot_date=SNAPSHOT)
    assert caught.value.sor_id == unit.sor_id
    assert caught.value.field == "parent_sor_id"
    assert caught.value.message == (
        f"its parent {unit.parent_sor_id} is left out of the public file, so it must be left "
        "out too"
    )
    assert not complete.exists() and not public.exists()


def test_a_variant_of_another_unit_is_refused() -> None:
    items = decided(three_owners())
    unit, number, _ = items[50]
    items[50] = (unit, number, unit.with_changes(sor_id=items[51][0].sor_id))
    with pytest.raises(SorTreeWriteError, match="the public variant has SOR-ID") as caught:
        write_pair(items)
    assert caught.value.sor_id == unit.sor_id


def test_a_public_variant_is_checked_like_any_unit() -> None:
    items = decided(three_owners())
    owner, number, _ = items[45]
    items[45] = (owner, number, owner.with_changes(contact=None))
    with pytest.raises(SorTreeWriteError, match="TelephoneNumberIdentifier is required"):
        write_pair(items)


def test_a_public_file_without_an_owner_is_refused(tmp_path: Path) -> None:
    items = [(unit, number, None) for unit, number in three_owners()]
    complete, public = tmp_path / "complete.xml", tmp_path / "public.xml"
    with pytest.raises(SorTreeWriteError, match=r"at least one owner .*the public file has none"):
        write_sortree_pair(complete, public, items, created_at=CREATED, snapshot_date=SNAPSHOT)
    assert not complete.exists() and not public.exists()
