"""Writing a read model: the SQLite file of :mod:`opensor.publication.schema`, built in bulk.

The file is new and private until the publication is complete, so it is written as fast as
SQLite allows: no journal, no syncing while building, one transaction, rows inserted in
batches, indexes created after the rows are in. :meth:`ReadModelWriter.finish` then creates
the indexes, runs ``ANALYZE``, compacts the file and syncs it to disk.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from opensor.publication.schema import DERIVED_SQL, SCHEMA_SQL, SCHEMA_VERSION
from opensor.publication.store import fsync_file

__all__ = ["ReadModelWriter", "schema_statements"]

_BATCH = 2000
PAGE_SIZE = 16384

_INSERTS = {
    "unit_fts": 3,
    "unit_trigram": 2,
    "unit": 31,
    "unit_summary": 22,
    "unit_personal": 3,
    "unit_speciality": 3,
    "unit_version": 6,
    "location_number": 7,
    "location_number_version": 6,
    "location_message_type": 2,
    "file": 4,
}


def schema_statements() -> tuple[list[str], list[str]]:
    """The schema's statements split into ``(tables, indexes)``, so rows go in first."""
    tables: list[str] = []
    indexes: list[str] = []
    for statement in SCHEMA_SQL.split(";"):
        lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
        text = "\n".join(lines).strip()
        if not text:
            continue
        is_index = re.match(r"CREATE\s+(UNIQUE\s+)?INDEX", text, re.IGNORECASE)
        (indexes if is_index else tables).append(text)
    return tables, indexes


class ReadModelWriter:
    """A new read model being filled: buffered inserts into one open transaction."""

    def __init__(self, path: Path, *, previous: Path | None = None) -> None:
        """Create the file at ``path`` (which must not exist) with the schema's tables.

        ``previous`` (the previous publication's read model) is attached read-only as
        ``prev`` for the change feed.
        """
        if path.exists():
            raise FileExistsError(f"{path} exists; a read model is always written afresh")
        self.path = path
        self.connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=rwc", uri=True, isolation_level=None
        )
        self.has_previous = previous is not None
        if previous is not None:
            self.connection.execute(
                "ATTACH DATABASE ? AS prev", (f"{previous.resolve().as_uri()}?mode=ro",)
            )
        self.connection.execute("PRAGMA journal_mode=OFF")
        self.connection.execute("PRAGMA synchronous=OFF")
        self.connection.execute("PRAGMA cache_size=-65536")
        # Documents of a few kB stay on their table page (no overflow chains) with 16 kB pages.
        self.connection.execute(f"PRAGMA page_size={PAGE_SIZE}")
        tables, self._indexes = schema_statements()
        for statement in tables:
            self.connection.execute(statement)
        self.connection.execute("BEGIN")
        self._buffers: dict[str, list[Sequence[Any]]] = {name: [] for name in _INSERTS}
        self._sql = {
            name: f"INSERT INTO {name} VALUES ({', '.join('?' * count)})"
            for name, count in _INSERTS.items()
        }
        self._sql["unit_fts"] = "INSERT INTO unit_fts (rowid, name_folded, codes) VALUES (?, ?, ?)"
        self._sql["unit_trigram"] = "INSERT INTO unit_trigram (rowid, name_folded) VALUES (?, ?)"
        self._created_indexes: set[str] = set()

    # -- rows ------------------------------------------------------------------------------

    def add(self, table: str, row: Sequence[Any]) -> None:
        """Queue one row for ``table`` (written in batches)."""
        buffer = self._buffers[table]
        buffer.append(row)
        if len(buffer) >= _BATCH:
            self._flush(table)

    def add_many(self, table: str, rows: Iterable[Sequence[Any]]) -> None:
        """Queue several rows for ``table``."""
        for row in rows:
            self.add(table, row)

    def add_search(self, sor_id: int, name_folded: str, codes: str) -> None:
        """Index a unit's folded name and codes for word and trigram search."""
        self.add("unit_fts", (sor_id, name_folded, codes))
        self.add("unit_trigram", (sor_id, name_folded))

    def flush(self) -> None:
        """Write every queued row."""
        for table in self._buffers:
            self._flush(table)

    def _flush(self, table: str) -> None:
        buffer = self._buffers[table]
        if buffer:
            self.connection.executemany(self._sql[table], buffer)
            buffer.clear()

    def set_meta(self, values: dict[str, object]) -> None:
        """Set ``meta`` keys (values stored as text)."""
        self.connection.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [(key, "" if value is None else str(value)) for key, value in values.items()],
        )

    # -- indexes and completion ------------------------------------------------------------

    def create_indexes(self, *, on: Iterable[str] | None = None) -> None:
        """Create the schema's indexes (only those on the tables named in ``on``, if given)."""
        self.flush()
        wanted = set(on) if on is not None else None
        for statement in self._indexes:
            match = re.search(r"\bON\s+(\w+)", statement, re.IGNORECASE)
            table = match.group(1) if match else ""
            if statement in self._created_indexes or (wanted is not None and table not in wanted):
                continue
            self.connection.execute(statement)
            self._created_indexes.add(statement)

    def finish(self, *, vacuum: bool = False) -> None:
        """Commit, index, analyse, compact and sync the file; the writer is closed after."""
        self.flush()
        self.set_meta({"schema_version": SCHEMA_VERSION})
        for statement in DERIVED_SQL:
            self.connection.execute(statement)
        self.create_indexes()
        self.connection.execute("COMMIT")
        if self.has_previous:
            self.connection.execute("DETACH DATABASE prev")
        self.connection.execute("ANALYZE")
        if vacuum:
            self.connection.execute("VACUUM")
        self.connection.execute("PRAGMA optimize")
        self.connection.close()
        fsync_file(self.path)

    def abort(self) -> None:
        """Close the file without finishing it (the build directory is deleted anyway)."""
        with contextlib.suppress(sqlite3.Error):
            self.connection.close()
