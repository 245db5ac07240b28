"""End-to-end flows in real Chromium against a real register process.

The register is initialised (``sor init``), filled (``python -m tests.web.seed``) and served
(uvicorn) in subprocesses, on SQLite in a temporary ``SOR_HOME`` or, when
``SOR_TEST_DATABASE_URL`` names a PostgreSQL server, on a database of its own created for the
run (see :mod:`tests.browser`). Playwright drives Debian's Chromium (``/usr/bin/chromium``;
``playwright install`` is never needed). Screenshots of each step are kept in
``artifacts/screenshots/`` for CI.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM, ROOT, register_home, run, shot
from tests.browser import log_in as browser_log_in
from tests.servers import free_port, running_server
from tests.web.conftest import PASSWORD

ADVICE = "urn:dk:healthcare:medcom:messaging:edifact:contrl:ctl03:c0330q"

pytest.importorskip("playwright.sync_api", reason="pip install playwright")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM} (apt install chromium)"
)


def _server_command(port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "--factory", "opensor.serving:create_register_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A served register with the sector trees and users; yields its URL and the SOR-IDs."""
    with register_home(tmp_path_factory.mktemp("sor-web-home")) as env:
        seeded = run([sys.executable, "-m", "tests.web.seed"], env)
        ids = json.loads(seeded.strip().splitlines()[-1])
        port = free_port()
        with running_server(
            _server_command(port), port=port, env=env, ready_path="/manage/login/", cwd=ROOT
        ) as base:
            yield {"base": base, "ids": ids}


def log_in(page: Any, base: str, name: str) -> None:
    """Log in through the form as one of the seeded users."""
    browser_log_in(page, base, name, PASSWORD)


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
