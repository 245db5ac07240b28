"""What every ``sor`` verb needs: Django set up, the acting user, dates, progress and errors."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = [
    "DATE",
    "actor",
    "err_console",
    "fail",
    "progress_bar",
    "setup_django",
]

err_console = Console(stderr=True)


def setup_django(*, require_migrated: bool = True) -> None:
    """Configure Django for the register; refuse politely if ``sor init`` has not been run."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opensor.register.settings")
    import django

    django.setup()
    if require_migrated:
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as error:
            fail(f"cannot reach the register database: {error}")
        if pending:
            fail("the register database is not initialised or not up to date; run `sor init` first")


def actor() -> str:
    """Who is acting: ``SOR_ACTOR`` or the operating-system user."""
    return os.environ.get("SOR_ACTOR") or f"cli:{getpass.getuser()}"


def fail(message: str, code: int = 1) -> None:
    """Print an error to standard error and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)


class _DateType(click.ParamType):
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date in the form YYYY-MM-DD", param, ctx)


DATE = _DateType()


@contextmanager
def progress_bar(description: str, *, total: float | None = None) -> Iterator[Any]:
    """A progress bar on standard error (hidden when it is not a terminal)."""
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn() if total else MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task(description, total=total)

        def update(completed: float, new_total: float | None = None) -> None:
            progress.update(task, completed=completed, total=new_total or total)

        yield update
