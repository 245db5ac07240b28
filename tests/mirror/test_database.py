"""The mirror's timelines: a full file loaded in bulk, then the feed's states on top of it."""

from __future__ import annotations

import hashlib
import json

import pytest

from opensor.mirror.database import MirrorDatabase

AS_OF = "2025-06-01"


def _doc(sor_id: str, name: str) -> bytes:
    return json.dumps({"sor_id": sor_id, "level": "OE", "name": name}).encode()


def _entry(sor_id, start, end, name="Afdeling"):
    doc = _doc(sor_id, name)
    return (sor_id, "OE", start, end, doc, hashlib.sha256(doc).hexdigest())


ENTRIES = [
    _entry("1", "2020-01-01", None),  # open
    _entry("2", "2020-01-01", "2024-01-01"),  # closed before the mirror's date
    _entry("3", "2030-01-01", None),  # announced, not started
    _entry("4", "2020-01-01", "2030-01-01"),  # closes after the mirror's date
    _entry("5", "", None),  # since always
]


def _rows(db: MirrorDatabase) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in db.connection.execute(
            "SELECT sor_id, level, active, tombstone, seq, sha256, doc FROM unit ORDER BY sor_id"
        )
    }


@pytest.fixture
def db(tmp_path):
    database = MirrorDatabase(tmp_path / "bulk")
    yield database
    database.close()


def test_a_bulk_load_makes_the_rows_one_state_at_a_time_would(db, tmp_path):
    with db.bulk():
        db.load_base("unit", ENTRIES, AS_OF)
    slow = MirrorDatabase(tmp_path / "slow")
    try:
        for sor_id, _level, start, end, doc, _sha in ENTRIES:
            slow.add_state("unit", sor_id, start, open_=True, seq=0, doc=doc)
            if end is not None and end <= AS_OF:
                slow.add_state("unit", sor_id, end, open_=False, seq=0, doc=doc)
            slow.refresh("unit", sor_id, AS_OF)
        assert _rows(db) == _rows(slow)
        assert db.unit_checksum() == slow.unit_checksum()
    finally:
        slow.close()
    assert db.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_full_files_documents_are_stored_once_and_still_found(db):
    db.load_base("unit", ENTRIES, AS_OF)
    assert db.connection.execute("SELECT count(*) FROM state WHERE doc IS NOT NULL").fetchone() == (
        0,
    )
    base = _doc("1", "Afdeling")

    # a closure the feed announces without a document keeps the last one known
    db.add_state("unit", "1", "2025-05-01", open_=False, seq=7, doc=None)
    db.refresh("unit", "1", AS_OF)
    assert _rows(db)["1"][1:3] == (0, 1)
    assert _rows(db)["1"][5] == base

    # a future-dated change leaves today's document, and takes effect on its day
    renamed = _doc("5", "Ny afdeling")
    db.add_state("unit", "5", "2025-09-01", open_=True, seq=8, doc=renamed)
    db.refresh("unit", "5", AS_OF)
    assert json.loads(_rows(db)["5"][5])["name"] == "Afdeling"
    assert db.refresh_between(AS_OF, "2025-10-01") == 1
    assert _rows(db)["5"][5] == renamed
    assert _rows(db)["5"][4] == hashlib.sha256(renamed).hexdigest()
