"""The export files of a publication, written from its read model.

* ``units.json``: JSON lines, one unit document per line (as the read model's ``unit.doc``);
* ``fhir-organization.ndjson``, ``fhir-location.ndjson``, ``fhir-endpoint.ndjson``: FHIR R4
  resources, one per line (bulk-data NDJSON);
* ``sor-csv.zip``: the SOR2-style CSV set (see :mod:`opensor.publication.csvset` and
  ``docs/publication.md``);
* ``sortree.xml``: SorTree XML 1.0.0 as of the publication date, written by the register's own
  exporter (:func:`opensor.register.units.exporting.sortree_export`) in the same read snapshot.

Every file is written, flushed and fsynced before the publication's manifest records its size
and SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from opensor.domain.codelists import CodeLists
from opensor.publication.csvset import write_csv_set
from opensor.publication.schema import READ_MODEL_NAME

__all__ = [
    "EXPORT_NAMES",
    "MEDIA_TYPES",
    "FileEntry",
    "describe_file",
    "write_exports",
    "write_lines",
]

MEDIA_TYPES = {
    READ_MODEL_NAME: "application/vnd.sqlite3",
    "sortree.xml": "application/xml",
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
    """One file of a publication as the manifest and the ``file`` table list it."""

    name: str
    media_type: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, object]:
        """The manifest's JSON form."""
        return {
            "name": self.name,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
        }


def describe_file(path: Path) -> FileEntry:
    """Size and SHA-256 of a publication file."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return FileEntry(
        path.name, MEDIA_TYPES.get(path.name, "application/octet-stream"), size, digest.hexdigest()
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


SortreeWriter = Callable[[Path, date, datetime], bool]
"""Writes SorTree XML of the register as of a date to a path; ``False`` when nothing to write."""


def write_exports(
    connection: sqlite3.Connection,
    directory: Path,
    *,
    as_of: date,
    created_at: datetime,
    codes: CodeLists,
    sortree: SortreeWriter | None,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write every export file into ``directory`` from the read model; return their paths."""

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    written: list[Path] = []
    step("units.json")
    path = directory / "units.json"
    write_lines(connection, "SELECT doc FROM unit ORDER BY sor_id", path)
    written.append(path)
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
        written.append(directory / name)
    step("sor-csv.zip")
    path = directory / "sor-csv.zip"
    write_csv_set(connection, path, codes=codes)
    written.append(path)
    if sortree is not None:
        step("sortree.xml")
        path = directory / "sortree.xml"
        if sortree(path, as_of, created_at):
            written.append(path)
    return written
