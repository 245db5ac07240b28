"""The change feed: what changed since the previous publication, with gap-free numbers.

Each read model carries the whole feed (``change_event``): the previous publication's events
are copied forward and this publication's are appended, numbered on from the previous last
``seq``. The differences are found by comparing the previous and the new set of current
versions (``unit_version``, ``location_number_version``) of every unit and location number;
only entities whose versions differ are looked at, so an unchanged register adds no events.

For an entity whose versions changed, the events are what a consumer who applied the earlier
events needs to be told to hold the new timeline (see :func:`entity_changes`): on each day
where the state it knows differs from the new state, one event:

* ``updated``: own fields differ (``changed_fields`` names them; validity is not a field);
* ``moved``: the parent (a unit's ``parent_sor_id``, a number's ``owner_sor_id``) differs;
* ``replaced``: ``replaced_by`` gained a successor (effective when the unit closes, if that
  version closes it);
* ``reopened``: valid again from that day (a version after a gap, a closure taken back or
  moved later);
* ``closed``: not valid from that day (a ``valid_to`` no version continues from). Closures are
  tombstones: the feed never drops them.

A new entity gets one ``created`` event effective on its first day (its document is the one
published), plus an event for each change still to come and a ``closed`` event for its closing
day when that is final or still to come. Every event carries the entity's document after the
change: the document this publication stores when the event concerns the version it publishes,
else the document as of the event's day (for a closure, its last valid day). Future-dated
changes are so announced when they are first published, with the date they take effect.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from opensor.domain.codelists import CodeLists
from opensor.domain.personal import REDACTED_MARK, public_unit_document
from opensor.domain.records import LocationNumberRecord, Validity, record_from_dict
from opensor.publication.common import dumps, dumps_bytes
from opensor.publication.numbers import location_number_bytes
from opensor.publication.resolver import VersionResolver

__all__ = ["Change", "FeedResult", "Version", "append_feed", "entity_changes"]

_PARENT_FIELD = {"unit": "parent_sor_id", "location_number": "owner_sor_id"}
_KIND_ORDER = {"created": 0, "reopened": 1, "moved": 2, "replaced": 3, "updated": 4, "closed": 5}


@dataclass
class Version:
    """One version of an entity as a read model holds it."""

    start: date
    end: date | None
    text: str
    _fields: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def fields(self) -> dict[str, Any]:
        """The version's own fields (the record without its validity)."""
        if self._fields is None:
            data = json.loads(self.text)
            data.pop("validity", None)
            self._fields = data
        return self._fields

    def covers(self, day: date) -> bool:
        """Whether ``day`` lies in the version's valid time."""
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Change:
    """One event before numbering: what happened, when, and the day of its document.

    ``doc_day`` is the day whose state the event's document shows: the effective day, or the
    last valid day for a closure.
    """

    kind: str
    effective: date
    changed_fields: tuple[str, ...]
    doc_day: date


def _closing_dates(versions: list[Version]) -> set[date]:
    starts = {v.start for v in versions}
    return {v.end for v in versions if v.end is not None and v.end not in starts}


def _covering(versions: list[Version], day: date) -> Version | None:
    return next((v for v in versions if v.covers(day)), None)


def _points(versions: list[Version]) -> set[date]:
    """The days the entity's state changes: version starts and closing days."""
    return {v.start for v in versions} | _closing_dates(versions)


