"""``sor init``, ``sor demo`` and ``sor quickstart``: bring a register to life."""

from __future__ import annotations

import time
from datetime import date

import click

from opensor.cli.context import DATE, actor, err_console, fail, progress_bar, setup_django

__all__ = ["register"]


def _migrate() -> None:
    from django.conf import settings
    from django.core.management import call_command

    settings.SOR_HOME.mkdir(parents=True, exist_ok=True)

    call_command("migrate", interactive=False, verbosity=0)


def _database_label() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"SQLite {settings['NAME']}"
    return f"PostgreSQL {settings.get('HOST') or 'localhost'}/{settings['NAME']}"


@click.command("init")
def init_command() -> None:
    """Create the register database (or bring it up to date)."""
    setup_django(require_migrated=False)
    _migrate()
    err_console.print(f"register ready: {_database_label()}")


def _load_demo(scale: float, seed: int, reference_date: date) -> None:
    from opensor.domain.demo import demo_plan
    from opensor.register.units.demo_loading import RegisterNotEmpty, demo_load

    expected = demo_plan(scale).total_units
    started = time.perf_counter()
    with progress_bar("demo register", total=expected) as update:
        try:
            result = demo_load(
                scale=scale,
                seed=seed,
                reference_date=reference_date,
                actor=actor(),
                progress=update,
            )
        except RegisterNotEmpty as error:
            fail(str(error))
    err_console.print(
        f"demo register loaded in {time.perf_counter() - started:.1f} s: {result.units} units, "
        f"{result.unit_versions} versions, {result.location_numbers} location numbers "
        f"(change set {result.change_set_id})"
    )


@click.command("demo")
@click.option("--scale", default=1.0, show_default=True, help="1.0 ≈ 50,000 units.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same register.")
@click.option(
    "--reference-date",
    type=DATE,
    default=None,
    help="The 'today' the history is built around (default: today).",
)
def demo_command(scale: float, seed: int, reference_date: date | None) -> None:
    """Load a deterministic, realistic synthetic register into an empty register."""
    if scale <= 0:
        fail("--scale must be greater than 0")
    setup_django()
    _load_demo(scale, seed, reference_date or date.today())


TOUR = """\
[bold]OpenSOR is running on {database}.[/]

Served (once the server below has started) at http://127.0.0.1:{port}/:
  http://127.0.0.1:{port}/                            the public register: search, units, map
  http://127.0.0.1:{port}/units/{sor_id}
  http://127.0.0.1:{port}/api/v1/docs                 the REST API, browsable
  http://127.0.0.1:{port}/api/v1/units/{sor_id}
  http://127.0.0.1:{port}/fhir/Organization/{sor_id}
  http://127.0.0.1:{port}/api/v1/routing?sorId={sor_id}
  http://127.0.0.1:{port}/manage/                     the maintainers' web UI
  http://127.0.0.1:{port}/api/v1/register/openapi.json the write API

Try:
  sor unit {sor_id}
      the effective unit as JSON, with where each inherited value comes from
  sor unit {sor_id} --as-of 2015-01-01
      the same unit as it was on a past date
  sor check
      the integrity and data-quality report
  sor export sortree --out sor.xml
      the register as SorTree XML 1.0.0
  sor import sortree FILE
      import a SorTree XML 1.0.0 extract (all or nothing)
  sor user add NAME --role authority --password-prompt
      a maintainer who can log in at /manage/ (roles: authority, region:1084,
      municipality:0101, practice:<owner's SOR-ID>)
  sor token create NAME
      an API token for the write API (shown once)
  sor --help
      every command
"""


@click.command("quickstart")
@click.option("--scale", default=0.2, show_default=True, help="Size of the demo register.")
@click.option("--seed", default=1, show_default=True)
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve afterwards.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
def quickstart_command(ctx: click.Context, scale: float, seed: int, serve: bool, port: int) -> None:
    """Initialise, load the demo register if empty, publish it and serve it on one port."""
    setup_django(require_migrated=False)
    _migrate()
    from opensor.cli.publish import publish_once
    from opensor.cli.serve import serve_command
    from opensor.register.units.models import Unit, UnitVersion

    if not Unit.objects.exists():
        _load_demo(scale, seed, date.today())
    else:
        err_console.print("the register already holds units: demo not loaded again")
    publish_once(as_of=None, keep=7, root=None)
    sample = (
        UnitVersion.objects.valid_on(date.today())
        .filter(level="OE", parent__isnull=False, provider_number__isnull=False)
        .values_list("unit_id", flat=True)
        .first()
    ) or Unit.objects.values_list("sor_id", flat=True).first()
    err_console.print(TOUR.format(database=_database_label(), sor_id=sample, port=port))
    if serve:
        ctx.invoke(
            serve_command,
            host="127.0.0.1",
            port=port,
            workers=1,
            publications=None,
            server="granian",
            access_log=False,
        )


def register(group: click.Group) -> None:
    """Add this module's verbs to the ``sor`` command."""
    group.add_command(init_command)
    group.add_command(demo_command)
    group.add_command(quickstart_command)
