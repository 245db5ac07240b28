"""Fault injection shared by the reliability tests and ``bench/kill_bench.py``.

Everything here drives real ``sor`` processes on a real database: a fresh register (a new
SQLite file, or a new PostgreSQL database when ``SOR_TEST_DATABASE_URL`` names one), a command
killed with ``SIGKILL`` at a random moment (its whole process group, as a supervisor would),
and the checks made after each kill:

* the store's ``current`` publication is complete and every file matches the manifest's
  SHA-256 (:func:`verify_current`);
* the register is unchanged or fully changed: the row count and SHA-256 of every table, as
  ``sor backup`` records them (:func:`register_state`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "KillOutcome",
    "fresh_register",
    "kill_after",
    "register_state",
    "sor",
    "verify_current",
]


@contextlib.contextmanager
def fresh_register(home: Path, database_url: str | None = None) -> Iterator[dict[str, str]]:
    """The environment of ``sor`` on a new, initialised register in ``home``.

    With a PostgreSQL ``database_url`` a new database is created beside the one it names and
    dropped afterwards; otherwise the register is a SQLite file in ``home``.
    """
    env = {**os.environ, "SOR_HOME": str(home), "SOR_PUBLICATIONS": str(home / "publications")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("SOR_DATABASE_URL", None)
    admin = None
    name = f"sor_fault_{uuid.uuid4().hex[:10]}"
    if database_url and database_url.startswith("postgres"):
        import psycopg

        base = database_url.rsplit("/", 1)[0]
        admin = psycopg.connect(f"{base}/postgres", autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        env["SOR_DATABASE_URL"] = f"{base}/{name}"
    try:
        sor(env, "init")
        yield env
    finally:
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


def sor(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``sor ARGS`` to completion; raise with its output when ``check`` and it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "opensor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"sor {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def kill_after(env: dict[str, str], args: list[str], delay: float) -> bool:
    """Start ``sor ARGS`` and SIGKILL its process group after ``delay`` seconds.

    Returns ``True`` when the command was killed, ``False`` when it had already finished (then
    it must have succeeded).
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "opensor.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if process.stderr is not None:
            process.stderr.close()
        _reap_group(process.pid)
        return True
    _, stderr = process.communicate()
    if process.returncode != 0:
        raise AssertionError(f"sor {' '.join(args)} failed unkilled:\n{stderr.decode()}")
    return False


def _reap_group(pgid: int) -> None:
    """Wait until no process of the killed group is left (helpers die with it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def verify_current(store: Path) -> int:
    """The number of the current publication after checking every file against its manifest."""
    link = store / "current"
    target = store / os.readlink(link)
    manifest = json.loads((target / "manifest.json").read_text())
    for entry in manifest["files"]:
        path = target / entry["name"]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == entry["sha256"], f"{path} does not match its manifest"
        assert path.stat().st_size == entry["size"], f"{path} has the wrong size"
    assert manifest["number"] == int(target.name)
    return int(manifest["number"])


def register_state(env: dict[str, str], work: Path) -> dict[str, tuple[int, str]]:
    """Every table's row count and SHA-256, from a ``sor backup`` of the register."""
    archive = work / f"state-{uuid.uuid4().hex[:8]}.tar"
    sor(env, "backup", "--output", str(archive))
    with tarfile.open(archive) as opened:
        member = opened.extractfile("manifest.json")
        assert member is not None
        manifest = json.load(member)
    archive.unlink()
    return {table["table"]: (table["rows"], table["sha256"]) for table in manifest["tables"]}


@dataclass
class KillOutcome:
    """What a series of kills did: how many landed, and the delays used."""

    killed: int = 0
    finished: int = 0
    delays: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {"killed": self.killed, "finished": self.finished, "delays": self.delays}


def timed(env: dict[str, str], *args: str) -> float:
    """Run ``sor ARGS`` to completion and return its wall time in seconds."""
    started = time.perf_counter()
    sor(env, *args)
    return time.perf_counter() - started


def kill_publish_repeatedly(
    env: dict[str, str], kills: int, rng: random.Random, work: Path
) -> KillOutcome:
    """Kill ``sor publish`` ``kills`` times at random moments, checking after each kill.

    The register must be byte-for-byte unchanged and the current publication must stay
    whole (the previous one, or the new one if the kill came after the switch). A final
    unkilled run must succeed and leave no build directory behind.
    """
    store = Path(env["SOR_PUBLICATIONS"])
    before = register_state(env, work)
    full = timed(env, "publish")
    outcome = KillOutcome()
    for _ in range(kills):
        previous = verify_current(store)
        delay = round(rng.uniform(0.3, full * 1.05), 3)
        outcome.delays.append(delay)
        if kill_after(env, ["publish"], delay):
            outcome.killed += 1
        else:
            outcome.finished += 1
        current = verify_current(store)
        assert current >= previous
    assert register_state(env, work) == before
    last = verify_current(store)
    sor(env, "publish")
    assert verify_current(store) > last
    leftovers = [p.name for p in store.iterdir() if p.name.startswith(".building")]
    assert not leftovers, leftovers
    return outcome


def kill_import_repeatedly(
    env: dict[str, str], sortree: Path, kills: int, rng: random.Random, work: Path
) -> KillOutcome:
    """Kill ``sor import sortree`` into an empty register ``kills`` times at random moments.

    After each kill the register must be exactly as empty as before, or, when the kill came
    after the commit, hold the whole file (then it is emptied again with ``sor restore
    --force`` of a backup taken while empty). The next unkilled run must record the whole file.
    """
    empty_archive = work / "empty.tar"
    sor(env, "backup", "--output", str(empty_archive))
    empty = register_state(env, work)
    full = timed(env, "import", "sortree", str(sortree))
    complete = {name: rows for name, (rows, _) in register_state(env, work).items()}
    assert complete["units_unit"] > 0
    sor(env, "restore", "--force", str(empty_archive))
    outcome = KillOutcome()
    for _ in range(kills):
        delay = round(rng.uniform(0.3, full * 1.05), 3)
        outcome.delays.append(delay)
        if kill_after(env, ["import", "sortree", str(sortree)], delay):
            outcome.killed += 1
        else:
            outcome.finished += 1
        state = register_state(env, work)
        if state != empty:
            counts = {name: rows for name, (rows, _) in state.items()}
            assert counts == complete, f"half an import is in the register: {counts}"
            sor(env, "restore", "--force", str(empty_archive))
    sor(env, "import", "sortree", str(sortree))
    counts = {name: rows for name, (rows, _) in register_state(env, work).items()}
    assert counts == complete
    return outcome
