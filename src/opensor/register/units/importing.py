"""Importing a SorTree XML 1.0.0 file into the register.

The import is all-or-nothing: it runs in one transaction and any error (malformed XML, a schema
violation, a bad check digit, a duplicate SOR-ID or GLN) rolls everything back. Real-world
inconsistencies — unknown codes, SHAK codes not in the SHAK classification, a child outside its
parent's validity, a replacement pointing outside the file — are imported as they are and
reported as warnings. The file is streamed in batches, so memory stays flat however large it is.

Reading, checking and turning units into rows needs no database
(:func:`~opensor.register.units.mapping.prepare_sortree_rows`); for a large file it runs in a
helper process (:mod:`opensor.domain.sortree.worker`) while this process writes the rows, so
that two cores share the work. Both ways give the same result; the transaction, and so the
all-or-nothing, stays here.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.db import transaction
from django.utils import timezone

from opensor.domain.findings import Finding, Severity
from opensor.domain.sortree.checks import code_lists_state
from opensor.domain.sortree.worker import iterate_in_worker
from opensor.register.audit.models import ChangeSet
from opensor.register.codes.selectors import code_lists, shak_code_set
from opensor.register.units.history import VersionRecorder
from opensor.register.units.mapping import (
    PreparedChunk,
    PreparedEnd,
    PreparedUnit,
    prepare_sortree_rows,
)
from opensor.register.units.models import LocationNumber, Unit
from opensor.register.units.sequences import sor_item_reserve_past

__all__ = ["ImportRefused", "ImportResult", "sortree_import"]

BATCH_SIZE = 2000
"""Units recorded per batch (the rows of one batch are written together)."""
CHUNK_SIZE = 500
"""Units per chunk handed over by the reading side (divides BATCH_SIZE)."""
HELPER_MIN_BYTES = 4 * 2**20
"""Files at least this large are read in a helper process when there is a second core (and
``SOR_IMPORT_HELPER`` is not ``0``)."""
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


class _Importer:
    """One run of an import: takes the prepared chunks and records them batch by batch."""

    def __init__(self, result: ImportResult, recorder: VersionRecorder, *, new_only: bool) -> None:
        self.result = result
        self.recorder = recorder
        self.new_only = new_only
        self.batch: list[PreparedUnit] = []
        self.failed = False

    def take(self, chunk: PreparedChunk) -> None:
        if chunk.findings:
            self.result.findings.extend(chunk.findings)
            if any(f.severity is Severity.ERROR for f in chunk.findings):
                self.failed = True
                self.batch.clear()
        if not self.failed and chunk.rows:
            self.batch.extend(chunk.rows)
            if len(self.batch) >= BATCH_SIZE:
                self.flush()

    def flush(self) -> None:
        if not self.failed and self.batch:
            self.recorder.record_rows(self.batch, new_only=self.new_only)
        self.batch.clear()

    def finish(self, end: PreparedEnd) -> None:
        self.flush()
        outside = end.references_outside
        known = set()
        ids = list(outside)
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            known.update(Unit.objects.filter(sor_id__in=chunk).values_list("sor_id", flat=True))
        for other in sorted(set(outside) - known):
            sor_id, line = outside[other]
            self.result.findings.append(
                Finding(
                    Severity.WARNING,
                    "replacement-outside-file",
                    f"replaces or is replaced by SOR-ID {other}, which is neither in the file "
                    "nor in the register",
                    sor_id=sor_id,
                    line=line,
                )
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
        with _fewer_collections(), transaction.atomic():
            change_set = ChangeSet.objects.create(
                kind=ChangeSet.Kind.IMPORT, actor=actor, source=f"SorTree {path.name}"
            )
            recorder = VersionRecorder(change_set, timezone.now())
            # Into an empty register every unit is new: no need to look up what it holds.
            new_only = not Unit.objects.exists() and not LocationNumber.objects.exists()
            importer = _Importer(result, recorder, new_only=new_only)
            with path.open("rb") as stream:
                total = os.fstat(stream.fileno()).st_size
                with contextlib.closing(_prepared(stream, total, collect_errors)) as items:
                    end = _take_all(items, importer, progress, total)
            result.units_read = end.units_read
            result.sha256 = end.sha256
            if not result.errors:
                importer.finish(end)
            result.counts = dict(recorder.counts)
            if result.errors or dry_run:
                raise _Rollback
            if end.max_item:
                sor_item_reserve_past(end.max_item)
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


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect the youngest generation less often while importing.

    An import makes and drops some hundred thousand small containers; with the default
    threshold of 700 the collections cost it several per cent.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 20_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _prepared(
    stream: BinaryIO, total: int, collect_errors: bool
) -> Generator[PreparedChunk | PreparedEnd, None, None]:
    """The file read, checked and made into rows: in a helper process when that pays."""
    codes, shak_codes = code_lists(), shak_code_set()
    options: dict[str, Any] = {"collect_errors": collect_errors, "chunk_size": CHUNK_SIZE}
    if total >= HELPER_MIN_BYTES and _helper_possible():
        fd = stream.fileno()
        target = f"{prepare_sortree_rows.__module__}:{prepare_sortree_rows.__name__}"
        args = (fd, code_lists_state(codes), shak_codes)
        return iterate_in_worker(target, args, options, pass_fds=(fd,))
    return prepare_sortree_rows(stream, codes, shak_codes, **options)


def _helper_possible() -> bool:
    """Whether a helper process can read: a second core, POSIX, a Python to start.

    ``SOR_IMPORT_HELPER=0`` in the environment keeps the import in one process (e.g. under an
    application server whose ``sys.executable`` is not a Python interpreter).
    """
    if os.name != "posix" or not sys.executable or os.environ.get("SOR_IMPORT_HELPER") == "0":
        return False  # pragma: no cover - POSIX in the tests
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) > 1
    return (os.cpu_count() or 1) > 1  # pragma: no cover - not on Linux


def _take_all(
    items: Iterator[PreparedChunk | PreparedEnd],
    importer: _Importer,
    progress: Progress | None,
    total: int,
) -> PreparedEnd:
    for item in items:
        if isinstance(item, PreparedEnd):
            if progress is not None:
                progress(item.bytes_read, total)
            return item
        importer.take(item)
        if progress is not None:
            progress(item.bytes_read, total)
    raise AssertionError("the prepared file ended without its summary")  # pragma: no cover
