"""The self-service flow in real Chromium: a practice requests a new address, a case worker
approves it, and after ``sor publish`` the lookup service shows it.

Everything runs as it does in production, each part in a process of its own: ``sor init``,
the sector trees (``python -m tests.web.seed``), the two users (``sor user add``), a first
``sor publish`` and ``sor serve`` (the register under ``/manage/`` and the lookup service on
one port). Chromium walks the practice user and the case worker through the pages; then
``sor publish`` runs again and the running lookup service, which switches to the new
publication by itself, must answer with the new address. On SQLite, or on PostgreSQL when
``SOR_TEST_DATABASE_URL`` names a server (see :mod:`tests.browser`); screenshots of each step
go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM, log_in, register_home, run, shot
from tests.requests.conftest import PASSWORD
from tests.servers import running_sor_serve

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM} (apt install chromium)"
)

SOR = [sys.executable, "-m", "opensor.cli"]
NEW_ADDRESS = {
    "street_name": "Solrød Center",
    "building": "20",
    "postcode": "2680",
    "district": "Solrød Strand",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``sor serve`` over a seeded, published register; yields its URL, env and SOR-IDs."""
    with register_home(tmp_path_factory.mktemp("sor-flow-home")) as env:
        seeded = run([sys.executable, "-m", "tests.web.seed"], env)
        ids = json.loads(seeded.strip().splitlines()[-1])
        owner = ids["practice_owner"]
        for name, role in (("praksis", f"practice:{owner}"), ("sagsbehandler", "authority")):
            add = [*SOR, "user", "add", name, "--role", role, "--password-stdin"]
            run(add, env, stdin=PASSWORD)
        run([*SOR, "publish"], env)
        publications = Path(env["SOR_HOME"]) / "publications"
        with running_sor_serve(publications, env=env, ready_path="/manage/login/") as base:
            yield {"base": base, "env": env, "ids": ids}


def lookup_unit(base: str, sor_id: int) -> dict[str, Any]:
    """The unit as the lookup service answers it (``GET /api/v1/units/{sorId}``)."""
    with urllib.request.urlopen(f"{base}/api/v1/units/{sor_id}", timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def addresses_of(document: Any) -> list[dict[str, Any]]:
    """Every postal address in a lookup document (wherever the format nests it)."""
    found: list[dict[str, Any]] = []
    if isinstance(document, dict):
        if "postcode" in document and "street_name" in document:
            found.append(document)
        for value in document.values():
            found += addresses_of(value)
    elif isinstance(document, list):
        for value in document:
            found += addresses_of(value)
    return found


def shows_new_address(document: dict[str, Any]) -> bool:
    """Whether the lookup document carries the requested address."""
    return any(
        all(address.get(key) == value for key, value in NEW_ADDRESS.items())
        for address in addresses_of(document)
    )


def test_a_requested_address_reaches_the_lookup_service(served: dict[str, Any], page: Any) -> None:
    base, unit = served["base"], served["ids"]["practice_unit"]
    assert not shows_new_address(lookup_unit(base, unit))  # the first publication is older

    # The practice user files the request through the guided form.
    log_in(page, base, "praksis", PASSWORD)
    page.click("#nav-requests")
    page.wait_for_url(f"{base}/manage/requests/")
    shot(page, "flow-1-practice-requests")
    page.click("a:has-text('Ret oplysninger om en enhed')")
    page.select_option("#f-pick", str(unit))
    page.click("button:has-text('Videre')")
    page.wait_for_selector("#request-form")
    page.fill("#f-street_name", NEW_ADDRESS["street_name"])
    page.fill("#f-building", NEW_ADDRESS["building"])
    page.fill("#f-postcode", NEW_ADDRESS["postcode"])
    page.fill("#f-district", "Køge")  # the wrong town for 2680: the form says so as you type
    problem = page.wait_for_selector("#request-problems li:has-text('ikke Køge')")
    assert "postnummer 2680 hedder Solrød Strand" in problem.inner_text()
    assert "Solrød Kommune" in page.inner_text("#postcode-hint")
    shot(page, "flow-2-practice-wrong-town")
    page.fill("#f-district", NEW_ADDRESS["district"])
    page.wait_for_selector("#request-problems:has-text('Oplysningerne ser rigtige ud')")
    assert page.locator("#request-problems li").count() == 0
    page.fill("#f-note", "Praksis flytter til Solrød Center.")
    shot(page, "flow-3-practice-form-ok")
    page.click("button:has-text('Send anmodning')")
    page.wait_for_url(f"{base}/manage/requests/*/")
    request_path = page.url.removeprefix(base)
    assert page.inner_text("#request-status") == "Indsendt"
    assert "er indsendt til Sundhedsdatastyrelsen" in page.inner_text(".flash")
    shot(page, "flow-4-practice-filed")
    page.click("button:has-text('Log ud')")
    page.wait_for_url(f"{base}/manage/login/**")

    # The case worker finds it in the queue, sees the diff and approves it.
    log_in(page, base, "sagsbehandler", PASSWORD)
    page.click("#nav-queue")
    page.wait_for_url(f"{base}/manage/requests/queue/")
    shot(page, "flow-5-case-worker-queue")
    page.click(f"a[href='{request_path}']")
    page.wait_for_url(f"{base}{request_path}")
    changed = "\n".join(page.locator("table.diff tr.changed").all_inner_texts())
    assert "Solrød Center" in changed and "Solrød Strand" in changed
    assert "Praksis flytter til Solrød Center." in page.inner_text(".events")
    shot(page, "flow-6-case-worker-diff")
    page.click("#approve")
    page.wait_for_url(f"{base}{request_path}")
    assert page.inner_text("#request-status") == "Godkendt"
    assert "ved næste offentliggørelse" in page.inner_text(".flash")
    shot(page, "flow-7-case-worker-approved")
    assert not shows_new_address(lookup_unit(base, unit))  # not published yet

    # `sor publish`; the running lookup service switches to the new publication by itself.
    run([*SOR, "publish"], served["env"])
    deadline = time.monotonic() + 20
    while not shows_new_address(document := lookup_unit(base, unit)):
        assert time.monotonic() < deadline, f"the lookup service still answers {document}"
        time.sleep(0.25)
    page.goto(f"{base}/api/v1/units/{unit}")
    assert "Solrød Center" in page.inner_text("body")
    shot(page, "flow-8-lookup")
    assert not page.problems, page.problems
