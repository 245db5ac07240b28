"""Entry point of the ``sor`` command."""

from __future__ import annotations

import click

from opensor import __version__
from opensor.cli import (
    access,
    accounts,
    backup,
    codes,
    exchange,
    mirror,
    outbox,
    publish,
    serve,
    setup,
    units,
)

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sor")
def cli() -> None:
    """OpenSOR: the healthcare organisation register.

    Configuration comes from the environment: SOR_HOME (default ./var) holds the embedded
    database; SOR_DATABASE_URL selects another database (sqlite:///… or postgresql://…).
    """


for module in (
    setup,
    exchange,
    units,
    codes,
    publish,
    serve,
    mirror,
    accounts,
    access,
    outbox,
    backup,
):
    module.register(cli)


def main() -> None:
    """Run the ``sor`` command."""
    cli(prog_name="sor")
