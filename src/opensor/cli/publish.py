"""``sor publish`` and ``sor publications``: build and list the register's publications."""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import date
from pathlib import Path
from typing import Any

import click

from opensor.cli.context import DATE, err_console, fail, setup_django

__all__ = ["register"]


def _store(root: Path | None) -> Any:
    from opensor.publication.store import PublicationStore, default_store_root

    return PublicationStore(root if root is not None else default_store_root())


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def _summary(manifest: dict[str, Any]) -> str:
    units = manifest["counts"]["units"]
    levels = ", ".join(
        f"{level} {units[level]['active']:,}/{units[level]['total']:,}"
        for level in ("IE", "SI", "OE")
    )
    numbers = manifest["counts"]["location_numbers"]
    feed = manifest["feed"]
    return (
        f"units (active/total): {levels}; location numbers {numbers['active']:,}/"
        f"{numbers['total']:,}; {feed['added']:,} change events added (feed up to seq "
        f"{feed['last_seq']:,})"
    )


def _reason(error: BaseException) -> str:
    text = str(error)
    if "disk is full" in text or getattr(error, "errno", None) in (28, 27):
        return f"the disk is full: {text}"
    return text


def publish_once(as_of: date | None, keep: int, root: Path | None) -> None:
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from opensor.publication.builder import publish
    from opensor.publication.store import StoreBusy

    started = time.perf_counter()
    columns = [
        TextColumn("[bold]{task.description:<26}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err_console, transient=False) as bar:
        task = bar.add_task("reading the register", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total or None)

        try:
            publication = publish(as_of=as_of, store=_store(root), keep=keep, progress=progress)
        except StoreBusy as error:
            fail(str(error))
        except (OSError, sqlite3.Error) as error:  # a full disk, a read-only store, ...
            current = _store(root).current()
            kept = f"publication {current.number} stays current" if current else "nothing changed"
            fail(f"publishing failed ({_reason(error)}); {kept}")
        bar.update(task, description="done", completed=1, total=1)
    manifest = publication.manifest
    err_console.print(
        f"publication {publication.number} (as of {manifest['as_of']}) built in "
        f"{time.perf_counter() - started:.1f} s at {publication.path}",
        highlight=False,
    )
    err_console.print(_summary(manifest), highlight=False)


@click.command("publish")
@click.option("--as-of", type=DATE, default=None, help="Publication date (default: today).")
@click.option("--keep", default=7, show_default=True, help="Complete publications to keep.")
@click.option(
    "--store",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Publication store (default: $SOR_PUBLICATIONS or $SOR_HOME/publications).",
)
@click.option("--nightly", is_flag=True, help="Keep running and publish every night.")
@click.option("--at", "at", default="02:00", show_default=True, help="Nightly run time (HH:MM).")
@click.option(
    "--timezone",
    "zone",
    default="Europe/Copenhagen",
    show_default=True,
    help="Time zone of --at.",
)
def publish_command(
    as_of: date | None, keep: int, root: Path | None, nightly: bool, at: str, zone: str
) -> None:
    """Build a new publication of the register and make it current.

    The publication (read model, export files, manifest) is built under a temporary name and
    switched atomically; the previous one serves until then. With --nightly the command keeps
    running and publishes every day at --at (a failed night is logged and retried the next).
    """
    if keep < 1:
        fail("--keep must be at least 1", code=2)
    setup_django()
    if not nightly:
        publish_once(as_of, keep, root)
        return
    if as_of is not None:
        fail("--as-of cannot be combined with --nightly (each night publishes its own date)", 2)
    from opensor.publication.nightly import NightlySchedule, run_nightly

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    publication_logger = logging.getLogger("opensor.publication")
    publication_logger.addHandler(handler)
    publication_logger.setLevel(logging.INFO)
    publication_logger.propagate = False
    try:
        schedule = NightlySchedule.parse(at, zone)
    except ValueError as error:
        fail(str(error), code=2)
    try:
        run_nightly(schedule, store=_store(root), keep=keep)
    except KeyboardInterrupt:
        err_console.print("nightly publishing stopped")


@click.command("publications")
@click.option(
    "--store",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Publication store (default: $SOR_PUBLICATIONS or $SOR_HOME/publications).",
)
def publications_command(root: Path | None) -> None:
    """List the publications in the store, newest first, marking the current one."""
    store = _store(root)
    current = store.current()
    publications = store.list()
    if not publications:
        err_console.print(f"no publications in {store.root}; run `sor publish`")
        return
    click.echo(
        f"{'':2}{'number':>6}  {'as of':10}  {'created':25}  {'units':>9}  {'active':>9}  "
        f"{'numbers':>8}  {'events':>7}  {'size':>9}"
    )
    for publication in publications:
        manifest = publication.manifest
        units = manifest["counts"]["units"]["all"]
        size = sum(entry["size"] for entry in manifest["files"])
        mark = "* " if current is not None and current.number == publication.number else "  "
        click.echo(
            f"{mark}{publication.number:>6}  {manifest['as_of']:10}  {manifest['created_at']:25}  "
            f"{units['total']:>9,}  {units['active']:>9,}  "
            f"{manifest['counts']['location_numbers']['total']:>8,}  "
            f"{manifest['feed']['added']:>7,}  {_size(size):>9}"
        )
    click.echo(f"(* = current; store {store.root})")


def register(group: click.Group) -> None:
    """Add this module's verbs to the ``sor`` command."""
    group.add_command(publish_command)
    group.add_command(publications_command)
