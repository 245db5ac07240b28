"""``sor import`` and ``sor export``: SorTree XML and the SHAK complete file."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import click

from opensor.cli.context import DATE, actor, err_console, fail, progress_bar, setup_django

__all__ = ["register"]

_MAX_SHOWN = 20


@click.group("import")
def import_group() -> None:
    """Import data into the register."""


def _write_report(path: Path | None, data: dict[str, object]) -> None:
    if path is not None:
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        err_console.print(f"report written to {path}")


@import_group.command("sortree")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every error and warning (found in one pass) to this JSON file.",
)
@click.option("--dry-run", is_flag=True, help="Check and count, but write nothing.")
def import_sortree(file: Path, report: Path | None, dry_run: bool) -> None:
    """Import a SorTree XML 1.0.0 file (all or nothing)."""
    setup_django()
    from opensor.register.units.importing import ImportRefused, sortree_import

    started = time.perf_counter()
    try:
        with progress_bar(f"import {file.name}", total=file.stat().st_size) as update:
            result = sortree_import(
                path=file,
                actor=actor(),
                dry_run=dry_run,
                collect_errors=report is not None,
                progress=lambda done, total: update(done),
            )
    except ImportRefused as refused:
        _write_report(report, refused.result.as_dict())
        for finding in refused.result.errors[:_MAX_SHOWN]:
            err_console.print(str(finding), highlight=False, markup=False)
        fail(str(refused))
    elapsed = time.perf_counter() - started
    for finding in result.warnings[:_MAX_SHOWN]:
        err_console.print(str(finding), highlight=False, markup=False)
    if len(result.warnings) > _MAX_SHOWN:
        err_console.print(f"… and {len(result.warnings) - _MAX_SHOWN} more warnings (--report)")
    _write_report(report, result.as_dict())
    counts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sorted(result.counts.items()))
    verb = "checked (dry run, nothing written)" if dry_run else "imported"
    err_console.print(
        f"{verb} {result.units_read} units in {elapsed:.1f} s "
        f"({result.units_read / max(elapsed, 1e-9):,.0f} units/s); {counts}; "
        f"{len(result.warnings)} warnings"
    )


@import_group.command("shak")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_shak(file: Path) -> None:
    """Load a SHAK complete file (latin-1, fixed width; .gz accepted) as the SHAK code list."""
    setup_django()
    from opensor.domain.errors import DomainError
    from opensor.register.codes.services import shak_import

    try:
        result = shak_import(path=file, actor=actor())
    except DomainError as error:
        fail(f"{file}: {error}; nothing was changed")
    err_console.print(
        f"SHAK classification loaded: {result.codes} codes ({result.hospitals} hospitals), "
        f"{result.periods} validity periods"
    )


@click.group("export")
def export_group() -> None:
    """Export data from the register."""


@export_group.command("sortree")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", type=DATE, default=None, help="The date to export (default: today).")
@click.option(
    "--public",
    is_flag=True,
    help=(
        "Leave out the personal fields of sole proprietorships, and owners that SorTree cannot "
        "write without one, as the published sortree.xml does."
    ),
)
def export_sortree(out: Path, as_of: date | None, public: bool) -> None:
    """Write the register as of a date as SorTree XML 1.0.0."""
    setup_django()
    from opensor.register.units.exporting import ExportEmpty, sortree_export

    day = as_of or date.today()
    started = time.perf_counter()
    try:
        with progress_bar(f"export {out.name}") as update:
            result = sortree_export(
                path=out, as_of=day, progress=lambda d, t: update(d, t), public=public
            )
    except ExportEmpty as error:
        fail(f"{error}; nothing was written")
    for finding in result.findings[:_MAX_SHOWN]:
        err_console.print(str(finding), highlight=False, markup=False)
    if len(result.findings) > _MAX_SHOWN:
        err_console.print(f"… and {len(result.findings) - _MAX_SHOWN} more")
    owners = result.withheld_owners
    if owners:
        shown = ", ".join(str(sor_id) for sor_id in owners[:_MAX_SHOWN])
        more = f" … and {len(owners) - _MAX_SHOWN} more" if len(owners) > _MAX_SHOWN else ""
        err_console.print(
            f"withheld {len(owners)} owners marked as personal data (SorTree requires their "
            f"telephone number, a personal field) and every unit below them, "
            f"{len(result.withheld_units)} units in all; the owners' SOR-IDs: {shown}{more}",
            highlight=False,
            markup=False,
        )
    err_console.print(
        f"exported {result.units} units and {result.location_numbers} location numbers as of "
        f"{day} to {out} in {time.perf_counter() - started:.1f} s"
        + (f"; {len(result.findings)} units not placed" if result.findings else "")
        + (f"; {len(result.withheld_units)} units withheld" if result.withheld_units else "")
    )


def register(group: click.Group) -> None:
    """Add this module's verbs to the ``sor`` command."""
    group.add_command(import_group)
    group.add_command(export_group)
