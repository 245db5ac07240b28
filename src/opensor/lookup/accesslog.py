"""The access log: every protected read of a personal-data unit, append-only.

Each lookup process appends one row per read of a unit marked as personal data by a client
of the protected channel (client, unit, time, purpose, path, node) to a SQLite file
(``SOR_ACCESS_LOG``, default ``$SOR_HOME/access-log.sqlite``: beside the publication store,
never inside it, so copying publications to a node never overwrites a log). Each row is
committed before the response is sent (WAL, one short transaction), so an answered read is
never missing from the log.

The log cannot be altered through the service: no endpoint writes it except by appending,
and none reads it (the authority reads it with ``sor access log`` and in the data subject's
report). In the file, triggers refuse every ``UPDATE`` and every ``DELETE`` of a row younger
than the retention period (``retention_days``, set with ``sor access log --retention``), and
each row carries a SHA-256 chained over the previous row (``digest``), so a change made
behind the triggers' back is found by :func:`verify_chain` (``sor access log --verify``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "AccessLog",
    "AccessLogAltered",
    "default_log_path",
    "purge",
    "read_entries",
    "set_retention",
    "verify_chain",
]

DEFAULT_RETENTION_DAYS = 5 * 366
"""How long entries are kept unless the authority sets another retention (about 5 years)."""

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS access_read (
    id        INTEGER PRIMARY KEY,
    read_at   TEXT NOT NULL,
    client_id TEXT NOT NULL,
    sor_id    TEXT NOT NULL,
    purpose   TEXT NOT NULL,
    path      TEXT NOT NULL,
    node      TEXT NOT NULL,
    digest    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_read_unit ON access_read (sor_id, id);
CREATE INDEX IF NOT EXISTS access_read_client ON access_read (client_id, id);
CREATE TABLE IF NOT EXISTS access_log_setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO access_log_setting VALUES ('retention_days', '{DEFAULT_RETENTION_DAYS}');
CREATE TRIGGER IF NOT EXISTS access_read_no_update BEFORE UPDATE ON access_read
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_read_keep BEFORE DELETE ON access_read
WHEN old.read_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || COALESCE(
    (SELECT value FROM access_log_setting WHERE name = 'retention_days'), '36500') || ' days')
BEGIN SELECT RAISE(ABORT, 'access log entries are kept for the retention period'); END;
"""

_GENESIS = "0" * 64


class AccessLogAltered(Exception):
    """The access log's digest chain is broken: a row was changed or removed out of order."""


def default_log_path(store_root: Path) -> Path:
    """``SOR_ACCESS_LOG``, else ``access-log.sqlite`` beside the publication store."""
    configured = os.environ.get("SOR_ACCESS_LOG")
    return Path(configured) if configured else store_root.parent / "access-log.sqlite"


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.executescript(_SCHEMA)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
    return connection


def _digest(previous: str, read_at: str, client_id: str, sor_id: str, purpose: str) -> str:
    text = "\x1f".join((previous, read_at, client_id, sor_id, purpose))
    return hashlib.sha256(text.encode()).hexdigest()


class AccessLog:
    """The appending side, one per lookup process (thread-safe; opened on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.node = f"{socket.gethostname()}:{os.getpid()}"
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def append(self, client_id: str, sor_id: str, purpose: str, path: str) -> None:
        """Record one read; returns once the row is committed."""
        read_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self._lock:
            if self._connection is None:
                self._connection = _connect(self.path)
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                row = connection.execute(
                    "SELECT digest FROM access_read ORDER BY id DESC LIMIT 1"
                ).fetchone()
                digest = _digest(row[0] if row else _GENESIS, read_at, client_id, sor_id, purpose)
                connection.execute(
                    "INSERT INTO access_read (read_at, client_id, sor_id, purpose, path, node,"
                    " digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (read_at, client_id, sor_id, purpose, path[:500], self.node, digest),
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the file (at shutdown)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def read_entries(
    path: Path, *, sor_id: str | None = None, client_id: str | None = None, limit: int = 10_000
) -> list[dict[str, Any]]:
    """The log's entries (oldest first), for one unit or client if given; for the authority."""
    if not path.exists():
        return []
    connection = _connect(path)
    try:
        where, args = [], []
        if sor_id is not None:
            where.append("sor_id = ?")
            args.append(sor_id)
        if client_id is not None:
            where.append("client_id = ?")
            args.append(client_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = connection.execute(
            "SELECT id, read_at, client_id, sor_id, purpose, path, node FROM access_read "
            f"{clause} ORDER BY id LIMIT ?",
            [*args, limit],
        ).fetchall()
    finally:
        connection.close()
    keys = ("id", "read_at", "client_id", "sor_id", "purpose", "path", "node")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def verify_chain(path: Path) -> int:
    """Check every row's digest against its predecessor; the number of rows checked.

    Raises :class:`AccessLogAltered` naming the first row that does not fit.
    """
    if not path.exists():
        return 0
    connection = _connect(path)
    try:
        start = connection.execute(
            "SELECT value FROM access_log_setting WHERE name = 'chain_start'"
        ).fetchone()
        previous = start[0] if start else _GENESIS
        count = 0
        for row_id, read_at, client_id, sor_id, purpose, digest in connection.execute(
            "SELECT id, read_at, client_id, sor_id, purpose, digest FROM access_read ORDER BY id"
        ):
            if digest != _digest(previous, read_at, client_id, sor_id, purpose):
                raise AccessLogAltered(f"access log row {row_id} does not fit the chain")
            previous = digest
            count += 1
        return count
    finally:
        connection.close()


def set_retention(path: Path, days: int) -> None:
    """Set how many days entries are kept (at least 1)."""
    if days < 1:
        raise ValueError("the retention must be at least one day")
    connection = _connect(path)
    try:
        connection.execute(
            "INSERT OR REPLACE INTO access_log_setting VALUES ('retention_days', ?)", (str(days),)
        )
    finally:
        connection.close()


def purge(path: Path, *, now: datetime | None = None) -> int:
    """Delete the entries older than the retention period; how many were deleted."""
    if not path.exists():
        return 0
    connection = _connect(path)
    try:
        (days,) = connection.execute(
            "SELECT value FROM access_log_setting WHERE name = 'retention_days'"
        ).fetchone()
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=int(days))).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        connection.execute("BEGIN IMMEDIATE")
        last = connection.execute(
            "SELECT digest FROM access_read WHERE read_at < ? ORDER BY id DESC LIMIT 1", (cutoff,)
        ).fetchone()
        if last is not None:
            # the chain now starts after the last purged row
            connection.execute(
                "INSERT OR REPLACE INTO access_log_setting VALUES ('chain_start', ?)", (last[0],)
            )
        cursor = connection.execute("DELETE FROM access_read WHERE read_at < ?", (cutoff,))
        connection.execute("COMMIT")
        return cursor.rowcount
    finally:
        connection.close()
