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
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

__all__ = ["DATABASE_NAME", "BaseEntry", "MirrorDatabase", "entity_checksum"]

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

BaseEntry = tuple[str, str | None, str, str | None, bytes | None, str | None]
"""An entity of a full file: id, level, valid from, valid to, document, its SHA-256."""


def _state_on(rows: list[tuple[Any, ...]], as_of: str) -> tuple[bool, bool, int, bytes | None]:
    """An entity's (active, tombstone, seq, document) on ``as_of``.

    ``rows`` is its timeline ``(day, open, seq, doc)``, sorted by day.
    """
    told = [row for row in rows if row[0] <= as_of]
    if told:
        _, open_, seq, doc = told[-1]
        if doc is None and not open_:
            # A closure without a document keeps the last one known.
            doc = next((r[3] for r in reversed(told) if r[3] is not None), None)
        return bool(open_), not open_, seq, doc
    # Only future states: announced, not started yet.
    _, _, seq, doc = rows[0]
    return False, False, seq, doc


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

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Write a large transaction with a rollback journal instead of the WAL.

        Loading a full file into an empty mirror through the WAL writes every page twice (to
        the WAL, then back into the database); a rollback journal holds only the pages that
        existed before, so a new mirror is written once. Atomicity is the same: the
        transaction commits whole or not at all.
        """
        self.connection.execute("PRAGMA journal_mode=DELETE")
        self.connection.execute("PRAGMA cache_size=-262144")
        try:
            yield
        finally:
            self.connection.execute("PRAGMA cache_size=-2000")
            self.connection.execute("PRAGMA journal_mode=WAL")

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
        active, tombstone, seq, doc = _state_on(rows, as_of)
        if doc is None:
            # The full file's documents are kept once, in the entity's row (see load_base).
            current = self.connection.execute(
                f"SELECT doc FROM {entity} WHERE {_KEY[entity]} = ?", (ident,)
            ).fetchone()
            doc = current[0] if current is not None else None
        sha = hashlib.sha256(doc).hexdigest() if doc is not None else None
        level = orjson.loads(doc).get("level") if entity == "unit" and doc is not None else None
        self._write_current(entity, [(ident, level, int(active), int(tombstone), seq, sha, doc)])

    def load_base(self, entity: str, entries: Iterable[BaseEntry], as_of: str) -> None:
        """Record entities of a full file and set their rows, many at once (building a mirror).

        Each entry is ``(id, level, valid from, valid to, document, SHA-256 of the document)``:
        the entity holds the document from its first day and is closed from its last day if
        that is on or before ``as_of`` (the same timeline :meth:`add_state` records one state
        at a time; the row is what :meth:`refresh` would make of it). The document is stored
        once, in the entity's row: the timeline's states from the full file hold none, and
        :meth:`refresh` takes the row's document for them (the mirror's date only moves
        forward, so while such a state is the latest one told, the row holds its document).
        """
        states: list[tuple[Any, ...]] = []
        currents: list[tuple[Any, ...]] = []
        for ident, level, start, end, doc, sha in entries:
            timeline = {start: (start, 1, 0, doc)}
            if end is not None and end <= as_of:
                timeline[end] = (end, 0, 0, doc)
            rows = [timeline[day] for day in sorted(timeline)]
            states += [(entity, ident, day, open_, seq, None) for day, open_, seq, _ in rows]
            active, tombstone, seq, current = _state_on(rows, as_of)
            digest = sha if current is doc else None
            if current is not None and digest is None:
                digest = hashlib.sha256(current).hexdigest()
            currents.append((ident, level, int(active), int(tombstone), seq, digest, current))
        self.connection.executemany(
            "INSERT OR REPLACE INTO state VALUES (?, ?, ?, ?, ?, ?)", states
        )
        self._write_current(entity, currents)

    def _write_current(self, entity: str, rows: list[tuple[Any, ...]]) -> None:
        if entity == "unit":
            self.connection.executemany(
                "INSERT OR REPLACE INTO unit (sor_id, level, active, tombstone, seq, sha256, doc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        else:
            self.connection.executemany(
                "INSERT OR REPLACE INTO location_number (gln, active, tombstone, seq, sha256,"
                " doc) VALUES (?, ?, ?, ?, ?, ?)",
                [row[:1] + row[2:] for row in rows],
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
