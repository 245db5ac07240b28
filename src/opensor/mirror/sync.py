"""Keep a mirror in sync: build it from the latest full file, then follow the change feed.

:func:`sync` does one round and returns a :class:`SyncReport` with the proof: the mirror's
counts against the source manifest's and, for a mirror just built from the full file, the
checksum of its set of ``(SOR-ID, SHA-256 of document)`` against the same checksum of the
downloaded ``units.json``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from opensor.mirror.database import BaseEntry, MirrorDatabase, entity_checksum
from opensor.mirror.http import HttpClient, MirrorError

__all__ = ["SyncReport", "sync"]

API = "/api/v1"
PAGE = 1000
_BATCH = 5000

Progress = Callable[[str, int, int | None], None]


@dataclass
class SyncReport:
    """What one round did and what it proved."""

    publication: int
    as_of: str
    position: int
    built: bool
    events: int = 0
    differences: list[str] = field(default_factory=list)
    checksum: str | None = None
    source_checksum: str | None = None

    @property
    def in_sync(self) -> bool:
        """Whether every comparison held."""
        return not self.differences


def _files(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in manifest.get("files", [])}


def _validity(doc: dict[str, Any]) -> tuple[str, str | None]:
    validity = (doc.get("unit") or {}).get("validity") or {}
    return validity.get("valid_from") or "", validity.get("valid_to")


def _download(
    client: HttpClient, manifest: dict[str, Any], name: str, directory: Path, progress: Progress
) -> Path:
    entry = _files(manifest).get(name)
    if entry is None:
        raise MirrorError(f"publication {manifest['number']} lists no file {name!r}")
    target = directory / "downloads" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    size = int(entry["size"])
    return client.download(
        f"{API}/publications/{manifest['number']}/files/{name}",
        target,
        size=size,
        sha256=entry["sha256"],
        progress=lambda done: progress(f"downloading {name}", done, size),
    )


def _build(
    db: MirrorDatabase,
    client: HttpClient,
    manifest: dict[str, Any],
    directory: Path,
    progress: Progress,
) -> str:
    """Load the full files of ``manifest``'s publication; the source checksum of units.json."""
    units = _download(client, manifest, "units.json", directory, progress)
    csv_set = _download(client, manifest, "sor-csv.zip", directory, progress)
    total = manifest["counts"]["units"]["all"]["total"]
    pairs: list[tuple[str, str]] = []
    with db.bulk():
        _load(db, manifest, units, csv_set, pairs, progress, client.base_url)
    progress("loading units", total, total)
    return entity_checksum(pairs)


