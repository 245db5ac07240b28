"""Read-only access to a publication's read model, and the switch to a newer publication.

A :class:`ReadModel` wraps one publication's ``readmodel.sqlite``. Each thread that reads gets
its own connection, opened with the URI ``file:…?mode=ro&immutable=1`` (a publication never
changes once complete, so SQLite skips locking and change detection) and ``PRAGMA
query_only=1``. The sqlite3 module keeps a per-connection cache of prepared statements, so a
repeated query is not parsed again.

:class:`CurrentPublication` follows the store's ``current`` link: at most once a second it
reads the link (one ``readlink`` system call) and, when the link names another publication,
opens that publication's read model and switches to it atomically. A request *pins* the model
it started with (:meth:`CurrentPublication.acquire` / :meth:`ReadModel.release`), so a request
in flight keeps reading its publication; the old model's connections are closed when the last
request using it ends.
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Sequence
from contextvars import ContextVar, Token
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opensor.publication.schema import CURRENT_LINK, FILTER_TOKENS_META

if TYPE_CHECKING:
    from opensor.publication.store import Publication, PublicationStore

__all__ = [
    "SUMMARY_TABLE_COLUMNS",
    "CurrentPublication",
    "NoPublication",
    "ReadModel",
    "RequestPins",
    "begin_request",
    "distance_km",
    "end_request",
    "open_read_only",
    "pinned_model",
]


class NoPublication(LookupError):
    """The store holds no complete publication yet (nothing to serve)."""


def open_read_only(path: Path) -> sqlite3.Connection:
    """Open a read model file read-only and immutable, for the calling thread's use.

    ``check_same_thread`` is off only so that the thread which ends the last request on a
    retired publication may close connections other threads opened; each connection is still
    used by exactly one thread.
    """
    if not path.is_file():
        raise FileNotFoundError(f"read model {path} does not exist")
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False, cached_statements=256)
    connection.execute("PRAGMA query_only=1")
    connection.create_function("sor_distance_km", 4, distance_km, deterministic=True)
    return connection


EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius used for distances."""


def distance_km(
    lat1: float | None, lon1: float | None, lat2: float | None, lon2: float | None
) -> float | None:
    """The great-circle (haversine) distance in km; SQL ``sor_distance_km(lat, lon, lat, lon)``.

    ``None`` when a coordinate is missing.
    """
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


SUMMARY_TABLE_COLUMNS = frozenset(
    {
        "sor_id",
        "level",
        "parent_sor_id",
        "name",
        "name_folded",
        "active",
        "valid_from",
        "valid_to",
        "depth",
        "path",
        "type_code",
        "shak",
        "provider_number",
        "cvr",
        "postcode",
        "municipality_code",
        "region_code",
        "country",
        "latitude",
        "longitude",
        "gln",
        "gln_source",
    }
)
"""The columns of ``unit`` that lists and searches read.

A read model whose schema has a narrow ``unit_summary`` table with these columns (one row per
unit, the same values as ``unit``) is read from it instead of from the wide ``unit`` rows,
which hold the documents (about one row per page), so scanning many units reads far fewer
pages.
"""


def _has_table(connection: sqlite3.Connection, name: str) -> bool:
    row = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def _has_summary(connection: sqlite3.Connection) -> bool:
    columns = {row[1] for row in connection.execute("PRAGMA table_info(unit_summary)")}
    return columns >= SUMMARY_TABLE_COLUMNS