def _differences(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    names = sorted(set(before) | set(after))
    return tuple(name for name in names if before.get(name) != after.get(name))


def _same(a: Version | None, b: Version | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.text == b.text or a.fields == b.fields


def _classify(entity: str, before: Version, after: Version) -> tuple[str, tuple[str, ...]]:
    changed = _differences(before.fields, after.fields)
    if _PARENT_FIELD[entity] in changed:
        return "moved", changed
    gained = set(after.fields.get("replaced_by") or ()) - set(
        before.fields.get("replaced_by") or ()
    )
    if gained:
        return "replaced", changed
    return "updated", changed


def published_index(versions: list[Version], as_of: date) -> int:
    """The version a publication holds for the entity (see :mod:`opensor.publication.units`)."""
    latest_started = None
    for index, version in enumerate(versions):
        if version.start <= as_of:
            if version.covers(as_of):
                return index
            latest_started = index
    return latest_started if latest_started is not None else 0


def entity_changes(
    entity: str, previous: list[Version], current: list[Version], *, as_of: date
) -> list[Change]:
    """The events of one entity (``unit`` or ``location_number``), in effective-date order.

    ``previous`` and ``current`` are its versions in the previous and in this publication,
    ordered by start; ``previous`` is empty for an entity new in this publication.

    The events are found by replaying what a consumer of the feed knows: a state (the own
    fields, or none when closed) from each day it was told of. Going through every day on which
    either version set changes state, in order, an event is added wherever the consumer's state
    differs from the new one, and the consumer is then told. A consumer that applies the events
    ends up with exactly the new timeline; a version split in two without changes, or a change
    already announced, gives no event.
    """
    if not current:
        return []
    changes: list[Change] = []
    if previous:
        known: dict[date, Version | None] = {d: _covering(previous, d) for d in _points(previous)}
        days = sorted(_points(previous) | _points(current))
    else:
        # A new entity is announced as it is published, plus what is still to come and its end.
        first = current[0]
        changes.append(Change("created", first.start, (), first.start))
        known = {first.start: current[published_index(current, as_of)]}
        final = current[-1].end if current[-1].end in _closing_dates(current) else None
        days = sorted(d for d in _points(current) if d > max(as_of, first.start) or d == final)
    for day in days:
        told = [d for d in known if d <= day]
        before = known[max(told)] if told else None
        after = _covering(current, day)
        if _same(before, after):
            continue
        known[day] = after
        if after is None:
            changes.append(Change("closed", day, (), day - timedelta(days=1)))
        elif before is None:
            if any(d < day for d in known) or not previous:
                changes.append(Change("reopened", day, (), day))
            else:
                kind, changed = _classify(entity, previous[0], after)
                changes.append(Change(kind, day, changed, day))
        else:
            kind, changed = _classify(entity, before, after)
            if kind == "replaced" and after.end in _closing_dates(current):
                # A successor named on a closing version takes over when the unit closes.
                assert after.end is not None
                changes.append(Change(kind, after.end, changed, after.end - timedelta(days=1)))
            else:
                changes.append(Change(kind, day, changed, day))
    return sorted(changes, key=lambda c: (c.effective, _KIND_ORDER[c.kind]))


@dataclass(frozen=True)
class FeedResult:
    """The feed held by a read model and what this publication added to it."""

    first_seq: int
    last_seq: int
    added: int
    added_by_kind: dict[str, int]

    @property
    def added_first_seq(self) -> int | None:
        """The first seq this publication added, or ``None`` when it added none."""
        return self.last_seq - self.added + 1 if self.added else None


_CHANGED_UNITS = """
INSERT INTO temp.changed (id)
SELECT n.sor_id FROM main.unit_version n
LEFT JOIN prev.unit_version p ON p.sor_id = n.sor_id AND p.valid_from = n.valid_from
WHERE p.sor_id IS NULL OR p.record IS NOT n.record OR p.valid_to IS NOT n.valid_to
UNION
SELECT p.sor_id FROM prev.unit_version p
LEFT JOIN main.unit_version n ON n.sor_id = p.sor_id AND n.valid_from = p.valid_from
WHERE n.sor_id IS NULL
"""
_CHANGED_NUMBERS = _CHANGED_UNITS.replace("sor_id", "gln").replace(
    "unit_version", "location_number_version"
)


class _FeedWriter:
    def __init__(
        self,
        connection: sqlite3.Connection,
        *,
        number: int,
        as_of: date,
        recorded_at: str,
        codes: CodeLists,
        has_previous: bool,
    ) -> None:
        self.connection = connection
        self.number = number
        self.as_of = as_of
        self.recorded_at = recorded_at
        self.codes = codes
        self.has_previous = has_previous
        self.resolver = VersionResolver(connection)
        self.seq = 0
        self.kinds: dict[str, int] = {}
        self._rows: list[tuple[Any, ...]] = []

    def _add(self, entity: str, key: str, change: Change, doc: bytes | None) -> None:
        self.seq += 1
        self.kinds[change.kind] = self.kinds.get(change.kind, 0) + 1
        self._rows.append(
            (
                self.seq,
                self.number,
                entity,
                key,
                change.kind,
                change.effective.isoformat(),
                dumps(list(change.changed_fields)),
                self.recorded_at,
                doc,
            )
        )
        if len(self._rows) >= 2000:
            self.flush()

    def flush(self) -> None:
        self.connection.executemany(
            "INSERT INTO main.change_event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._rows
        )
        self._rows.clear()

    def _versions(self, schema: str, table: str, key_column: str, key: Any) -> list[Version]:
        rows = self.connection.execute(
            f"SELECT valid_from, valid_to, record FROM {schema}.{table} WHERE {key_column} = ?"
            " ORDER BY valid_from",
            (key,),
        )
        return [_version(start, end, text) for start, end, text in rows]

    def _changed_rows(self, query: str, key: str) -> list[tuple[Any, Any]]:
        where = f"WHERE {key} IN (SELECT id FROM temp.changed)" if self.has_previous else ""
        return self.connection.execute(query.replace("{where}", where)).fetchall()

    def _needs_own_doc(self, change: Change, current: list[Version], published: date) -> bool:
        """Whether the event's document differs from the one this publication stores."""
        version = _covering(current, change.doc_day)
        return version is not None and version.start != published

    def units(self) -> None:
        query = "SELECT sor_id, valid_from FROM main.unit {where} ORDER BY depth, sor_id"
        for sor_id, published in self._changed_rows(query, "sor_id"):
            current = self._versions("main", "unit_version", "sor_id", sor_id)
            previous = (
                self._versions("prev", "unit_version", "sor_id", sor_id)
                if self.has_previous
                else []
            )
            start = date.fromisoformat(published)
            for change in entity_changes("unit", previous, current, as_of=self.as_of):
                doc = None
                if self._needs_own_doc(change, current, start):
                    resolved = self.resolver.resolve(sor_id, change.doc_day)
                    if resolved is not None:
                        doc = dumps_bytes(public_unit_document(resolved.document()))
                self._add("unit", str(sor_id), change, doc)
        self.flush()
        self._fill_docs("unit", "SELECT doc FROM main.unit WHERE sor_id = CAST(e.id AS INTEGER)")

    def location_numbers(self) -> None:
        query = "SELECT gln, NULL FROM main.location_number {where} ORDER BY gln"
        for gln, _ in self._changed_rows(query, "gln"):
            current = self._versions("main", "location_number_version", "gln", gln)
            previous = (
                self._versions("prev", "location_number_version", "gln", gln)
                if self.has_previous
                else []
            )
            start = current[published_index(current, self.as_of)].start
            for change in entity_changes("location_number", previous, current, as_of=self.as_of):
                doc = None
                if self._needs_own_doc(change, current, start):
                    doc = self._number_doc(gln, current, change.doc_day)
                self._add("location_number", gln, change, doc)
        self.flush()
        self._fill_docs("location_number", "SELECT doc FROM main.location_number WHERE gln = e.id")

    def _number_doc(self, gln: str, versions: list[Version], day: date) -> bytes | None:
        version = _covering(versions, day)
        if version is None:
            return None
        record = record_from_dict(json.loads(version.text))
        assert isinstance(record, LocationNumberRecord)
        first_from = record.validity.first_from if record.validity else versions[0].start
        updated = self.connection.execute(
            "SELECT last_updated FROM main.location_number WHERE gln = ?", (gln,)
        ).fetchone()[0]
        doc, _ = location_number_bytes(
            record,
            day=day,
            validity=Validity(first_from, version.start, version.end),
            active=True,
            count=len(versions),
            updated=updated,
            codes=self.codes,
        )
        return doc

    def _fill_docs(self, entity: str, select: str) -> None:
        self.connection.execute(
            f"UPDATE main.change_event AS e SET doc = ({select})"
            " WHERE e.publication = ? AND e.entity = ? AND e.doc IS NULL",
            (self.number, entity),
        )


def _version(start: str, end: str | None, text: str) -> Version:
    return Version(date.fromisoformat(start), date.fromisoformat(end) if end else None, text)


def _redact_copied(connection: sqlite3.Connection) -> None:
    """Remove the personal fields from copied events of a feed written before they were.

    Events are public: a unit document marked as personal data is stored in its public form
    (:func:`opensor.domain.personal.public_unit_document`). Feeds written since carry no
    such document, so this finds nothing to change.
    """
    rows = connection.execute(
        "SELECT seq, doc FROM main.change_event WHERE entity = 'unit' AND doc IS NOT NULL"
        " AND instr(CAST(doc AS TEXT), '\"personal_data\":true') > 0"
        f" AND instr(CAST(doc AS TEXT), '\"{REDACTED_MARK}\"') = 0"
    ).fetchall()
    connection.executemany(
        "UPDATE main.change_event SET doc = ? WHERE seq = ?",
        [(dumps_bytes(public_unit_document(json.loads(doc))), seq) for seq, doc in rows],
    )


def append_feed(
    connection: sqlite3.Connection,
    *,
    has_previous: bool,
    number: int,
    as_of: date,
    recorded_at: str,
    codes: CodeLists,
) -> FeedResult:
    """Copy the previous read model's feed forward and append this publication's events.

    ``connection`` is the new read model (its unit and location-number tables written), with
    the previous publication's read model attached as ``prev`` when ``has_previous``.
    """
    last = 0
    if has_previous:
        # The previous read model is attached as ``prev`` when the writer opens the file
        # (SQLite cannot attach inside the build's transaction).
        connection.execute("INSERT INTO main.change_event SELECT * FROM prev.change_event")
        _redact_copied(connection)
        last, count = connection.execute(
            "SELECT coalesce(max(seq), 0), count(*) FROM main.change_event"
        ).fetchone()
        if count != last:
            raise RuntimeError(
                f"the change feed of the previous publication has gaps ({count} events, last "
                f"seq {last}); refusing to continue it"
            )
    writer = _FeedWriter(
        connection,
        number=number,
        as_of=as_of,
        recorded_at=recorded_at,
        codes=codes,
        has_previous=has_previous,
    )
    writer.seq = last
    connection.execute("CREATE TEMP TABLE changed (id PRIMARY KEY) WITHOUT ROWID")
    if has_previous:
        connection.execute(_CHANGED_UNITS)
    writer.units()
    if has_previous:
        connection.execute("DELETE FROM temp.changed")
        connection.execute(_CHANGED_NUMBERS)
    writer.location_numbers()
    connection.execute("DROP TABLE temp.changed")
    first = 1 if writer.seq else 0
    return FeedResult(
        first_seq=first,
        last_seq=writer.seq,
        added=writer.seq - last,
        added_by_kind=dict(sorted(writer.kinds.items())),
    )
