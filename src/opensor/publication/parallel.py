"""SorTree XML written by a second process while the read model is being built.

The SorTree export reads the register, not the read model, so it can run beside the rest of the
build on another core. It writes both SorTree files of a publication, the public
``sortree.xml`` and ``sortree-complete.xml``, in one pass, and reports how many owners and units
the public one withholds. It must read the *same* snapshot of the register:

* on PostgreSQL the parent exports its snapshot (``pg_export_snapshot()``) and the child
  imports it (``SET TRANSACTION SNAPSHOT``): both read exactly the same data;
* on SQLite there is no such thing; the child opens its own read transaction and compares the
  newest change set it sees with the parent's. Every write to the register records a change
  set in the same transaction, so equal ids mean equal data; otherwise the child's file is
  discarded and the parent writes SorTree itself, in its own snapshot.

The export runs in the parent too when the parent reads inside an enclosing transaction (its
data may be uncommitted: tests) or from an in-memory database, which another process cannot
see. The child is a fresh interpreter (``spawn``): nothing of the parent's database
connections is shared.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.db import connection

from opensor.publication.exports import SortreeOutcome

__all__ = ["SortreeJob", "start_sortree", "write_sortree_files"]

logger = logging.getLogger(__name__)


def _shareable() -> bool:
    if connection.vendor == "postgresql":
        return True
    name = str(connection.settings_dict.get("NAME") or "")
    return bool(name) and ":memory:" not in name and "mode=memory" not in name


@dataclass
class SortreeJob:
    """A SorTree export running in a child process."""

    process: subprocess.Popen[bytes]
    path: Path
    complete_path: Path

    def result(self) -> SortreeOutcome | None:
        """Wait for the child: what it wrote (or that there was nothing), ``None``: redo here.

        Raises ``RuntimeError`` with the child's report when the export failed.
        """
        output, errors = self.process.communicate()
        lines = output.decode(errors="replace").strip().splitlines()
        try:
            message = json.loads(lines[-1]) if lines else {"outcome": "gone"}
        except ValueError:
            message = {"outcome": "gone"}
        outcome = message.get("outcome")
        if outcome == "written":
            return SortreeOutcome(
                True, int(message["withheld_owners"]), int(message["withheld_units"])
            )
        if outcome == "empty":
            return SortreeOutcome(False, detail=str(message.get("detail", "")))
        if outcome == "error":
            raise RuntimeError(f"SorTree export failed in the child process:\n{message['detail']}")
        if outcome != "stale":
            logger.warning(
                "the SorTree process ended without a result (exit status %s); writing SorTree "
                "in the publishing process instead. Its output: %s",
                self.process.returncode,
                errors.decode(errors="replace").strip()[-2000:] or "(none)",
            )
        self.path.unlink(missing_ok=True)
        self.complete_path.unlink(missing_ok=True)
        return None

    def stop(self) -> None:
        """End the child if it still runs (the build failed)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


def start_sortree(
    path: Path,
    complete_path: Path,
    *,
    as_of: date,
    created_at: datetime,
    change_set: int | None,
    snapshot: bool,
) -> SortreeJob | None:
    """Start writing both SorTree files in a child process, or ``None`` to write them here.

    ``path`` gets the public file, ``complete_path`` the complete one.

    Call inside :func:`opensor.publication.source.register_snapshot`; ``snapshot`` tells
    whether that opened the transaction itself (it did not inside an enclosing one).
    """
    if not snapshot or not _shareable():
        return None
    exported = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            exported = cursor.fetchone()[0]
    job = {
        "database": str(connection.settings_dict["NAME"]),
        "snapshot": exported,
        "change_set": change_set,
        "path": str(path),
        "complete_path": str(complete_path),
        "as_of": as_of.isoformat(),
        "created_at": created_at.isoformat(),
    }
    environment = dict(os.environ)
    environment.setdefault("DJANGO_SETTINGS_MODULE", "opensor.register.settings")
    process = subprocess.Popen(
        [sys.executable, "-m", "opensor.publication.parallel", json.dumps(job)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    return SortreeJob(process, path, complete_path)


def write_sortree_files(
    path: Path, complete_path: Path, *, as_of: date, created_at: datetime
) -> SortreeOutcome:
    """Write and fsync both SorTree files in this process (the child's work, or the parent's).

    ``path`` gets the public file, ``complete_path`` the complete one; a register with nothing
    to write gives an outcome that says why (``written`` false), and no files.
    """
    from opensor.publication.store import fsync_file
    from opensor.register.units.exporting import ExportEmpty, sortree_export

    try:
        result = sortree_export(
            path=path,
            as_of=as_of,
            created_at=created_at,
            public=True,
            complete_path=complete_path,
        )
    except ExportEmpty as error:
        return SortreeOutcome(False, detail=str(error))
    fsync_file(path)
    fsync_file(complete_path)
    return SortreeOutcome(True, len(result.withheld_owners), len(result.withheld_units))


def _exit_with_parent() -> None:
    """End this process when the publishing process is gone (killed: its build is dead)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _child(job: dict[str, Any], out: IO[str]) -> None:
    """Write SorTree as the parent asked (runs in the child process)."""
    _exit_with_parent()
    import django

    django.setup()
    from django.db import connection as child_connection

    child_connection.settings_dict["NAME"] = job["database"]
    from opensor.publication.source import latest_change_set_id, register_snapshot

    try:
        with register_snapshot(exported=job["snapshot"]):
            if job["snapshot"] is None and latest_change_set_id() != job["change_set"]:
                out.write(json.dumps({"outcome": "stale"}) + "\n")
                return
            outcome = write_sortree_files(
                Path(job["path"]),
                Path(job["complete_path"]),
                as_of=date.fromisoformat(job["as_of"]),
                created_at=datetime.fromisoformat(job["created_at"]),
            )
        if not outcome.written:
            out.write(json.dumps({"outcome": "empty", "detail": outcome.detail}) + "\n")
            return
        written = {
            "outcome": "written",
            "withheld_owners": outcome.withheld_owners,
            "withheld_units": outcome.withheld_units,
        }
        out.write(json.dumps(written) + "\n")
    except Exception:
        out.write(json.dumps({"outcome": "error", "detail": traceback.format_exc()}) + "\n")


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]), sys.stdout)
