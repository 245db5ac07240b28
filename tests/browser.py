"""Shared infrastructure of the end-to-end browser tests (``tests/web``, ``tests/requests``).

Each browser test serves a real register in a subprocess over a database of its own: SQLite
in a temporary ``SOR_HOME`` or, when ``SOR_TEST_DATABASE_URL`` names a PostgreSQL server, a
database created for the run and dropped afterwards (:func:`register_home`). Playwright
drives Debian's Chromium (``/usr/bin/chromium``; ``playwright install`` is never needed).
Screenshots of each step are kept in ``artifacts/screenshots/`` as CI artefacts, named after
the database kind.

Test modules use the fixtures by importing them (``from tests.browser import browser, page``)
or through their ``conftest.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "CHROMIUM",
    "ROOT",
    "SCREENSHOTS",
    "browser",
    "database_kind",
    "log_in",
    "page",
    "postgres_database",
    "register_home",
    "run",
    "shot",
]

CHROMIUM = os.environ.get("SOR_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def run(args: list[str], env: dict[str, str], *, stdin: str | None = None) -> str:
    """Run a command in the repository with ``env``; its output, or fail the test."""
    done = subprocess.run(
        args, env=env, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def postgres_database(url: str) -> tuple[str, Any]:
    """A new, empty database on the server of ``url``; returns its URL and a dropper."""
    import psycopg

    name = f"test_opensor_web_{os.getpid()}_{time.time_ns()}"
    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


def database_kind() -> str:
    """``postgresql`` when the tests run on PostgreSQL, else ``sqlite``."""
    return "postgresql" if os.environ.get("SOR_TEST_DATABASE_URL") else "sqlite"


@contextmanager
def register_home(home: Path) -> Iterator[dict[str, str]]:
    """The environment of a fresh register in ``home`` (after ``sor init``), for subprocesses.

    On PostgreSQL the register gets a database of its own, dropped when the block ends.
    """
    env = {
        **os.environ,
        "SOR_HOME": str(home),
        "SOR_SECRET_KEY": "browser-test-secret-key",
        "SOR_INSECURE_COOKIES": "1",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("SOR_PUBLICATIONS", None)
    drop = None
    if os.environ.get("SOR_TEST_DATABASE_URL", "").startswith("postgres"):
        env["SOR_DATABASE_URL"], drop = postgres_database(os.environ["SOR_TEST_DATABASE_URL"])
    else:
        env.pop("SOR_DATABASE_URL", None)
    try:
        run([sys.executable, "-m", "opensor.cli", "init"], env)
        yield env
    finally:
        if drop is not None:
            drop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (skips without either)."""
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt install chromium)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page, Danish first.

    Console errors (CSP violations among them), page errors and every 4xx/5xx response are
    collected in ``page.problems``; tests end with ``assert not page.problems``.
    """
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    """Keep a full-page screenshot as a CI artefact (``<database>-<name>.png``)."""
    page.screenshot(path=str(SCREENSHOTS / f"{database_kind()}-{name}.png"), full_page=True)


def log_in(page: Any, base: str, name: str, password: str) -> None:
    """Log in through the form (the register's front page sends a visitor there)."""
    page.goto(f"{base}/manage/")
    page.fill("#id_username", name)
    page.fill("#id_password", password)
    page.click("button[type=submit]:has-text('Log ind')")
    page.wait_for_url(f"{base}/manage/")
