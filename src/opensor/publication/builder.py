"""Building a publication from the register: ``publish()``.

One call reads the register in one consistent snapshot and writes a new, numbered publication:

1. under the store's lock, take the next number and create ``.building-NNNNNN-<pid>/``
   (and delete what earlier builds that died left behind);
2. write the read model: every unit and location-number version, every unit resolved as of
   the publication date with its document, FHIR resources and search entries
   (:mod:`opensor.publication.units`, :mod:`opensor.publication.numbers`), then the change
   feed (:mod:`opensor.publication.feed`);
3. write the export files from the read model, and SorTree XML with the register's exporter
   (the public ``sortree.xml`` and ``sortree-complete.xml``, in one pass);
4. record the files in the read model, index, analyse, compact and fsync it; write the
   manifest; rename the directory to ``NNNNNN`` and fsync the store; point ``current`` at it;
   prune old publications.

Until the rename nothing a reader looks at has changed; until ``current`` is switched the
previous publication is served. A failure at any step deletes the build directory and
re-raises; a kill leaves the directory behind, to be deleted by the next run.
"""

from __future__ import annotations

import logging
import shutil
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import close_old_connections, connection

from opensor.publication.common import BuildCounts, Progress
from opensor.publication.exports import (
    SORTREE_COMPLETE,
    SORTREE_PUBLIC,
    SortreeOutcome,
    describe_file,
    write_exports,
)
from opensor.publication.feed import FeedResult, append_feed
from opensor.publication.manifest import build_manifest, write_manifest
from opensor.publication.numbers import write_location_numbers
from opensor.publication.parallel import SortreeJob, start_sortree, write_sortree_files
from opensor.publication.readmodel import ReadModelWriter
from opensor.publication.schema import FILTER_TOKENS_META, READ_MODEL_NAME
from opensor.publication.source import (
    latest_change_set_id,
    location_versions_by_number,
    register_snapshot,
    unit_version_spans,
    unit_versions_of,
)
from opensor.publication.store import (
    Publication,
    PublicationStore,
    default_store_root,
)
from opensor.publication.units import UnitTables

__all__ = ["PUBLICATION_TIME_ZONE", "publish", "today"]

PUBLICATION_TIME_ZONE = ZoneInfo("Europe/Copenhagen")
"""The time zone whose calendar date is the default publication date."""

logger = logging.getLogger(__name__)


def today() -> date:
    """Today's date in Copenhagen (the default publication date)."""
    return datetime.now(PUBLICATION_TIME_ZONE).date()


def _sortree_result(
    job: SortreeJob | None, path: Path, complete_path: Path, as_of: date, created_at: datetime
) -> SortreeOutcome:
    """Collect both SorTree files from the child process, or write them here (:mod:`.parallel`)."""
    outcome = job.result() if job is not None else None
    if outcome is None:
        if job is not None:
            logger.info("the register changed while SorTree was written aside; writing it again")
        outcome = write_sortree_files(path, complete_path, as_of=as_of, created_at=created_at)
    if not outcome.written:
        logger.warning("%s and %s not written: %s", path.name, complete_path.name, outcome.detail)
    elif outcome.withheld_owners:
        logger.info(
            "%s withholds %d owners marked as personal data and %d units in all (they are in %s)",
            path.name,
            outcome.withheld_owners,
            outcome.withheld_units,
            complete_path.name,
        )
    return outcome


def _feed_summary(feed: FeedResult) -> dict[str, object]:
    return {
        "first_seq": feed.first_seq,
        "last_seq": feed.last_seq,
        "added": feed.added,
        "added_first_seq": feed.added_first_seq,
        "added_last_seq": feed.last_seq if feed.added else None,
        "added_by_kind": feed.added_by_kind,
    }