def _load(
    db: MirrorDatabase,
    manifest: dict[str, Any],
    units: Path,
    csv_set: Path,
    pairs: list[tuple[str, str]],
    progress: Progress,
    base_url: str,
) -> None:
    """Replace the mirror's content by the full files, in one transaction."""
    as_of = manifest["as_of"]
    total = manifest["counts"]["units"]["all"]["total"]
    connection = db.connection
    connection.execute("BEGIN IMMEDIATE")
    try:
        db.reset()
        batch: list[BaseEntry] = []
        with units.open("rb") as handle:
            for count, line in enumerate(handle, 1):
                line = line.rstrip(b"\n")
                if not line:
                    continue
                doc = orjson.loads(line)
                ident = doc["sor_id"]
                sha = hashlib.sha256(line).hexdigest()
                pairs.append((ident, sha))
                start, end = _validity(doc)
                batch.append((ident, doc.get("level"), start, end, line, sha))
                if len(batch) == _BATCH:
                    db.load_base("unit", batch, as_of)
                    batch = []
                    progress("loading units", count, total)
        db.load_base("unit", batch, as_of)
        with zipfile.ZipFile(csv_set) as archive, archive.open("LocationsCode.csv") as raw:
            db.load_base(
                "location_number",
                (
                    (row["EanLocationCode"], None, row.get("FromDate") or "",
                     row.get("ToDate") or None, None, None)
                    for row in csv.DictReader(
                        io.TextIOWrapper(raw, "utf-8", newline=""), delimiter=";"
                    )
                ),
                as_of,
            )  # fmt: skip
        db.set_meta(
            position=manifest["feed"]["last_seq"],
            publication=manifest["number"],
            as_of=as_of,
            built_from=manifest["number"],
            base_url=base_url,
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _follow(db: MirrorDatabase, client: HttpClient, progress: Progress) -> tuple[int, int]:
    """Apply the feed from the mirror's position; (events applied, newest publication seen)."""
    position = db.position or 0
    as_of = db.meta()["as_of"]
    applied = 0
    publication = 0
    path = f"{API}/changes?since={position}&limit={PAGE}"
    while True:
        page = client.get_json(path)
        publication = max(publication, int(page.get("publication") or 0))
        events = page.get("events") or []
        if not events:
            break
        connection = db.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            touched = set()
            for event in events:
                seq = int(event["seq"])
                if seq != position + 1:
                    raise MirrorError(
                        f"GET {client.url(path)}: the feed jumps from seq {position} to {seq}"
                    )
                doc = event.get("doc")
                raw = (
                    json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
                    if doc
                    else None
                )
                db.add_state(
                    event["entity"],
                    event["id"],
                    event["effective_date"],
                    open_=event["kind"] != "closed",
                    seq=seq,
                    doc=raw,
                )
                touched.add((event["entity"], event["id"]))
                position = seq
            for entity, ident in touched:
                db.refresh(entity, ident, as_of)
            db.set_meta(position=position)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        applied += len(events)
        progress("applying the change feed", applied, None)
        if not page.get("more"):
            break
        path = page["next"]
    return applied, publication


def _advance(db: MirrorDatabase, manifest: dict[str, Any]) -> None:
    """Move the mirror's date to the manifest's ``as_of`` (announced changes take effect)."""
    meta = db.meta()
    new = manifest["as_of"]
    connection = db.connection
    connection.execute("BEGIN IMMEDIATE")
    try:
        if new > meta["as_of"]:
            db.refresh_between(meta["as_of"], new)
        db.set_meta(as_of=new, publication=manifest["number"])
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _compare(report: SyncReport, db: MirrorDatabase, manifest: dict[str, Any]) -> None:
    mine = db.counts()
    theirs = manifest["counts"]
    for level in ("IE", "SI", "OE", "all"):
        for key in ("active", "total"):
            a = mine["units"].get(level, {}).get(key, 0)
            b = theirs["units"][level][key]
            if a != b:
                report.differences.append(
                    f"units {level} {key}: the mirror has {a:,}, publication "
                    f"{manifest['number']} has {b:,}"
                )
    for key in ("active", "total"):
        a, b = mine["location_numbers"][key], theirs["location_numbers"][key]
        if a != b:
            report.differences.append(
                f"location numbers {key}: the mirror has {a:,}, publication "
                f"{manifest['number']} has {b:,}"
            )
    if report.position != manifest["feed"]["last_seq"]:
        report.differences.append(
            f"feed position: the mirror is at seq {report.position:,}, publication "
            f"{manifest['number']} ends at seq {manifest['feed']['last_seq']:,}"
        )


def sync(
    base_url: str,
    directory: Path,
    *,
    rebuild: bool = False,
    client: HttpClient | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """One round: build (empty mirror or ``rebuild``) or follow the feed, then prove it."""
    client = client or HttpClient(base_url)
    progress = progress or (lambda _what, _done, _total: None)
    db = MirrorDatabase(directory)
    try:
        meta = db.meta()
        if meta.get("base_url") and meta["base_url"] != client.base_url and not rebuild:
            raise MirrorError(
                f"{db.path} mirrors {meta['base_url']}, not {client.base_url}; "
                "use another --dir or --rebuild"
            )
        manifest = client.get_json(f"{API}/publications/latest")
        if db.position is None or rebuild:
            source = _build(db, client, manifest, directory, progress)
            report = SyncReport(manifest["number"], manifest["as_of"], db.position or 0, True)
            report.source_checksum = source
            report.checksum = db.unit_checksum()
            if report.checksum != source:
                report.differences.append(
                    f"unit checksum: the mirror's {report.checksum} differs from units.json's "
                    f"{source} (publication {manifest['number']})"
                )
            _compare(report, db, manifest)
            return report
        applied = 0
        for _ in range(3):
            added, seen = _follow(db, client, progress)
            applied += added
            manifest = client.get_json(f"{API}/publications/latest")
            if manifest["number"] >= seen and db.position == manifest["feed"]["last_seq"]:
                break
        if manifest["as_of"] < db.meta()["as_of"]:
            raise MirrorError(
                f"publication {manifest['number']} is as of {manifest['as_of']}, before the "
                f"mirror's date {db.meta()['as_of']}"
            )
        _advance(db, manifest)
        report = SyncReport(manifest["number"], manifest["as_of"], db.position or 0, False)
        report.events = applied
        report.checksum = db.unit_checksum()
        _compare(report, db, manifest)
        return report
    finally:
        db.close()
