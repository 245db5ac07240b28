"""Disk full while publishing: a clear error, the previous publication intact, then recovery.

The publication store is put on a small ``tmpfs`` (when this process may mount one, as root in
CI can) sized so that the first publication fits and the second does not. Where mounting is
not permitted, the same is done with ``RLIMIT_FSIZE`` in the publishing process (a write past
the limit fails with ``EFBIG``, as a full disk fails with ``ENOSPC``).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.faults import fresh_register, sor, verify_current


@pytest.fixture
def register_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh register with a small demo, of the suite's database kind."""
    with fresh_register(tmp_path / "home", os.environ.get("SOR_TEST_DATABASE_URL")) as env:
        sor(env, "demo", "--scale", "0.02")
        yield env


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _mount_tmpfs(path: Path, size: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _publish_limited(env: dict[str, str], limit: int | None) -> subprocess.CompletedProcess[str]:
    def preexec() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "opensor.cli", "publish"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=preexec,
    )


def test_disk_full_while_publishing(register_env: dict[str, str], tmp_path: Path) -> None:
    """The failed build says the disk is full, leaves the current publication whole, cleans up."""
    probe = {**register_env, "SOR_PUBLICATIONS": str(tmp_path / "probe")}
    sor(probe, "publish")
    one = _size(tmp_path / "probe")
    shutil.rmtree(tmp_path / "probe")

    store = tmp_path / "small-disk"
    env = {**register_env, "SOR_PUBLICATIONS": str(store)}
    mounted = _mount_tmpfs(store, int(one * 1.5))
    try:
        if mounted:
            sor(env, "publish")
            first = verify_current(store)
            failed = _publish_limited(env, None)
        else:
            sor(env, "publish")
            first = verify_current(store)
            largest = max(p.stat().st_size for p in store.rglob("*") if p.is_file())
            failed = _publish_limited(env, largest // 2)
        assert failed.returncode != 0
        message = failed.stderr.lower()
        assert "no space left" in message or "file too large" in message or "full" in message
        assert "Traceback" not in failed.stderr, failed.stderr
        assert verify_current(store) == first
        assert not [p for p in store.iterdir() if p.name.startswith(".building")]

        if mounted:  # the operator frees space (here: grows the disk); the next run succeeds
            subprocess.run(["mount", "-o", f"remount,size={one * 4}", str(store)], check=True)
            sor(env, "publish")
            assert verify_current(store) > first
        else:
            sor(env, "publish")
            assert verify_current(store) > first
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(store)], check=False)