def publish(
    *,
    as_of: date | None = None,
    store: PublicationStore | None = None,
    keep: int = 7,
    progress: Progress | None = None,
) -> Publication:
    """Build a new publication of the register as of ``as_of`` and make it current.

    ``as_of`` defaults to today in Copenhagen; ``store`` to :func:`default_store_root`;
    ``keep`` complete publications are kept (never fewer than one, never deleting the current
    one); ``progress(step, done, total)`` is called as the build goes. Raises
    :class:`~opensor.publication.store.StoreBusy` when another process is publishing.
    """
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")
    store = store if store is not None else PublicationStore(default_store_root())
    day = as_of if as_of is not None else today()
    started = time.perf_counter()
    if not connection.in_atomic_block:
        # A long-running caller (the nightly runner) may hold a connection the database has
        # dropped since the last night: start with a fresh one.
        close_old_connections()
    with store.locked():
        number = store.next_number()
        building = store.begin(number)
        for path in store.remove_stale(keep=building):
            logger.warning("removed %s, left behind by a build that did not finish", path)
        try:
            _build(store, building, number=number, as_of=day, progress=progress, started=started)
            publication = store.complete(building, number)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        store.switch_current(number)
        for removed in store.prune(keep):
            logger.info("pruned publication %06d", removed)
    return publication


def _build(
    store: PublicationStore,
    building: Path,
    *,
    number: int,
    as_of: date,
    progress: Progress | None,
    started: float,
) -> None:
    from opensor.register.codes.selectors import code_lists
    from opensor.register.units.mapping import location_record_from_row, unit_record_from_row

    previous = store.latest()
    created = datetime.now(PUBLICATION_TIME_ZONE).replace(microsecond=0)
    created_at = created.isoformat()
    job: SortreeJob | None = None
    writer = ReadModelWriter(
        building / READ_MODEL_NAME,
        previous=previous.read_model_path if previous is not None else None,
    )
    try:
        with register_snapshot() as own_snapshot:
            codes = code_lists()
            change_set = latest_change_set_id()
            job = start_sortree(
                building / SORTREE_PUBLIC,
                building / SORTREE_COMPLETE,
                as_of=as_of,
                created_at=created,
                change_set=change_set,
                snapshot=own_snapshot,
            )
            counts = BuildCounts()
            numbers_on_day = write_location_numbers(
                writer,
                location_versions_by_number(),
                record_from_row=location_record_from_row,
                as_of=as_of,
                codes=codes,
                counts=counts,
            )
            units = UnitTables(
                writer,
                as_of=as_of,
                codes=codes,
                numbers_on_day=numbers_on_day,
                counts=counts,
                progress=progress,
            )
            units.plan(unit_version_spans())
            units.write(unit_versions_of, record_from_row=unit_record_from_row)
            del numbers_on_day, units
            if progress is not None:
                progress("change feed", 0, 1)
            feed = append_feed(
                writer.connection,
                has_previous=previous is not None,
                number=number,
                as_of=as_of,
                recorded_at=created_at,
                codes=codes,
            )
            written = write_exports(
                writer.connection,
                building,
                as_of=as_of,
                created_at=created,
                codes=codes,
                sortree=lambda path, complete, day, moment: _sortree_result(
                    job, path, complete, day, moment
                ),
                progress=(lambda name: progress(name, 0, 1)) if progress is not None else None,
            )
        entries = [describe_file(file.path, file.notes) for file in written]
        writer.add_many("file", [(e.name, e.media_type, e.size, e.sha256) for e in entries])
        writer.set_meta(
            {
                "number": number,
                "as_of": as_of.isoformat(),
                "created_at": created_at,
                "previous_number": previous.number if previous is not None else "",
                "feed_first_seq": feed.first_seq,
                "feed_last_seq": feed.last_seq,
                "events_added": feed.added,
                "register_change_set": change_set if change_set is not None else "",
                FILTER_TOKENS_META: 1,
            }
        )
        if progress is not None:
            progress("indexes", 0, 1)
        writer.finish()
    except BaseException:
        if job is not None:
            job.stop()
        writer.abort()
        raise
    entries.append(describe_file(building / READ_MODEL_NAME))
    manifest = build_manifest(
        number=number,
        created_at=created_at,
        as_of=as_of.isoformat(),
        previous_number=previous.number if previous is not None else None,
        register_change_set=change_set,
        counts=counts.as_manifest(),
        feed=_feed_summary(feed),
        files=entries,
        build_seconds=time.perf_counter() - started,
    )
    write_manifest(building, manifest)
