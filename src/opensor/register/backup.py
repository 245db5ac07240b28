"""Backup and restore of the whole register, portable between SQLite and PostgreSQL.

A backup is one ``.tar`` archive:

``manifest.json``
    format, OpenSOR version, database it came from, the applied migrations of every app, and for
    every table (in load order) its model, columns, number of rows, member name and SHA-256;
``tables/<table>.jsonl``
    one JSON array per row, the columns in the manifest's order, ordered by primary key. Dates and
    times are ISO 8601 (times in UTC); JSON columns are written as JSON with sorted keys, so the
    same register gives byte-identical members on SQLite and PostgreSQL.

:func:`backup` reads every table in **one snapshot** (PostgreSQL ``REPEATABLE READ, READ
ONLY``; on SQLite a deferred read transaction, which in WAL mode sees one snapshot and does not
block writers), so the register can be backed up while it is in use. The archive is written
under a temporary name, fsynced and renamed, so a crash never leaves a truncated backup under
the final name.

:func:`restore` first checks every member against the manifest's SHA-256 and row count, then
brings the database's schema to the backup's migration state, loads every table in one
transaction (all or nothing), resets the id sequences and migrates forward to the installed
version. It refuses a register that holds data unless ``force`` is given, in which case the
existing rows are deleted in the same transaction.

What is not kept: Django's content types and permissions (recreated by ``migrate``; OpenSOR's
permissions are role grants, which are kept) and sessions (signed cookies; no rows).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import hashlib
import io
import json
import os
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

__all__ = [
    "BACKUP_FORMAT",
    "BackupError",
    "BackupResult",
    "RegisterNotEmpty",
    "backup",
    "backup_models",
    "read_manifest",
    "restore",
    "verify",
]

BACKUP_FORMAT = "opensor-backup/1"
MANIFEST_MEMBER = "manifest.json"
_EXCLUDED = {
    "auth.Permission",
    "auth.Group_permissions",
    "auth.User_user_permissions",
    "contenttypes.ContentType",
    "sessions.Session",
}
_BATCH = 2000

Progress = Callable[[str, int], None]


class BackupError(Exception):
    """A backup cannot be written or restored; the message says why."""


class RegisterNotEmpty(BackupError):
    """``restore`` was asked to load into a register that already holds data."""


@dataclass(frozen=True)
class BackupResult:
    """What a backup or restore did: the archive, its tables' row counts, its SHA-256."""

    path: Path
    counts: dict[str, int]
    sha256: str


def backup_models() -> list[type[models.Model]]:
    """Every model whose rows a backup holds, in load order (a row's references first)."""
    chosen = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label not in _EXCLUDED and model._meta.managed
    ]
    by_label = {model._meta.label: model for model in chosen}
    ordered: list[type[models.Model]] = []
    seen: set[str] = set()

    def visit(model: type[models.Model]) -> None:
        label = model._meta.label
        if label in seen:
            return
        seen.add(label)
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target is not None and target is not model:
                assert not isinstance(target, str)
                if target._meta.label in by_label:
                    visit(by_label[target._meta.label])
        ordered.append(model)

    for model in sorted(chosen, key=lambda m: m._meta.db_table):
        visit(model)
    return ordered


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot write {type(value).__name__} to a backup")


def _line(values: Any) -> bytes:
    text = json.dumps(
        values, default=_plain, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return text.encode("utf-8") + b"\n"


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """One read transaction that sees one consistent snapshot of the database."""
    if connection.in_atomic_block:
        yield  # inside a caller's transaction (a test): its view is the snapshot
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")  # the settings' IMMEDIATE would block every writer
        try:
            cursor.execute("SELECT count(*) FROM django_migrations")  # take the snapshot now
            yield
        finally:
            cursor.execute("ROLLBACK")


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def backup(output: Path, *, progress: Progress | None = None) -> BackupResult:
    """Write a consistent backup of the whole register to ``output`` (see the module docs)."""
    from opensor import __version__

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.tmp-{os.getpid()}")
    tables: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="sor-backup-") as work, _snapshot():
            migrations = _applied_migrations()
            members: list[tuple[str, Path]] = []
            for model in backup_models():
                meta = model._meta
                columns = _columns(model)
                member = f"tables/{meta.db_table}.jsonl"
                path = Path(work) / f"{meta.db_table}.jsonl"
                digest = hashlib.sha256()
                rows = 0
                query = model._base_manager.order_by("pk").values_list(
                    *[field.attname for field in columns]
                )
                with path.open("wb") as handle:
                    for values in query.iterator(chunk_size=_BATCH):
                        line = _line(list(values))
                        digest.update(line)
                        handle.write(line)
                        rows += 1
                tables.append(
                    {
                        "model": meta.label,
                        "table": meta.db_table,
                        "columns": [field.column for field in columns],
                        "rows": rows,
                        "member": member,
                        "sha256": digest.hexdigest(),
                    }
                )
                counts[meta.db_table] = rows
                members.append((member, path))
                if progress is not None:
                    progress(meta.db_table, rows)
            manifest = {
                "format": BACKUP_FORMAT,
                "opensor_version": __version__,
                "created_at": timezone.now().astimezone(dt.UTC).isoformat(),
                "database": connection.vendor,
                "migrations": migrations,
                "tables": tables,
            }
            with tarfile.open(temporary, "w") as archive:
                data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST_MEMBER)
                info.size = len(data)
                info.mtime = int(timezone.now().timestamp())
                archive.addfile(info, io.BytesIO(data))
                for member, path in members:
                    archive.add(path, arcname=member, recursive=False)
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, output)
        with contextlib.suppress(OSError):
            fd = os.open(output.parent, os.O_RDONLY | os.O_DIRECTORY)
            os.fsync(fd)
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return BackupResult(path=output, counts=counts, sha256=_file_sha256(output))


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    """The manifest of an open backup archive; :class:`BackupError` when it is not a backup."""
    try:
        member = archive.extractfile(MANIFEST_MEMBER)
    except KeyError:
        raise BackupError("not an OpenSOR backup: the archive has no manifest.json") from None
    if member is None:
        raise BackupError("not an OpenSOR backup: manifest.json is not a file")
    try:
        manifest = json.loads(member.read())
    except ValueError as error:
        raise BackupError(f"the backup's manifest.json is not valid JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise BackupError(
            f"not an OpenSOR backup in format {BACKUP_FORMAT} "
            f"(found {manifest.get('format') if isinstance(manifest, dict) else None!r})"
        )
    return manifest


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:*")
    except FileNotFoundError:
        raise BackupError(f"no such backup file: {path}") from None
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{path} is not a readable backup archive: {error}") from None


