"""The manifest of a publication: what it is, what it holds, and the checksum of every file.

``manifest.json`` is written last, after every other file is complete and fsynced; a mirror or
a download client checks each file against its ``size`` and ``sha256``. The same file rows
(except the read model itself, which cannot hold its own checksum) are in the read model's
``file`` table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from opensor.publication.exports import FileEntry
from opensor.publication.schema import MANIFEST_NAME, SCHEMA_VERSION

__all__ = ["FORMAT", "build_manifest", "write_manifest"]

FORMAT = "opensor-publication/1"
"""The manifest's format name and version."""


def build_manifest(
    *,
    number: int,
    created_at: str,
    as_of: str,
    previous_number: int | None,
    register_change_set: int | None,
    counts: dict[str, Any],
    feed: dict[str, Any],
    files: Iterable[FileEntry],
    build_seconds: float | None = None,
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict (see ``docs/publication.md`` for every key)."""
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "number": number,
        "created_at": created_at,
        "as_of": as_of,
        "previous_number": previous_number,
        "register_change_set": register_change_set,
        "counts": counts,
        "feed": feed,
        "files": [entry.as_dict() for entry in sorted(files, key=lambda e: e.name)],
    }
    if build_seconds is not None:
        manifest["build_seconds"] = round(build_seconds, 3)
    return manifest


def write_manifest(directory: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` into ``directory`` and fsync it."""
    path = directory / MANIFEST_NAME
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n"
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return path
