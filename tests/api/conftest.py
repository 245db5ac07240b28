"""A real ``sor serve`` over a fresh register, for the write-API tests over HTTP.

The server runs in its own processes, so it cannot see the suite's per-test transactions; the
API tests therefore get a database of their own: a SQLite file, or (when
``SOR_TEST_DATABASE_URL`` names a PostgreSQL server) a fresh PostgreSQL database created for the
session and dropped after it. ``sor init`` creates the schema, :mod:`tests.api.seed` records the
maintenance world and one user with a token per role, and ``sor serve`` serves it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.servers import running_sor_serve

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Server:
    """The running server, its environment and the seeded register."""

    base: str
    env: dict[str, str]
    ids: dict[str, str]
    glns: dict[str, str]
    tokens: dict[str, str]

    def client(self, role: str | None = None, token: str | None = None) -> httpx.Client:
        """An HTTP client acting with ``role``'s token (or ``token``; none for ``None``)."""
        headers = {}
        token = token or (self.tokens[role] if role else None)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=f"{self.base}/api/v1/register", headers=headers, timeout=30)

    def sor(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a ``sor`` command against the served register."""
        return subprocess.run(
            [sys.executable, "-m", "opensor.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            input=input,
            timeout=120,
            check=False,
            cwd=REPO,
        )


def _database(home: Path) -> Iterator[str]:
    url = os.environ.get("SOR_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{home / 'register.sqlite3'}"
        return
    import psycopg

    name = f"test_opensor_api_{os.getpid()}"
    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(args: list[str], env: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300, cwd=REPO
    )
    if completed.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    return completed.stdout


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``sor serve`` (lookup and register on one port, two workers) over a seeded register."""
    home = tmp_path_factory.mktemp("api-home")
    for database in _database(home):
        env = dict(
            os.environ,
            SOR_HOME=str(home),
            SOR_DATABASE_URL=database,
            SOR_SECRET_KEY="api-test-secret",
            DJANGO_SETTINGS_MODULE="opensor.register.settings",
            PYTHONPATH=str(REPO),
        )
        env.pop("SOR_TEST_DATABASE_URL", None)
        _run(["-m", "opensor.cli", "init"], env)
        seeded: dict[str, Any] = json.loads(_run(["-m", "tests.api.seed"], env))
        with running_sor_serve(
            home / "publications",
            workers=2,
            env=env,
            ready_path="/api/v1/register/openapi.json",
        ) as base:
            yield Server(base=base, env=env, **seeded)
