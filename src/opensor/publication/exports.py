"""The export files of a publication, written from its read model.

* ``units.json``: JSON lines, one unit document per line (as the read model's ``unit.doc``);
* ``fhir-organization.ndjson``, ``fhir-location.ndjson``, ``fhir-endpoint.ndjson``: FHIR R4
  resources, one per line (bulk-data NDJSON);
* ``sor-csv.zip``: the SOR2-style CSV set (see :mod:`opensor.publication.csvset` and
  ``docs/publication.md``);
* ``sortree.xml``: SorTree XML 1.0.0 as of the publication date, written by the register's own
  exporter (:func:`opensor.register.units.exporting.sortree_export`) in the same read snapshot,
  public: owners marked as personal data are withheld with their subtrees (SorTree requires an
  owner's telephone number) and counted in the manifest's entry for the file;
* ``sortree-complete.xml``: the complete SorTree file, written in the same pass, with every
  personal field: served only to callers with the scope ``lookup:personal-data``
  (:data:`PERSONAL_DATA_FILES`).

Every file is written, flushed and fsynced before the publication's manifest records its size
and SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from opensor.domain.codelists import CodeLists
from opensor.publication.csvset import write_csv_set
from opensor.publication.schema import READ_MODEL_NAME

__all__ = [
    "EXPORT_NAMES",
    "MEDIA_TYPES",
    "PERSONAL_DATA_FILES",
    "PERSONAL_DATA_SCOPE",
    "SORTREE_COMPLETE",
    "SORTREE_PUBLIC",
    "WITHHELD_REASON",
    "FileEntry",
    "SortreeOutcome",
    "WrittenFile",
    "describe_file",
    "write_exports",
    "write_lines",
]

SORTREE_PUBLIC = "sortree.xml"
"""The public SorTree file: owners marked as personal data are withheld with their subtrees."""
SORTREE_COMPLETE = "sortree-complete.xml"
"""The complete SorTree file, personal fields included (protected channel only)."""

PERSONAL_DATA_SCOPE = "lookup:personal-data"
"""The scope a caller needs for :data:`PERSONAL_DATA_FILES` (``opensor.lookup.access``'s
``PERSONAL_DATA``; the publisher names it in the manifest but does not import the lookup)."""
PERSONAL_DATA_FILES = frozenset({SORTREE_COMPLETE})
"""Files that hold personal fields: listed in the manifest, served only with
:data:`PERSONAL_DATA_SCOPE` (to everyone while the register has no protected channel)."""
WITHHELD_REASON = "personal-data-owner"
"""Why units are missing from ``sortree.xml``: their owner is marked as personal data and
SorTree requires its telephone number, a personal field."""

MEDIA_TYPES = {
    READ_MODEL_NAME: "application/vnd.sqlite3",
    SORTREE_PUBLIC: "application/xml",
    SORTREE_COMPLETE: "application/xml",
    "sor-csv.zip": "application/zip",
    "fhir-organization.ndjson": "application/fhir+ndjson",
    "fhir-location.ndjson": "application/fhir+ndjson",
    "fhir-endpoint.ndjson": "application/fhir+ndjson",
    "units.json": "application/x-ndjson",
}
"""Every file of a publication (except the manifest) with its media type."""

EXPORT_NAMES = tuple(name for name in MEDIA_TYPES if name != READ_MODEL_NAME)
"""The export files, in the order they are written."""


@dataclass(frozen=True)
class FileEntry:
    """One file of a publication as the manifest and the ``file`` table list it.

    ``notes`` are further keys of the file's manifest entry (e.g. ``withheld`` on
    ``sortree.xml``); readers that do not know them ignore them.
    """

    name: str
    media_type: str
    size: int
    sha256: str
    notes: Mapping[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """The manifest's JSON form."""
        return {
            "name": self.name,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            **self.notes,
        }


@dataclass(frozen=True)
class WrittenFile:
    """An export file just written, with the notes its manifest entry carries."""

    path: Path
    notes: Mapping[str, object] = field(default_factory=dict)


def describe_file(path: Path, notes: Mapping[str, object] | None = None) -> FileEntry:
    """Size and SHA-256 of a publication file (and the ``notes`` of its manifest entry)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return FileEntry(
        path.name,
        MEDIA_TYPES.get(path.name, "application/octet-stream"),
        size,
        digest.hexdigest(),
        dict(notes or {}),
    )


def write_lines(connection: sqlite3.Connection, query: str, path: Path) -> int:
    """Write the first column of every row of ``query`` to ``path``, one per line."""
    count = 0
    with path.open("wb") as handle:
        for (value,) in connection.execute(query):
            handle.write(value if isinstance(value, bytes) else str(value).encode())
            handle.write(b"\n")
            count += 1
        handle.flush()
        os.fsync(handle.fileno())
    return count


@dataclass(frozen=True)
class SortreeOutcome:
    """What the SorTree step did: whether it wrote both files, and what the public one lacks.

    ``withheld_owners`` owners marked as personal data, and ``withheld_units`` units in all
    (those owners and every unit below them), are in ``sortree-complete.xml`` only.
    """

    written: bool
    withheld_owners: int = 0
    withheld_units: int = 0
    detail: str = ""
    """Why nothing was written (``written`` false)."""

    def notes(self) -> dict[str, Mapping[str, object]]:
        """The manifest notes of the two SorTree files, by name."""
        return {
            SORTREE_PUBLIC: {
                "withheld": {
                    "reason": WITHHELD_REASON,
                    "owners": self.withheld_owners,
                    "units": self.withheld_units,
                    "complete_file": SORTREE_COMPLETE,
                }
            },
            SORTREE_COMPLETE: {"personal_data": True, "requires_scope": PERSONAL_DATA_SCOPE},
        }


SortreeWriter = Callable[[Path, Path, date, datetime], SortreeOutcome]
"""Writes the public and the complete SorTree XML of the register as of a date to two paths."""


def write_exports(
    connection: sqlite3.Connection,
    directory: Path,
    *,
    as_of: date,
    created_at: datetime,
    codes: CodeLists,
    sortree: SortreeWriter | None,
    progress: Callable[[str], None] | None = None,
) -> list[WrittenFile]:
    """Write every export file into ``directory`` from the read model; return them."""

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    written: list[WrittenFile] = []
    step("units.json")
    path = directory / "units.json"
    write_lines(connection, "SELECT doc FROM unit ORDER BY sor_id", path)
    written.append(WrittenFile(path))
    queries = {
        "fhir-organization.ndjson": "SELECT fhir_organization FROM unit ORDER BY sor_id",
        "fhir-location.ndjson": (
            "SELECT fhir_location FROM unit WHERE fhir_location IS NOT NULL ORDER BY sor_id"
        ),
        "fhir-endpoint.ndjson": "SELECT fhir_endpoint FROM location_number ORDER BY gln",
    }
    for name, query in queries.items():
        step(name)
        write_lines(connection, query, directory / name)
        written.append(WrittenFile(directory / name))
    step("sor-csv.zip")
    path = directory / "sor-csv.zip"
    write_csv_set(connection, path, codes=codes)
    written.append(WrittenFile(path))
    if sortree is not None:
        step(SORTREE_PUBLIC)
        outcome = sortree(
            directory / SORTREE_PUBLIC, directory / SORTREE_COMPLETE, as_of, created_at
        )
        if outcome.written:
            notes = outcome.notes()
            for name in (SORTREE_PUBLIC, SORTREE_COMPLETE):
                written.append(WrittenFile(directory / name, notes[name]))
    return written
