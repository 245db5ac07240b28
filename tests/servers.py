"""Running ``sor serve`` as a real process on a free loopback port, for tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["free_port", "running_server", "running_sor_serve"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    command: Sequence[str],
    *,
    port: int,
    env: Mapping[str, str] | None = None,
    ready_path: str = "/healthz",
    cwd: Path | None = None,
) -> Iterator[str]:
    """Start a server process listening on ``port``; yield its base URL once it answers.

    ``ready_path`` is the path that must answer 200 first. The process (and its workers, in
    their own process group) is stopped when the block ends.

    The group stays in the caller's session (no ``setsid``): with the scheduler's autogroups
    on, a server in a session of its own competes with the session driving it as one equal
    party, which tripled the write benchmark's p95 at the same rate (docs/performance.md).
    """
    process = subprocess.Popen(
        list(command),
        env=dict(env if env is not None else os.environ),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        process_group=0,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}{ready_path}", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if process.poll() is not None or time.monotonic() > deadline:
                    if process.poll() is None:  # still running: stop it, or reading blocks
                        os.killpg(process.pid, signal.SIGKILL)
                        process.wait(timeout=5)
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"{' '.join(command[:4])} did not start:\n{output[-3000:]}")
                time.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):  # gone already (killed above)
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


@contextmanager
def running_sor_serve(
    publications: Path,
    *,
    workers: int = 1,
    server: str = "granian",
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    ready_path: str = "/healthz",
) -> Iterator[str]:
    """Start ``sor serve`` over a publication store; yield its base URL once it answers.

    ``ready_path`` is the path that must answer 200 first; ``env`` replaces the environment
    (e.g. to point the register at a test database) and ``args`` are extra options
    (``--only register``).
    """
    port = free_port()
    command = [
        sys.executable, "-m", "opensor.cli", "serve", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--server", server,
        "--publications", str(publications), *args,
    ]  # fmt: skip
    with running_server(command, port=port, env=env, ready_path=ready_path) as base:
        yield base
