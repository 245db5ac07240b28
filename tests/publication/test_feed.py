"""The change feed: one event per change, gap-free numbers, tombstones that stay."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from opensor.publication.builder import publish
from opensor.publication.feed import Version, entity_changes
from opensor.register.units.selectors import unit_view_on
from tests import factories
from tests.publication.conftest import query

DAY = date(2025, 6, 1)
START = date(2000, 1, 1)


def events(publication, number=None):
    sql = (
        "SELECT seq, publication, entity, id, kind, effective_date, changed_fields, doc"
        " FROM change_event"
    )
    rows = query(
        publication,
        sql + (" WHERE publication = ?" if number else "") + " ORDER BY seq",
        *([number] if number else []),
    )
    return [
        {
            "seq": seq,
            "publication": pub,
            "entity": entity,
            "id": key,
            "kind": kind,
            "effective": effective,
            "fields": json.loads(fields),
            "doc": json.loads(doc) if doc is not None else None,
        }
        for seq, pub, entity, key, kind, effective, fields, doc in rows
    ]


@pytest.fixture
def tree(record):
    return factories.record_tree_with_number(record)


def test_the_first_publication_announces_every_unit_and_number_as_created(tree, store):
    publication = publish(as_of=DAY, store=store)
    created = events(publication)
    assert [e["seq"] for e in created] == list(range(1, 7))
    assert {(e["entity"], e["kind"]) for e in created} == {
        ("unit", "created"),
        ("location_number", "created"),
    }
    first = created[0]
    assert first["id"] == str(tree["owner"].sor_id), "owners come before their units"
    assert first["effective"] == START.isoformat()
    assert first["doc"] == unit_view_on(tree["owner"].sor_id, DAY).as_dict()


def test_an_unchanged_register_adds_no_events(tree, store):
    first = publish(as_of=DAY, store=store)
    second = publish(as_of=DAY, store=store)
    third = publish(as_of=date(2025, 6, 2), store=store)
    assert second.manifest["feed"]["added"] == third.manifest["feed"]["added"] == 0
    assert events(third) == events(first)


def test_rename_move_close_and_a_new_location_number(tree, record, store):
    publish(as_of=DAY, store=store)
    department, section, other = tree["department"], tree["section"], tree["other"]
    hospital = tree["hospital"]
    renamed = department.with_changes(
        name="Akutmodtagelse",
        location_number_inherited=None,
        validity=replace(department.validity, valid_from=date(2025, 5, 1)),
    )
    moved = section.with_changes(
        parent_sor_id=hospital.sor_id,
        validity=replace(section.validity, valid_from=date(2025, 5, 15)),
    )
    closed = other.with_changes(validity=replace(other.validity, valid_to=date(2025, 5, 20)))
    owner = tree["owner"]
    new_number = factories.location_number(owner)
    record([(renamed, tree["number"]), (moved, None), (closed, None), (owner, new_number)])
    publication = publish(as_of=DAY, store=store)
    added = events(publication, 2)
    assert [e["seq"] for e in added] == [7, 8, 9, 10]
    assert [e["seq"] for e in events(publication)] == list(range(1, 11))
    by_id = {(e["entity"], e["id"]): e for e in added}
    rename = by_id["unit", str(department.sor_id)]
    assert (rename["kind"], rename["effective"], rename["fields"]) == (
        "updated",
        "2025-05-01",
        ["name"],
    )
    assert rename["doc"]["name"] == "Akutmodtagelse"
    move = by_id["unit", str(section.sor_id)]
    assert (move["kind"], move["effective"], move["fields"]) == (
        "moved",
        "2025-05-15",
        ["parent_sor_id"],
    )
    assert move["doc"] == unit_view_on(section.sor_id, DAY).as_dict()
    close = by_id["unit", str(other.sor_id)]
    assert (close["kind"], close["effective"]) == ("closed", "2025-05-20")
    assert close["doc"]["unit"]["validity"]["valid_to"] == "2025-05-20"
    created = by_id["location_number", new_number.gln]
    assert (created["kind"], created["doc"]["owner_sor_id"]) == ("created", str(owner.sor_id))
    assert publication.manifest["feed"] == {
        "first_seq": 1,
        "last_seq": 10,
        "added": 4,
        "added_first_seq": 7,
        "added_last_seq": 10,
        "added_by_kind": {"closed": 1, "created": 1, "moved": 1, "updated": 1},
    }


def test_a_closure_stays_in_the_feed_of_every_later_publication(tree, record, store):
    publish(as_of=DAY, store=store)
    other = tree["other"]
    record(
        [(other.with_changes(validity=replace(other.validity, valid_to=date(2025, 5, 20))), None)]
    )
    publish(as_of=DAY, store=store)
    for _ in range(3):
        latest = publish(as_of=DAY, store=store, keep=1)
    assert [p.number for p in store.list()] == [5]
    tombstones = [e for e in events(latest) if e["kind"] == "closed"]
    assert [(t["id"], t["publication"]) for t in tombstones] == [(str(other.sor_id), 2)]


def test_a_future_dated_change_is_announced_with_its_effective_date(tree, record, store):
    publish(as_of=DAY, store=store)
    owner = tree["owner"]
    future = owner.with_changes(
        name="Region Sjælland (ny)", validity=replace(owner.validity, valid_from=date(2026, 1, 1))
    )
    record([(future, None)])
    publication = publish(as_of=DAY, store=store)
    (event,) = events(publication, 2)
    assert (event["kind"], event["effective"], event["fields"]) == (
        "updated",
        "2026-01-01",
        ["name"],
    )
    assert event["doc"] == unit_view_on(owner.sor_id, date(2026, 1, 1)).as_dict()
    stored = json.loads(
        query(publication, "SELECT doc FROM unit WHERE sor_id = ?", owner.sor_id)[0][0]
    )
    assert stored["name"] == "Region Sjælland", "the change takes effect on its date"
    later = publish(as_of=date(2026, 1, 2), store=store)
    assert later.manifest["feed"]["added"] == 0, "announced once, not again when it takes effect"


def test_a_replacement_and_a_reopening(tree, record, store):
    publish(as_of=DAY, store=store)
    other, successor = tree["section"], tree["department"]
    replaced = other.with_changes(
        replaced_by=(successor.sor_id,),
        validity=replace(other.validity, valid_to=date(2025, 5, 1)),
    )
    record([(replaced, None)])
    second = publish(as_of=DAY, store=store)
    assert [(e["kind"], e["effective"]) for e in events(second, 2)] == [
        ("replaced", "2025-05-01"),
        ("closed", "2025-05-01"),
    ]
    record([(replaced.with_changes(validity=other.validity), None)])
    third = publish(as_of=DAY, store=store)
    assert [(e["kind"], e["effective"]) for e in events(third, 3)] == [("reopened", "2025-05-01")]


# -- the rules on their own ------------------------------------------------------------------


def version(start, end=None, **fields):
    record = {"sor_id": 1, "name": "A", "parent_sor_id": 7, "replaced_by": [], **fields}
    record["validity"] = {"valid_from": start, "valid_to": end}
    return Version(
        date.fromisoformat(start), date.fromisoformat(end) if end else None, json.dumps(record)
    )


def kinds(previous, current, as_of=DAY):
    return [
        (c.kind, c.effective.isoformat(), c.changed_fields)
        for c in entity_changes("unit", previous, current, as_of=as_of)
    ]


def test_a_split_without_changes_gives_no_event():
    before = [version("2000-01-01")]
    after = [version("2000-01-01", "2025-01-01"), version("2025-01-01")]
    assert kinds(before, after) == []


def test_a_new_version_is_compared_with_what_was_valid_on_its_first_day():
    before = [version("2000-01-01")]
    after = [version("2000-01-01", "2025-01-01"), version("2025-01-01", name="B", parent_sor_id=8)]
    assert kinds(before, after) == [("moved", "2025-01-01", ("name", "parent_sor_id"))]


def test_a_version_after_a_gap_reopens():
    before = [version("2000-01-01", "2010-01-01")]
    after = [version("2000-01-01", "2010-01-01"), version("2012-01-01")]
    assert kinds(before, after) == [("reopened", "2012-01-01", ())]


def test_a_new_entity_is_created_and_its_future_and_its_end_announced():
    after = [
        version("2000-01-01", "2025-01-01"),
        version("2025-01-01", "2026-01-01", name="B"),
        version("2026-01-01", "2027-01-01", name="C"),
    ]
    assert kinds([], after) == [
        ("created", "2000-01-01", ()),
        ("updated", "2026-01-01", ("name",)),
        ("closed", "2027-01-01", ()),
    ]


def test_a_closing_date_moved_later_reopens_and_closes_again():
    before = [version("2000-01-01", "2026-01-01")]
    after = [version("2000-01-01", "2027-01-01")]
    assert kinds(before, after) == [("reopened", "2026-01-01", ()), ("closed", "2027-01-01", ())]


def test_a_postponed_change_is_taken_back_and_announced_for_its_new_date():
    before = [version("2000-01-01", "2026-01-01"), version("2026-01-01", name="B")]
    after = [version("2000-01-01", "2026-02-01"), version("2026-02-01", name="B")]
    assert kinds(before, after) == [
        ("updated", "2026-01-01", ("name",)),
        ("updated", "2026-02-01", ("name",)),
    ]


def test_a_closure_taken_back_reopens():
    before = [version("2000-01-01", "2026-01-01")]
    after = [version("2000-01-01")]
    assert kinds(before, after) == [("reopened", "2026-01-01", ())]


def test_a_new_entity_closed_in_the_past_is_created_and_closed():
    after = [version("2000-01-01", "2010-01-01"), version("2010-01-01", "2012-01-01", name="B")]
    assert kinds([], after) == [("created", "2000-01-01", ()), ("closed", "2012-01-01", ())]
