"""Importing a SorTree XML 1.0.0 file into the register.

The import is all-or-nothing: it runs in one transaction and any error (malformed XML, a schema
violation, a bad check digit, a duplicate SOR-ID or GLN) rolls everything back. Real-world
inconsistencies — unknown codes, SHAK codes not in the SHAK classification, a child outside its
parent's validity, a replacement pointing outside the file — are imported as they are and
reported as warnings. The file is streamed in batches, so memory stays flat however large it is.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.db import transaction
from django.utils import timezone

from opensor.domain.findings import (
    Finding,
    Severity,
    check_child_within_parent,
    check_unit_codes,
)
from opensor.domain.identifiers import SOR_NAMESPACE, SOR_PARTITION, sor_id_item
from opensor.domain.records import LocationNumberRecord, UnitRecord
from opensor.domain.sortree import SorTreeError, read_sortree
from opensor.register.audit.models import ChangeSet
from opensor.register.codes.selectors import code_lists, shak_code_set
from opensor.register.units.history import VersionRecorder
from opensor.register.units.models import Unit
from opensor.register.units.sequences import sor_item_reserve_past

__all__ = ["ImportRefused", "ImportResult", "sortree_import"]

BATCH_SIZE = 2000
Progress = Callable[[int, int], None]
"""Called with (bytes read, total bytes) as the import advances."""


@dataclass
class ImportResult:
    """What an import did (or, for a dry run or a refusal, would have done)."""

    source: str
    sha256: str
    units_read: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    change_set_id: int | None = None
    dry_run: bool = False

    @property
    def errors(self) -> list[Finding]:
        """The findings that refuse the file."""
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def refused(self) -> bool:
        """Whether any finding refuses the file."""
        return any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> list[Finding]:
        """The findings kept as they are and reported."""
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready report of the import."""
        return {
            "source": self.source,
            "sha256": self.sha256,
            "units_read": self.units_read,
            "counts": dict(self.counts),
            "change_set": self.change_set_id,
            "dry_run": self.dry_run,
            "refused": bool(self.errors),
            "errors": [f.as_dict() for f in self.errors],
            "warnings": [f.as_dict() for f in self.warnings],
        }