def _rows(archive: tarfile.TarFile, table: dict[str, Any]) -> Iterator[list[Any]]:
    handle = archive.extractfile(table["member"])
    if handle is None:
        raise BackupError(f"the backup has no member {table['member']}")
    for line in handle:
        yield json.loads(line)


def verify(path: Path) -> dict[str, Any]:
    """Check every member of the backup against the manifest; return the manifest.

    Raises :class:`BackupError` naming the first member whose SHA-256 or row count differs.
    """
    with _open(Path(path)) as archive:
        manifest = read_manifest(archive)
        for table in manifest["tables"]:
            try:
                handle = archive.extractfile(table["member"])
            except KeyError:
                handle = None
            if handle is None:
                raise BackupError(f"the backup is incomplete: {table['member']} is missing")
            digest = hashlib.sha256()
            rows = 0
            try:
                for line in handle:
                    digest.update(line)
                    rows += 1
            except (tarfile.TarError, OSError, EOFError) as error:
                raise BackupError(f"{table['member']} cannot be read: {error}") from None
            if digest.hexdigest() != table["sha256"] or rows != table["rows"]:
                raise BackupError(
                    f"{table['member']} is damaged: SHA-256 or row count differs from the "
                    f"manifest ({rows} rows, expected {table['rows']})"
                )
    return manifest


def _register_rows() -> dict[str, int]:
    return {
        model._meta.db_table: count
        for model in _present_models()
        if (count := model._base_manager.count())
    }


def _migrate_to(state: dict[str, list[str]]) -> None:
    """Bring the schema to the backup's migration state (each app to its latest applied)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection)
    known = set(loader.disk_migrations)
    for app, names in state.items():
        for name in names:
            if (app, name) not in known:
                raise BackupError(
                    f"the backup was made by a newer OpenSOR: migration {app}.{name} is unknown "
                    "here; restore it with that version or a later one"
                )
    for app, names in state.items():
        # the app's latest applied migration: the one whose plan includes all the others
        target = max(names, key=lambda name: len(loader.graph.forwards_plan((app, name))))
        call_command("migrate", app, target, interactive=False, verbosity=0)


def _present_models() -> list[type[models.Model]]:
    tables = set(connection.introspection.table_names())
    return [model for model in backup_models() if model._meta.db_table in tables]


def restore(path: Path, *, force: bool = False, progress: Progress | None = None) -> BackupResult:
    """Load the backup at ``path`` into this database, all or nothing (see the module docs)."""
    path = Path(path)
    manifest = verify(path)
    _migrate_to(manifest["migrations"])
    held = _register_rows()
    if held and not force:
        listed = ", ".join(f"{table} {count}" for table, count in sorted(held.items()))
        raise RegisterNotEmpty(
            f"the register already holds data ({listed}); restore into an empty database, or "
            "give --force to replace everything it holds"
        )
    by_label = {model._meta.label: model for model in backup_models()}
    counts: dict[str, int] = {}
    with _open(path) as archive, transaction.atomic():
        with connection.cursor() as cursor:
            for model in reversed(_present_models()):  # referring rows first
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
        loaded: list[type[models.Model]] = []
        for table in manifest["tables"]:
            model = by_label.get(table["model"])
            if model is None:
                raise BackupError(f"the backup holds {table['model']}, unknown to this OpenSOR")
            fields = {field.column: field for field in _columns(model)}
            missing = [column for column in table["columns"] if column not in fields]
            if missing:
                raise BackupError(f"{table['table']}: columns {missing} are unknown here")
            chosen = [fields[column] for column in table["columns"]]
            counts[table["table"]] = _load(model, chosen, _rows(archive, table))
            loaded.append(model)
            if progress is not None:
                progress(table["table"], counts[table["table"]])
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), loaded):
                cursor.execute(statement)
    call_command("migrate", interactive=False, verbosity=0)
    return BackupResult(path=path, counts=counts, sha256=_file_sha256(path))


def _value(field: models.Field[Any, Any], value: Any) -> Any:
    if value is not None and not isinstance(field, models.JSONField):
        value = field.to_python(value)
    return field.get_db_prep_save(value, connection)


def _load(
    model: type[models.Model], fields: list[models.Field[Any, Any]], rows: Iterator[list[Any]]
) -> int:
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    total = 0
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append([_value(field, value) for field, value in zip(fields, row, strict=True)])
            if len(batch) >= _BATCH:
                cursor.executemany(sql, batch)
                total += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            total += len(batch)
    return total
