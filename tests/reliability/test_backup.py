"""``sor backup`` / ``sor restore``: every unit, version, audit record and account comes back.

A register with units, location numbers, maintainers' writes (versions, change sets, audit
events), a user with a role and an API token is backed up; the backup is restored into a
fresh database (a new SQLite file, or a new PostgreSQL database when the suite runs on
PostgreSQL, and across databases: a backup restored into the other kind), and every table is
compared row by row with what was backed up. Damaged archives and non-empty registers are
refused, and a restore that fails half-way leaves the register as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from opensor.domain.responsibility import Role
from opensor.register.accounts.actors import Actor
from opensor.register.accounts.models import ApiToken, RoleGrant
from opensor.register.accounts.services import token_create, user_add
from opensor.register.audit.models import AuditEvent, ChangeSet
from opensor.register.backup import BackupError, RegisterNotEmpty, backup, restore, verify
from opensor.register.maintenance import locations, units
from opensor.register.maintenance.versions import location_timeline, unit_timeline
from opensor.register.units.models import LocationNumber, LocationNumberVersion, Unit, UnitVersion
from tests.factories import record_maintenance_world

COMPARED = [Unit, UnitVersion, LocationNumber, LocationNumberVersion, ChangeSet, AuditEvent]
COMPARED += [RoleGrant, ApiToken]


def _rows() -> dict[str, list[dict[str, Any]]]:
    from django.contrib.auth.models import User

    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in [*COMPARED, User]
    }


def _populate(record: Any) -> dict[str, Any]:
    world = record_maintenance_world(record)
    region = Actor("region", (Role.parse("region:1085"),), client="test")
    department = world["department"].sor_id
    ahead = date.today() + timedelta(days=30)
    units.unit_update(
        region,
        department,
        {"name": "Akutafdelingen", "contact": {"phone": "+4556631500", "email": "akut@regsj.dk"}},
        if_match=unit_timeline(department).etag(),
    )
    units.unit_update(
        region,
        department,
        {"name": "Akutafdeling Køge"},
        if_match=unit_timeline(department).etag(),
        effective=ahead,
    )
    units.unit_move(
        region,
        world["section"].sor_id,
        world["hospital"].sor_id,
        if_match=unit_timeline(world["section"].sor_id).etag(),
    )
    gln = world["care_number"].gln
    locations.location_update(
        Actor("authority", (Role.parse("authority"),), client="test"),
        gln,
        {"note": "Ny note æøå"},
        if_match=location_timeline(gln).etag(),
    )
    user_add("regionsj", ["region:1085"], password="Sikkert-kodeord-42")
    token_create("regionsj", "backup-test")
    return world


def _members(path: Path) -> dict[str, str]:
    with tarfile.open(path) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
    return {table["table"]: table["sha256"] for table in manifest["tables"]}


def test_backup_restore_gives_back_every_row(record: Any, tmp_path: Path) -> None:
    """Back up, wipe and restore (``force``): every unit, version and audit record is equal."""
    world = _populate(record)
    before = _rows()
    assert before["audit.AuditEvent"] and before["units.UnitVersion"]
    archive = backup(tmp_path / "register.tar")
    assert archive.counts["units_unit"] == len(before["units.Unit"])
    verify(archive.path)

    with pytest.raises(RegisterNotEmpty, match="already holds data"):
        restore(archive.path)

    section = world["section"].sor_id
    units.unit_update(
        Actor("region", (Role.parse("region:1085"),), client="test"),
        section,
        {"name": "Ændret efter backup"},
        if_match=unit_timeline(section).etag(),
    )
    assert _rows() != before
    restore(archive.path, force=True)
    assert _rows() == before
    assert _members(backup(tmp_path / "again.tar").path) == _members(archive.path)

    # the id sequences continue after the restored rows
    change_set = ChangeSet.objects.create(kind=ChangeSet.Kind.SERVICE, actor="after-restore")
    assert change_set.pk > max(row["id"] for row in before["audit.ChangeSet"])


def _rewrite(source: Path, target: Path, member: str, change: Any, fix_sum: bool) -> None:
    """Copy a backup, changing one member's lines (and its checksum when ``fix_sum``)."""
    import hashlib
    import io

    with tarfile.open(source) as archive:
        contents = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]
    contents[member] = change(contents[member])
    if fix_sum:
        manifest = json.loads(contents["manifest.json"])
        for table in manifest["tables"]:
            if table["member"] == member:
                table["sha256"] = hashlib.sha256(contents[member]).hexdigest()
                table["rows"] = contents[member].count(b"\n")
        contents["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(target, "w") as archive:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_damaged_or_failing_backups_change_nothing(record: Any, tmp_path: Path) -> None:
    """A damaged member is refused before anything is touched; a failing load rolls back."""
    _populate(record)
    before = _rows()
    good = backup(tmp_path / "good.tar").path

    damaged = tmp_path / "damaged.tar"
    _rewrite(good, damaged, "tables/units_unit.jsonl", lambda d: d.replace(b"IE", b"OE", 1), False)
    with pytest.raises(BackupError, match=r"units_unit\.jsonl is damaged"):
        restore(damaged, force=True)
    assert _rows() == before

    # checksums made to match, but a row appears twice: the load fails half-way and rolls back
    duplicated = tmp_path / "duplicated.tar"
    _rewrite(good, duplicated, "tables/units_unitversion.jsonl", lambda d: d + d, True)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        restore(duplicated, force=True)
    assert _rows() == before

    with pytest.raises(BackupError, match="not a readable backup"):
        restore(_write(tmp_path / "text.tar", b"not a tar file"), force=True)
    with pytest.raises(BackupError, match="no such backup"):
        restore(tmp_path / "missing.tar")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- a fresh machine: `sor restore` in a new process on a new database ------------------------


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a fresh machine: a new SOR_HOME and a new, empty database."""
    env = {**os.environ, "SOR_HOME": str(tmp_path / "fresh-home")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    url = os.environ.get("SOR_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        env.pop("SOR_DATABASE_URL", None)
        yield env
        return
    name = f"sor_restore_{uuid.uuid4().hex[:10]}"
    admin = _admin(url)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env["SOR_DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
        yield env
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _admin(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)


def _sor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opensor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_restore_on_a_fresh_machine_and_across_databases(
    record: Any, tmp_path: Path, fresh_database: dict[str, str]
) -> None:
    """``sor restore`` on a new database gives back byte-identical tables (``sor backup``).

    The backup is made on the suite's database and restored on a fresh one of the same kind; on
    PostgreSQL runs the same backup is also restored into a fresh SQLite file (across databases).
    """
    _populate(record)
    archive = backup(tmp_path / "register.tar").path
    done = _sor(fresh_database, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "copy.tar"
    done = _sor(fresh_database, "backup", "--output", str(copy))
    assert done.returncode == 0, done.stderr
    assert _members(copy) == _members(archive)

    refused = _sor(fresh_database, "restore", str(archive))
    assert refused.returncode == 1 and "already holds data" in refused.stderr

    if fresh_database.get("SOR_DATABASE_URL"):  # PostgreSQL → a fresh SQLite file too
        other = {k: v for k, v in fresh_database.items() if k != "SOR_DATABASE_URL"}
        other["SOR_HOME"] = str(tmp_path / "sqlite-home")
        done = _sor(other, "restore", str(archive))
        assert done.returncode == 0, done.stderr
        done = _sor(other, "backup", "--output", str(tmp_path / "sqlite.tar"))
        assert done.returncode == 0, done.stderr
        assert _members(tmp_path / "sqlite.tar") == _members(archive)