class ImportRefused(Exception):
    """The file cannot be trusted; nothing was written. ``result`` holds every error found."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        first = result.errors[0] if result.errors else None
        more = len(result.errors) - 1
        suffix = f" (and {more} more error{'s' if more != 1 else ''})" if more > 0 else ""
        super().__init__(f"import refused, nothing was written: {first}{suffix}")


class _Rollback(Exception):
    pass


class _HashingReader:
    """A binary file wrapper that hashes and counts what the parser reads."""

    def __init__(self, stream: BinaryIO, total: int, progress: Progress | None) -> None:
        self._stream = stream
        self._total = total
        self._progress = progress
        self.digest = hashlib.sha256()
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.digest.update(data)
        self.read_bytes += len(data)
        if self._progress is not None:
            self._progress(self.read_bytes, self._total)
        return data


@contextmanager
def _open(path: Path, progress: Progress | None) -> Iterator[_HashingReader]:
    with path.open("rb") as stream:
        yield _HashingReader(stream, os.fstat(stream.fileno()).st_size, progress)


class _Importer:
    """One run of an import: reads, checks and records batch by batch."""

    def __init__(self, result: ImportResult, recorder: VersionRecorder | None) -> None:
        self.result = result
        self.recorder = recorder
        self.codes = code_lists()
        self.shak_codes = shak_code_set()
        self.seen_glns: dict[str, int] = {}
        self.seen_ids: set[int] = set()
        self.references: dict[int, tuple[int, int]] = {}
        self.max_item = 0
        self.batch: list[tuple[UnitRecord, LocationNumberRecord | None]] = []
        self.failed = False
        # Most units share a handful of code combinations; each is checked once.
        self.known_good_codes: set[tuple[object, ...]] = set()

    def finding(self, severity: Severity, rule: str, message: str, **where: Any) -> None:
        self.result.findings.append(Finding(severity, rule, message, **where))
        if severity is Severity.ERROR:
            self.failed = True

    def take(
        self,
        unit: UnitRecord,
        location: LocationNumberRecord | None,
        parent: UnitRecord | None,
        line: int,
    ) -> None:
        self.result.units_read += 1
        self.seen_ids.add(unit.sor_id)
        if str(unit.sor_id)[-10:-1] == SOR_NAMESPACE + SOR_PARTITION:
            self.max_item = max(self.max_item, sor_id_item(unit.sor_id))
        if parent is not None and (found := check_child_within_parent(unit, parent, line=line)):
            self.result.findings.append(found)
        codes_key = (unit.owner_type, unit.institution_type, unit.unit_type, unit.specialities)
        if codes_key not in self.known_good_codes:
            found_codes = list(check_unit_codes(unit, self.codes, line=line))
            if found_codes:
                self.result.findings.extend(found_codes)
            else:
                self.known_good_codes.add(codes_key)
        if unit.shak and self.shak_codes and unit.shak not in self.shak_codes:
            self.finding(
                Severity.WARNING,
                "unknown-shak-code",
                f"SHAK code {unit.shak} is not in the SHAK classification",
                sor_id=unit.sor_id,
                line=line,
            )
        for other in (*unit.replaces, *unit.replaced_by):
            self.references.setdefault(other, (unit.sor_id, line))
        if location is not None:
            first_line = self.seen_glns.setdefault(location.gln, line)
            if first_line != line:
                self.finding(
                    Severity.ERROR,
                    "duplicate-gln",
                    f"location number {location.gln} is already owned by a unit on line "
                    f"{first_line}; a GLN belongs to one unit at a time",
                    sor_id=unit.sor_id,
                    gln=location.gln,
                    line=line,
                )
        self.batch.append((unit, location))
        if len(self.batch) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.recorder is not None and not self.failed and self.batch:
            self.recorder.record_units(self.batch)
        self.batch.clear()

    def finish(self) -> None:
        self.flush()
        missing = set(self.references) - self.seen_ids
        known = set()
        ids = list(missing)
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            known.update(Unit.objects.filter(sor_id__in=chunk).values_list("sor_id", flat=True))
        for other in sorted(missing - known):
            sor_id, line = self.references[other]
            self.finding(
                Severity.WARNING,
                "replacement-outside-file",
                f"replaces or is replaced by SOR-ID {other}, which is neither in the file "
                "nor in the register",
                sor_id=sor_id,
                line=line,
            )


def sortree_import(
    *,
    path: Path,
    actor: str,
    dry_run: bool = False,
    collect_errors: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a SorTree XML file; the register changes completely or not at all.

    Re-importing the same file changes nothing; a later snapshot records its differences as
    new versions. ``collect_errors`` goes on after an error to report every problem in the
    file (still writing nothing); otherwise the first error stops the import. Raises
    :class:`ImportRefused` when the file has errors.
    """
    result = ImportResult(source=str(path), sha256="", dry_run=dry_run)
    try:
        with transaction.atomic():
            change_set = ChangeSet.objects.create(
                kind=ChangeSet.Kind.IMPORT, actor=actor, source=f"SorTree {path.name}"
            )
            recorder = VersionRecorder(change_set, timezone.now())
            importer = _Importer(result, recorder)
            with _open(path, progress) as stream:
                _read_all(stream, importer, collect_errors)
                result.sha256 = stream.digest.hexdigest()
            if not result.errors:
                importer.finish()
            result.counts = dict(recorder.counts)
            if result.errors or dry_run:
                raise _Rollback
            if importer.max_item:
                sor_item_reserve_past(importer.max_item)
            result.change_set_id = change_set.pk
            change_set.source_sha256 = result.sha256
            change_set.summary = {
                "units_read": result.units_read,
                **result.counts,
                "warnings": len(result.warnings),
            }
            change_set.finished_at = timezone.now()
            change_set.save(update_fields=["source_sha256", "summary", "finished_at"])
    except _Rollback:
        pass
    if result.errors:
        raise ImportRefused(result)
    return result


def _read_all(stream: _HashingReader, importer: _Importer, collect_errors: bool) -> None:
    def on_error(error: SorTreeError) -> None:
        importer.finding(
            Severity.ERROR, "invalid-file", error.message, sor_id=error.sor_id, line=error.line
        )

    try:
        options = {"on_error": on_error} if collect_errors else {}
        reader = read_sortree(stream, **options)  # type: ignore[arg-type]
        for item in reader:
            importer.take(item.unit, item.location_number, item.parent, item.line)
            if importer.failed and not collect_errors:
                return
    except SorTreeError as error:
        on_error(error)
