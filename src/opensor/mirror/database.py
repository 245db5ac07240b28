"""The mirror's local SQLite file: the register's units and location numbers, and the position.

Each entity (``unit`` or ``location_number``) has a *timeline* (``state``: from each day it was
told of, either a document or "closed"), exactly the model the change feed is written for
(``docs/publication.md``). The tables ``unit`` and ``location_number`` hold every entity's
state on the mirror's date (the latest publication's ``as_of``): its document, whether it is
active, and whether it is a tombstone (closed). ``meta`` holds the feed position; it is written
in the same transaction as the events it covers, so a crash leaves a mirror that resumes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["DATABASE_NAME", "MirrorDatabase", "entity_checksum"]

DATABASE_NAME = "mirror.sqlite"

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (
    entity TEXT NOT NULL,          -- unit | location_number
    id     TEXT NOT NULL,          -- SOR-ID or GLN
    day    TEXT NOT NULL,          -- from this day ('' = since always)
    open   INTEGER NOT NULL,       -- 0: closed from this day (a tombstone)
    seq    INTEGER NOT NULL,       -- the feed event that said so (0: the full file)
    doc    BLOB,
    PRIMARY KEY (entity, id, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unit (
    sor_id    TEXT PRIMARY KEY,
    level     TEXT,
    active    INTEGER NOT NULL,
    tombstone INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    sha256    TEXT,
    doc       BLOB
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS location_number (
    gln       TEXT PRIMARY KEY,
    active    INTEGER NOT NULL,
    tombstone INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    sha256    TEXT,
    doc       BLOB
) WITHOUT ROWID;
"""

_KEY = {"unit": "sor_id", "location_number": "gln"}


def entity_checksum(pairs: Iterable[tuple[str, str | None]]) -> str:
    """SHA-256 over the sorted lines ``id<TAB>sha256-of-document``: a set's fingerprint."""
    digest = hashlib.sha256()
    for ident, sha in sorted(pairs):
        digest.update(f"{ident}\t{sha or ''}\n".encode())
    return digest.hexdigest()


class MirrorDatabase:
    """The mirror's SQLite file in ``directory``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / DATABASE_NAME
        self.connection = sqlite3.connect(self.path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.executescript(_DDL)

    def close(self) -> None:
        """Close the file."""
        self.connection.close()

    # -- meta -------------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        """Every ``meta`` entry (``position``, ``publication``, ``as_of``, ``base_url`` …)."""
        return dict(self.connection.execute("SELECT key, value FROM meta"))

    def set_meta(self, **values: Any) -> None:
        """Set ``meta`` entries (inside the caller's transaction)."""
        self.connection.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [(key, str(value)) for key, value in values.items()],
        )

    @property
    def position(self) -> int | None:
        """The last feed ``seq`` applied, or ``None`` for an empty mirror."""
        value = self.meta().get("position")
        return int(value) if value is not None else None

    # -- writing ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Empty every table (inside the caller's transaction)."""
        for table in ("meta", "state", "unit", "location_number"):
            self.connection.execute(f"DELETE FROM {table}")

    def add_state(
        self, entity: str, ident: str, day: str, *, open_: bool, seq: int, doc: bytes | None
    ) -> None:
        """Record that from ``day`` the entity holds ``doc`` (or is closed, a tombstone)."""
        self.connection.execute(
            "INSERT OR REPLACE INTO state VALUES (?, ?, ?, ?, ?, ?)",
            (entity, ident, day, int(open_), seq, doc),
        )

    def refresh(self, entity: str, ident: str, as_of: str) -> None:
        """Set the entity's row to its state on ``as_of``, from its timeline."""
        rows = self.connection.execute(
            "SELECT day, open, seq, doc FROM state WHERE entity = ? AND id = ? ORDER BY day",
            (entity, ident),
        ).fetchall()
        if not rows:
            return
        told = [row for row in rows if row[0] <= as_of]
        if told:
            _, open_, seq, doc = told[-1]
            active, tombstone = bool(open_), not open_
            if doc is None and not open_:
                # A closure without a document keeps the last one known.
                doc = next((r[3] for r in reversed(told) if r[3] is not None), None)
        else:
            # Only future states: announced, not started yet.
            _, _, seq, doc = rows[0]
            active, tombstone = False, False
        sha = hashlib.sha256(doc).hexdigest() if doc is not None else None
        key = _KEY[entity]
        if entity == "unit":
            level = json.loads(doc).get("level") if doc is not None else None
            self.connection.execute(
                f"INSERT OR REPLACE INTO unit ({key}, level, active, tombstone, seq, sha256, doc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ident, level, int(active), int(tombstone), seq, sha, doc),
            )
        else:
            self.connection.execute(
                f"INSERT OR REPLACE INTO location_number ({key}, active, tombstone, seq, sha256,"
                " doc) VALUES (?, ?, ?, ?, ?, ?)",
                (ident, int(active), int(tombstone), seq, sha, doc),
            )

    def refresh_between(self, after: str, until: str) -> int:
        """Refresh every entity with a state change in ``(after, until]``; how many."""
        rows = self.connection.execute(
            "SELECT DISTINCT entity, id FROM state WHERE day > ? AND day <= ?", (after, until)
        ).fetchall()
        for entity, ident in rows:
            self.refresh(entity, ident, until)
        return len(rows)

    # -- reading ----------------------------------------------------------------------------

    def counts(self) -> dict[str, Any]:
        """Counts in the manifest's shape: units per level and ``all``, location numbers."""
        units: dict[str, dict[str, int]] = {
            level: {"active": 0, "total": 0} for level in ("IE", "SI", "OE", "all")
        }
        for level, active, total in self.connection.execute(
            "SELECT level, sum(active), count(*) FROM unit GROUP BY level"
        ):
            for key in (level, "all"):
                entry = units.setdefault(str(key), {"active": 0, "total": 0})
                entry["active"] += active
                entry["total"] += total
        active, total = self.connection.execute(
            "SELECT coalesce(sum(active), 0), count(*) FROM location_number"
        ).fetchone()
        return {"units": units, "location_numbers": {"active": active, "total": total}}

    def unit_checksum(self) -> str:
        """:func:`entity_checksum` of the mirror's units."""
        return entity_checksum(self.connection.execute("SELECT sor_id, sha256 FROM unit"))
