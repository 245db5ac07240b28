"""Publishing the register: the read model holds every unit as ``sor unit`` shows it."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, timedelta

import pytest

from opensor.domain.personal import public_unit_document
from opensor.domain.records import Level
from opensor.publication import exports as exports_module
from opensor.publication.builder import publish
from opensor.publication.schema import fold_danish
from opensor.publication.units import reference_day
from opensor.register.units.models import LocationNumberVersion, Unit, UnitVersion
from opensor.register.units.selectors import unit_history, unit_view_on
from tests.publication.conftest import DEMO_DAY, query


def test_a_publication_counts_every_unit_per_level_and_every_location_number(published):
    counts = published.manifest["counts"]
    for level in ("IE", "SI", "OE"):
        total = Unit.objects.filter(level=level).count()
        active = UnitVersion.objects.valid_on(DEMO_DAY).filter(level=level).values("unit").count()
        assert counts["units"][level] == {"active": active, "total": total}
    assert counts["units"]["all"]["total"] == Unit.objects.count() == 528
    assert counts["unit_versions"] == UnitVersion.objects.current().count()
    numbers = LocationNumberVersion.objects.current()
    assert (
        counts["location_numbers"]["total"] == numbers.values("location_number").distinct().count()
    )
    assert counts["location_number_versions"] == numbers.count()
    rows = query(published, "SELECT level, sum(active), count(*) FROM unit GROUP BY level")
    assert {level: {"active": a, "total": t} for level, a, t in rows} == {
        level: counts["units"][level] for level in ("IE", "SI", "OE")
    }


def test_the_stored_document_is_what_sor_unit_prints(published):
    rows = query(
        published,
        "SELECT sor_id, doc FROM unit WHERE active = 1 AND level = ? ORDER BY depth DESC, sor_id",
        "OE",
    )
    deepest = rows[:5]
    some = rows[:: max(1, len(rows) // 25)]
    for level in ("IE", "SI"):
        some += query(
            published, "SELECT sor_id, doc FROM unit WHERE active = 1 AND level = ? LIMIT 3", level
        )
    for sor_id, doc in deepest + some:
        # the stored document is public: a personal-data unit's without its personal fields
        expected = public_unit_document(unit_view_on(sor_id, DEMO_DAY).as_dict())
        assert json.loads(doc) == expected


def test_every_active_unit_document_equals_the_register_view(published):
    for sor_id, doc in query(published, "SELECT sor_id, doc FROM unit WHERE active = 1"):
        expected = public_unit_document(unit_view_on(sor_id, DEMO_DAY).as_dict())
        assert json.loads(doc) == expected, sor_id


def test_personal_data_units_keep_their_full_document_apart(published):
    rows = query(
        published,
        "SELECT p.sor_id, p.doc, u.doc FROM unit_personal p JOIN unit u USING (sor_id)"
        " WHERE u.active = 1",
    )
    assert rows, "the demo register has sole proprietorships"
    for sor_id, full, public in rows:
        assert json.loads(full) == unit_view_on(sor_id, DEMO_DAY).as_dict()
        assert json.loads(public) == public_unit_document(json.loads(full))


def test_a_unit_not_valid_on_the_date_is_published_as_of_its_nearest_version(published):
    rows = query(published, "SELECT sor_id, doc, valid_from, valid_to FROM unit WHERE active = 0")
    assert rows, "the demo register has closed and future units"
    for sor_id, doc, valid_from, valid_to in rows:
        versions = unit_history(sor_id)
        chosen = next(v for v in versions if v.validity.valid_from.isoformat() == valid_from)
        day = reference_day(chosen.validity, DEMO_DAY)
        assert json.loads(doc) == public_unit_document(unit_view_on(sor_id, day).as_dict())
        assert not chosen.validity.contains(DEMO_DAY)
        assert (valid_to or "") == (
            chosen.validity.valid_to.isoformat() if chosen.validity.valid_to else ""
        )


def test_inherited_values_carry_their_provenance(published):
    rows = query(
        published,
        "SELECT sor_id, doc, gln, gln_source FROM unit WHERE active = 1 AND level = 'OE'"
        " AND gln IS NOT NULL AND gln_source <> sor_id LIMIT 20",
    )
    assert rows
    for sor_id, doc, gln, source in rows:
        effective = json.loads(doc)["effective"]
        location = effective["location_number"]
        assert location["value"]["gln"] == gln
        assert location["inherited"] is True
        assert location["source_sor_id"] == str(source) != str(sor_id)
        assert effective["postal_address"]["rule"] in {"own", "ancestor"}


def test_columns_follow_the_document(published):
    for row in query(
        published,
        "SELECT doc, name, name_folded, level, parent_sor_id, postcode, depth, path, etag,"
        " version_count FROM unit",
    ):
        doc, name, folded, level, parent, postcode, depth, path, etag, count = row
        data = json.loads(doc)
        assert (data["name"], data["level"]) == (name, level)
        assert folded == fold_danish(name)
        assert data["unit"]["parent_sor_id"] == (str(parent) if parent else None)
        postal = data["effective"]["postal_address"]["value"]
        assert postcode == (postal["postcode"] if postal else None)
        assert path.strip("/").split("/")[-1] == data["sor_id"]
        assert len(path.strip("/").split("/")) == depth + 1
        assert etag == hashlib.sha256(doc).hexdigest()[:16]
        assert count == data["versions"]


def test_fhir_resources_are_stored_for_every_unit_and_location_number(published):
    for level, organization, location in query(
        published, "SELECT level, fhir_organization, fhir_location FROM unit"
    ):
        assert json.loads(organization)["resourceType"] == "Organization"
        if level == Level.OWNER.value:
            assert location is None
        else:
            assert json.loads(location)["resourceType"] == "Location"
    for gln, endpoint in query(published, "SELECT gln, fhir_endpoint FROM location_number"):
        assert json.loads(endpoint)["id"] == gln


def test_location_numbers_and_their_message_types(published):
    for gln, owner, active, doc in query(
        published, "SELECT gln, owner_sor_id, active, doc FROM location_number"
    ):
        data = json.loads(doc)
        assert (data["gln"], data["owner_sor_id"], data["active"]) == (
            gln,
            str(owner),
            bool(active),
        )
        types = [
            t
            for (t,) in query(
                published, "SELECT message_type FROM location_message_type WHERE gln = ?", gln
            )
        ]
        assert sorted(types) == sorted(set(data["location_number"]["message_types"]))


def test_search_finds_koege_when_typed_koege(published):
    rows = query(published, "SELECT sor_id, name FROM unit WHERE name LIKE '%Køge%'")
    assert rows, "the demo register has units in Køge"
    hits = {
        sor_id
        for (sor_id,) in query(
            published, "SELECT rowid FROM unit_fts WHERE unit_fts MATCH ?", "name_folded:koege"
        )
    }
    assert {sor_id for sor_id, _ in rows} <= hits
    fuzzy = query(published, "SELECT rowid FROM unit_trigram WHERE unit_trigram MATCH 'oege'")
    assert {sor_id for sor_id, _ in rows} <= {sor_id for (sor_id,) in fuzzy}


def test_search_finds_a_unit_by_its_codes(published):
    sor_id, shak = query(published, "SELECT sor_id, shak FROM unit WHERE shak IS NOT NULL")[0]
    for code in (str(sor_id), shak):
        hits = query(published, "SELECT rowid FROM unit_fts WHERE unit_fts MATCH ?", f'"{code}"')
        assert (sor_id,) in hits


def test_the_manifest_checks_every_file(published):
    manifest = published.manifest
    names = {entry["name"] for entry in manifest["files"]}
    assert names == set(exports_module.MEDIA_TYPES)
    for entry in manifest["files"]:
        data = published.file_path(entry["name"]).read_bytes()
        assert len(data) == entry["size"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    table = query(published, "SELECT name, media_type, size, sha256 FROM file")
    listed = {e["name"]: (e["media_type"], e["size"], e["sha256"]) for e in manifest["files"]}
    assert {name: rest for name, *rest in table} == {
        name: list(rest) for name, rest in listed.items() if name != "readmodel.sqlite"
    }
    assert manifest["number"] == published.number == 1
    assert manifest["as_of"] == DEMO_DAY.isoformat()
    assert manifest["previous_number"] is None


def test_meta_describes_the_publication(published):
    meta = dict(query(published, "SELECT key, value FROM meta"))
    assert meta["number"] == "1"
    assert meta["as_of"] == "2025-06-01"
    assert meta["schema_version"] == "1"
    assert int(meta["feed_last_seq"]) == published.manifest["feed"]["last_seq"] > 0
    assert meta["previous_number"] == ""


def test_numbers_go_up_and_current_follows(demo, store):
    first = publish(as_of=DEMO_DAY, store=store)
    second = publish(as_of=DEMO_DAY + timedelta(days=1), store=store)
    assert (first.number, second.number) == (1, 2)
    assert store.current() == second
    assert os.readlink(store.root / "current") == "000002"
    assert second.manifest["previous_number"] == 1
    assert [p.number for p in store.list()] == [2, 1]


def test_only_the_newest_publications_are_kept(demo, store):
    for _ in range(4):
        publish(as_of=DEMO_DAY, store=store, keep=2)
    assert [p.number for p in store.list()] == [4, 3]
    assert store.current().number == 4


def test_a_failure_during_the_build_leaves_the_previous_publication_current(
    demo, store, monkeypatch
):
    first = publish(as_of=DEMO_DAY, store=store)

    def broken(*args, **kwargs):
        raise OSError("disk full (injected)")

    monkeypatch.setattr(exports_module, "write_csv_set", broken)
    with pytest.raises(OSError, match="injected"):
        publish(as_of=DEMO_DAY, store=store)
    assert store.current() == first
    assert sorted(p.name for p in store.root.iterdir()) == [
        ".last-number",
        ".lock",
        "000001",
        "current",
    ]
    monkeypatch.undo()
    third = publish(as_of=DEMO_DAY, store=store)
    assert third.number == 3, "a number is never reused, not even a failed build's"
    assert store.current() == third
    assert third.manifest["feed"]["added"] == 0


def test_a_build_killed_half_way_is_cleaned_up_by_the_next_run(demo, store):
    first = publish(as_of=DEMO_DAY, store=store)
    dead = store.root / ".building-000002-999999"
    dead.mkdir()
    (dead / "readmodel.sqlite").write_bytes(b"half written")
    second = publish(as_of=DEMO_DAY, store=store)
    assert second.number == 3
    assert not dead.exists()
    assert store.current() == second
    assert first.number in [p.number for p in store.list()]


def test_an_empty_register_publishes_an_empty_publication(db, store):
    publication = publish(as_of=date(2025, 1, 1), store=store)
    assert publication.manifest["counts"]["units"]["all"] == {"active": 0, "total": 0}
    names = {entry["name"] for entry in publication.manifest["files"]}
    assert "sortree.xml" not in names  # SorTree needs at least one owner
    assert publication.file_path("units.json").read_bytes() == b""


def test_stored_json_is_what_the_standard_library_writes(published):
    from opensor.domain.records import record_from_dict, record_to_dict
    from opensor.publication.common import dumps, record_json

    for (text,) in query(published, "SELECT record FROM unit_version LIMIT 200"):
        record = record_from_dict(json.loads(text))
        expected = json.dumps(record_to_dict(record), ensure_ascii=False, separators=(",", ":"))
        assert record_json(record) == expected == text
    for (doc,) in query(published, "SELECT doc FROM unit LIMIT 200"):
        data = json.loads(doc)
        assert dumps(data) == json.dumps(data, ensure_ascii=False, separators=(",", ":"))
