"""``sor mirror``: keep a local copy of the register in sync with a lookup service."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from opensor.cli.context import err_console, fail, progress_bar

__all__ = ["register"]


def _round(base_url: str, directory: Path, rebuild: bool) -> bool:
    from opensor.mirror import MirrorError, sync

    with ExitStack() as stack:
        bars: dict[str, Any] = {}

        def progress(what: str, done: int, total: int | None) -> None:
            if what not in bars:
                bars[what] = stack.enter_context(progress_bar(what, total=total))
            bars[what](done, total)

        try:
            report = sync(base_url, directory, rebuild=rebuild, progress=progress)
        except MirrorError as error:
            err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
            return False
    how = (
        f"built from publication {report.publication}'s full files"
        if report.built
        else f"{report.events:,} change events applied"
    )
    click.echo(
        f"mirror {directory}: {how}; publication {report.publication} as of {report.as_of}, "
        f"feed position {report.position:,}"
    )
    if report.built:
        click.echo(f"unit checksum {report.checksum} (units.json: {report.source_checksum})")
    if report.in_sync:
        click.echo("in sync: counts per level and active flag equal the publication's")
        return True
    for difference in report.differences:
        err_console.print(f"[bold red]mismatch:[/] {difference}", highlight=False)
    return False


@click.command("mirror")
@click.argument("base_url")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("mirror"),
    show_default=True,
    help="Directory of the mirror (mirror.sqlite and the downloads).",
)
@click.option("--once", is_flag=True, help="Sync once and exit (the default).")
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=None,
    help="Keep running, syncing every SECONDS.",
)
@click.option("--rebuild", is_flag=True, help="Start again from the latest full files.")
def mirror(
    base_url: str, directory: Path, once: bool, interval: float | None, rebuild: bool
) -> None:
    """Keep a local copy of the register at BASE_URL in sync, and prove it."""
    if once and interval is not None:
        fail("--once and --interval exclude each other")
    if interval is None:
        if not _round(base_url, directory, rebuild):
            raise SystemExit(1)
        return
    while True:
        _round(base_url, directory, rebuild)
        rebuild = False
        time.sleep(interval)


def register(group: click.Group) -> None:
    """Add ``sor mirror`` to the ``sor`` group."""
    group.add_command(mirror)
