"""``sor unit`` and ``sor check``: read the register."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from opensor.cli.context import DATE, err_console, fail, setup_django

__all__ = ["register"]


@click.command("unit")
@click.argument("sor_id")
@click.option("--as-of", type=DATE, default=None, help="The date to read (default: today).")
def unit_command(sor_id: str, as_of: date | None) -> None:
    """Print the effective unit as JSON: every field, the ancestry, and where values come from."""
    from opensor.domain.errors import InvalidIdentifier
    from opensor.domain.identifiers import validate_sor_id

    try:
        number = validate_sor_id(sor_id)
    except InvalidIdentifier as error:
        fail(str(error), code=2)
    setup_django()
    from opensor.register.units.selectors import UnitNotFound, unit_view_on

    try:
        view = unit_view_on(number, as_of or date.today())
    except UnitNotFound as error:
        fail(str(error))
    json.dump(view.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


@click.command("check")
@click.option("--as-of", type=DATE, default=None, help="Date for the tree checks (default today).")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--strict", is_flag=True, help="Exit non-zero on warnings too.")
@click.option("--limit", default=50, show_default=True, help="Findings listed per rule.")
def check_command(as_of: date | None, as_json: bool, strict: bool, limit: int) -> None:
    """Check the register's integrity and data quality."""
    setup_django()
    from opensor.register.units.checking import register_check

    report = register_check(
        as_of=as_of or date.today(),
        progress=lambda step: err_console.print(f"checking {step} …"),
    )
    if as_json:
        json.dump(report.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        shown: dict[str, int] = {}
        for finding in report.findings:
            key = f"{finding.severity}:{finding.rule}"
            shown[key] = shown.get(key, 0) + 1
            if shown[key] <= limit:
                click.echo(str(finding))
        for key, count in sorted(report.counts_by_rule().items()):
            click.echo(f"{key}: {count}")
        click.echo(
            f"{report.units} units, {report.versions} versions: "
            f"{len(report.errors)} errors, {len(report.warnings)} warnings"
        )
    if report.errors or (strict and report.warnings):
        sys.exit(1)


def register(group: click.Group) -> None:
    """Add this module's verbs to the ``sor`` command."""
    group.add_command(unit_command)
    group.add_command(check_command)