class ReadModel:
    """One publication's read model: per-thread read-only connections and its ``meta`` table.

    ``publication`` is the :class:`~opensor.publication.store.Publication`; ``number`` its
    number; ``meta`` the ``meta`` table as a dict (read once on opening).
    """

    def __init__(self, publication: Publication) -> None:
        self.publication = publication
        self.number: int = publication.number
        self.path: Path = publication.read_model_path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._users = 0
        self._retired = False
        self._closed = False
        self._counts: dict[tuple[str, tuple[object, ...]], int] = {}
        self.memo: dict[str, Any] = {}
        """Values derived once from this publication (it never changes), by name."""
        connection = self.connection()
        self.meta: dict[str, str] = dict(
            connection.execute("SELECT key, value FROM meta").fetchall()
        )
        self.list_table = "unit_summary" if _has_summary(connection) else "unit"
        """The table lists and searches read unit summaries from (see :data:`SUMMARY_TABLE`)."""
        self.has_personal_split = _has_table(connection, "unit_personal")
        """Whether personal-data units' whole documents are apart (``unit_personal``)."""
        self.has_facets = _has_table(connection, "unit_facet")
        """Whether the read model counts units by their filterable codes (``unit_facet``)."""
        self.has_filter_tokens = self.meta.get(FILTER_TOKENS_META) == "1"
        """Whether ``unit_fts.codes`` holds the filter tokens (``m0101``, ``r1084``, ``p2100``)."""

    def __repr__(self) -> str:
        return f"<ReadModel publication={self.number} path={self.path}>"

    def connection(self) -> sqlite3.Connection:
        """The calling thread's read-only connection (opened on first use)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            if self._closed:
                raise RuntimeError(f"read model of publication {self.number} is closed")
            connection = open_read_only(self.path)
            with self._lock:
                self._connections.append(connection)
            self._local.connection = connection
        return connection

    def count(self, sql: str, args: Sequence[Any] = ()) -> int:
        """The single integer ``sql`` selects, remembered for this publication.

        A publication never changes, so the exact ``total`` of a query is computed once; at
        most 4,096 distinct counts are kept (then the memory starts afresh).
        """
        key = (sql, tuple(args))
        value = self._counts.get(key)
        if value is None:
            value = int(self.connection().execute(sql, args).fetchone()[0])
            if len(self._counts) >= 4096:
                self._counts.clear()
            self._counts[key] = value
        return value

    def acquire(self) -> ReadModel:
        """Mark one more request as using this model (pairs with :meth:`release`)."""
        with self._lock:
            self._users += 1
        return self

    def release(self) -> None:
        """One request stopped using this model; a retired model closes when unused."""
        with self._lock:
            self._users -= 1
            close = self._retired and self._users <= 0
        if close:
            self.close()

    def retire(self) -> None:
        """A newer publication replaced this one: close now if unused, else at last release."""
        with self._lock:
            self._retired = True
            close = self._users <= 0
        if close:
            self.close()

    @property
    def in_use(self) -> int:
        """How many requests currently use this model."""
        return self._users

    @property
    def closed(self) -> bool:
        """True once every connection has been closed."""
        return self._closed

    def close(self) -> None:
        """Close every connection this model opened (any thread's)."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()


class RequestPins:
    """The models one request has pinned (released together when the request ends)."""

    __slots__ = ("current", "others")

    def __init__(self) -> None:
        self.current: ReadModel | None = None
        self.others: list[ReadModel] = []

    def release(self) -> None:
        """Release every model this request pinned."""
        if self.current is not None:
            self.current.release()
            self.current = None
        for model in self.others:
            model.release()
        self.others.clear()


_PINS: ContextVar[RequestPins | None] = ContextVar("opensor_lookup_pins", default=None)


def begin_request() -> tuple[RequestPins, Token[RequestPins | None]]:
    """Start pinning for one request: models the request reads stay open until it ends."""
    pins = RequestPins()
    return pins, _PINS.set(pins)


def end_request(pins: RequestPins, token: Token[RequestPins | None]) -> None:
    """End a request begun with :func:`begin_request`: release what it pinned."""
    _PINS.reset(token)
    pins.release()


def pinned_model() -> ReadModel | None:
    """The current-publication model pinned by the request being handled, if any."""
    pins = _PINS.get()
    return pins.current if pins is not None else None


class CurrentPublication:
    """The read model of the store's current publication, switched when ``current`` moves.

    ``check_interval`` is the longest time (seconds) a newer publication can go unnoticed; the
    check is a single ``readlink`` of the ``current`` link. Call it (``provider()``) to get the
    model for this request: the pinned one when a request pinned one (see :meth:`pin`), else
    the current one. Raises :class:`NoPublication` when the store holds none yet.
    """

    def __init__(
        self, store: PublicationStore, *, check_interval: float = 1.0, keep_older: int = 2
    ) -> None:
        self.store = store
        self.check_interval = check_interval
        self.keep_older = keep_older
        self._older: dict[int, ReadModel] = {}
        self._link = Path(store.root) / CURRENT_LINK
        self._lock = threading.Lock()
        self._model: ReadModel | None = None
        self._target: str | None = None
        self._checked_at = float("-inf")

    def _read_link(self) -> str | None:
        try:
            return os.readlink(self._link)
        except OSError:
            return None

    def _refresh(self, now: float) -> None:
        target = self._read_link()
        with self._lock:
            self._checked_at = now
            if target == self._target and (self._model is not None or target is None):
                return
            publication = self.store.current() if target is not None else None
            old = self._model
            if publication is None:
                self._model, self._target = None, None
            elif old is not None and old.number == publication.number:
                self._target = target
                return
            else:
                self._model, self._target = ReadModel(publication), target
        if old is not None:
            old.retire()

    def current(self) -> ReadModel:
        """The current publication's model (checks the link at most every ``check_interval``)."""
        now = time.monotonic()
        if now - self._checked_at >= self.check_interval or self._model is None:
            self._refresh(now)
        model = self._model
        if model is None:
            raise NoPublication(
                f"no publication has been made yet in {self.store.root} "
                "(run `sor publish` to make one)"
            )
        return model

    def __call__(self) -> ReadModel:
        """The model for the request being handled.

        Inside a request (see :func:`begin_request`) the first call pins the current model
        and later calls return the same one, so the request reads one publication throughout
        even if a newer one appears meanwhile. Outside a request it is the current model.
        """
        pins = _PINS.get()
        if pins is None:
            return self.current()
        if pins.current is None:
            pins.current = self.acquire()
        return pins.current

    def acquire(self) -> ReadModel:
        """The current model, pinned for one request (release it with ``model.release()``)."""
        while True:
            model = self.current().acquire()
            if not model.closed:
                return model
            model.release()  # retired and closed between lookup and pin: take the newer one

    def acquire_number(self, number: int) -> ReadModel | None:
        """Publication ``number``'s model, pinned, if the store still keeps it; else ``None``.

        Used to finish a cursor walk begun on an older publication: up to ``keep_older``
        older models stay open (the least recently opened is retired first).
        """
        current = self.current()
        if current.number == number:
            return self.acquire()
        with self._lock:
            model = self._older.get(number)
        if model is None:
            publication = self.store.get(number)
            if publication is None or not publication.read_model_path.is_file():
                return None
            model = ReadModel(publication)
            retired: list[ReadModel] = []
            with self._lock:
                existing = self._older.get(number)
                if existing is not None:
                    retired.append(model)
                    model = existing
                else:
                    self._older[number] = model
                    while len(self._older) > max(self.keep_older, 0):
                        retired.append(self._older.pop(next(iter(self._older))))
            for other in retired:
                other.retire()
        model.acquire()
        if model.closed:
            model.release()
            return None
        return model

    def for_number(self, number: int) -> ReadModel | None:
        """Publication ``number``'s model for this request (pinned until it ends), or ``None``.

        The current publication's model when ``number`` is current, else an older kept one
        (see :meth:`acquire_number`); ``None`` when the store no longer keeps it.
        """
        pins = _PINS.get()
        current = self()
        if current.number == number:
            return current
        model = self.acquire_number(number)
        if model is not None and pins is not None:
            pins.others.append(model)
        return model

    def close(self) -> None:
        """Close the current model (at shutdown)."""
        with self._lock:
            model, self._model, self._target = self._model, None, None
            older, self._older = list(self._older.values()), {}
        for other in [model, *older]:
            if other is not None:
                other.retire()
