"""End-to-end flows in real Chromium against a real register process.

The register is initialised (``sor init``), filled (``python -m tests.web.seed``) and served
(uvicorn) in subprocesses, on SQLite in a temporary ``SOR_HOME`` or, when
``SOR_TEST_DATABASE_URL`` names a PostgreSQL server, on a database of its own created for the
run. Playwright drives Debian's Chromium (``/usr/bin/chromium``; ``playwright install`` is
never needed). Screenshots of each step are kept in ``artifacts/screenshots/`` for CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import free_port
from tests.web.conftest import PASSWORD

CHROMIUM = os.environ.get("SOR_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
ADVICE = "urn:dk:healthcare:medcom:messaging:edifact:contrl:ctl03:c0330q"

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM} (apt install chromium)"
)


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def _postgres_database(url: str) -> tuple[str, Any]:
    """A new, empty database on the server of ``url``; returns its URL and a dropper."""
    import psycopg

    name = f"test_opensor_web_{os.getpid()}_{int(time.time())}"
    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


def _server_command(port: int) -> list[str]:
    try:
        from opensor import serving

        if hasattr(serving, "create_register_app"):
            target = ["--factory", "opensor.serving:create_register_app"]
        else:  # pragma: no cover - before the combined server exists
            target = ["opensor.register.asgi:application"]
    except ImportError:  # pragma: no cover
        target = ["opensor.register.asgi:application"]
    return [
        sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A served register with the sector trees and users; yields its URL and the SOR-IDs."""
    home = tmp_path_factory.mktemp("sor-web-home")
    env = {
        **os.environ,
        "SOR_HOME": str(home),
        "SOR_SECRET_KEY": "browser-test-secret-key",
        "SOR_INSECURE_COOKIES": "1",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    drop = None
    if os.environ.get("SOR_TEST_DATABASE_URL", "").startswith("postgres"):
        env["SOR_DATABASE_URL"], drop = _postgres_database(os.environ["SOR_TEST_DATABASE_URL"])
    else:
        env.pop("SOR_DATABASE_URL", None)
    try:
        _run([sys.executable, "-m", "opensor.cli", "init"], env)
        ids = json.loads(
            _run([sys.executable, "-m", "tests.web.seed"], env).strip().splitlines()[-1]
        )
        port = free_port()
        process = subprocess.Popen(
            _server_command(port), env=env, cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/manage/login/", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError, OSError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        output = process.stdout.read().decode() if process.stdout else ""
                        pytest.fail(f"the register did not start:\n{output[-3000:]}")
                    time.sleep(0.2)
            yield {"base": base, "ids": ids}
        finally:
            os.killpg(process.pid, 15)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(timeout=5)
            if process.stdout is not None:
                process.stdout.close()
    finally:
        if drop is not None:
            drop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; CSP violations and page errors fail the test."""
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
    """Keep a full-page screenshot as a CI artefact."""
    database = "postgresql" if os.environ.get("SOR_TEST_DATABASE_URL") else "sqlite"
    page.screenshot(path=str(SCREENSHOTS / f"{database}-{name}.png"), full_page=True)


def log_in(page: Any, base: str, name: str) -> None:
    """Log in through the form."""
    page.goto(f"{base}/manage/")
    page.fill("#id_username", name)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('Log ind')")
    page.wait_for_url(f"{base}/manage/")


def test_a_region_maintainer_renames_a_department_and_adds_a_message_type(
    register: dict[str, Any], page: Any
) -> None:
    base, department = register["base"], register["ids"]["department"]
    log_in(page, base, "region")
    shot(page, "region-1-home")
    page.fill("#q", "Akutafd")  # search as you type (htmx swaps in the results)
    page.wait_for_selector(f"#results a[href='/manage/units/{department}/']")
    shot(page, "region-2-search")
    page.click(f"#results a[href='/manage/units/{department}/']")
    page.click("a:has-text('Ret: Navn, typer og koder')")
    page.fill("#f-name", "Akutmodtagelsen")
    shot(page, "region-3-rename")
    page.click("button:has-text('Gem')")
    page.wait_for_url(f"{base}/manage/units/{department}/")
    assert page.inner_text("#unit-name") == "Akutmodtagelsen"
    assert "efter næste publicering" in page.inner_text(".flash")
    shot(page, "region-4-renamed")
    page.click("#location-link")
    page.check(f"input[name=message_types][value='{ADVICE}']")
    shot(page, "region-5-message-type")
    page.click("#save-location")
    page.wait_for_url(f"{base}/manage/units/{department}/")
    assert ADVICE in page.inner_text(".message-types")
    shot(page, "region-6-saved")
    assert not page.problems, page.problems


def test_a_municipality_maintainer_is_refused_a_location_number_change(
    register: dict[str, Any], page: Any
) -> None:
    base, care_unit = register["base"], register["ids"]["care_unit"]
    log_in(page, base, "municipality")
    page.goto(f"{base}/manage/units/{care_unit}/")
    page.click("#location-link")
    refusal = page.inner_text("#refusal")
    assert "Du kan ikke ændre lokationsnummeret" in refusal
    assert "lokationsnummeret vedligeholdes af" in refusal  # the rule's own Danish reason
    assert page.locator("#save-location").count() == 0
    assert page.is_disabled("input[name=message_types] >> nth=0")
    shot(page, "municipality-refused")
    assert not page.problems, page.problems
