"""``sor backup`` and ``sor restore``: a consistent, checksummed copy of the whole register."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import click

from opensor.cli.context import err_console, fail, setup_django

__all__ = ["register"]


def _default_output() -> Path:
    from django.conf import settings

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.SOR_HOME) / "backups" / f"sor-backup-{stamp}.tar"


@click.command("backup")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write (default: $SOR_HOME/backups/sor-backup-<UTC time>.tar).",
)
def backup_command(output: Path | None) -> None:
    """Write a consistent backup of the register (safe while it is in use)."""
    setup_django()
    from opensor.register.backup import BackupError, backup

    started = time.perf_counter()
    target = output if output is not None else _default_output()
    try:
        result = backup(target)
    except (BackupError, OSError) as error:
        fail(f"backup failed, nothing written to {target}: {error}")
    rows = sum(result.counts.values())
    err_console.print(
        f"backup written in {time.perf_counter() - started:.1f} s: {result.path} "
        f"({len(result.counts)} tables, {rows:,} rows, SHA-256 {result.sha256})",
        highlight=False,
    )
    click.echo(str(result.path))


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace everything the register holds (otherwise only an empty register is restored).",
)
@click.option("--verify-only", is_flag=True, help="Only check the archive's checksums.")
def restore_command(archive: Path, force: bool, verify_only: bool) -> None:
    """Restore the register from a backup made by ``sor backup``, all or nothing."""
    setup_django(require_migrated=False)
    from django.conf import settings

    from opensor.register.backup import BackupError, restore, verify

    started = time.perf_counter()
    try:
        if verify_only:
            manifest = verify(archive)
            rows = sum(table["rows"] for table in manifest["tables"])
            err_console.print(
                f"backup intact: {len(manifest['tables'])} tables, {rows:,} rows, made "
                f"{manifest['created_at']} from {manifest['database']}",
                highlight=False,
            )
            return
        Path(settings.SOR_HOME).mkdir(parents=True, exist_ok=True)
        result = restore(archive, force=force)
    except BackupError as error:
        fail(f"nothing restored: {error}")
    rows = sum(result.counts.values())
    err_console.print(
        f"register restored in {time.perf_counter() - started:.1f} s from {archive}: "
        f"{len(result.counts)} tables, {rows:,} rows",
        highlight=False,
    )


def register(group: click.Group) -> None:
    """Add this module's verbs to the ``sor`` command."""
    group.add_command(backup_command)
    group.add_command(restore_command)
