"""The public register browser in real Chromium against a real ``sor serve``.

The demo register (scale 0.15: about 7,500 units, two hospitals in Region Sjælland among
them) is built and published in a subprocess into a temporary ``SOR_HOME`` — on SQLite, or on
a PostgreSQL database of its own when ``SOR_TEST_DATABASE_URL`` names a server (see
:mod:`tests.browser`) — and served by ``sor serve --only lookup``. The map's tile server is set
to an address nothing listens on, as on a machine without internet. Playwright drives Debian's
Chromium; screenshots at phone and desktop width are kept in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser import SCREENSHOTS, database_kind, register_home, run, shot
from tests.servers import running_sor_serve

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The published demo register served by the lookup service; its URL and some SOR-IDs."""
    home = tmp_path_factory.mktemp("public-web")
    with register_home(home) as env:
        run([sys.executable, "-m", "opensor.cli", "demo", "--scale", "0.15", "--seed", "1"], env)
        run([sys.executable, "-m", "opensor.cli", "publish"], env)
        read_model = home / "publications" / "current" / "readmodel.sqlite"
        model = sqlite3.connect(f"file:{read_model}?mode=ro", uri=True)
        ids = _interesting_units(model)
        model.close()
        env = {**env, "SOR_MAP_TILES": UNREACHABLE_TILES}
        with running_sor_serve(home / "publications", env=env, args=["--only", "lookup"]) as base:
            yield {"base": base, **ids}


def _interesting_units(model: sqlite3.Connection) -> dict[str, Any]:
    def one(sql: str, *args: Any) -> Any:
        row = model.execute(sql, args).fetchone()
        assert row is not None, sql
        return row

    roskilde, roskilde_shak, roskilde_gln = one(
        "SELECT sor_id, shak, gln FROM unit WHERE name = 'Sjællands Universitetshospital, Roskilde'"
    )
    section, path = one(
        "SELECT sor_id, path FROM unit WHERE path LIKE ? AND level = 'OE' AND gln_source = ? "
        "AND active = 1 ORDER BY depth DESC, sor_id",
        f"%/{roskilde}/%",
        roskilde,
    )
    renamed, old_name, old_from, new_name = one(
        "SELECT v.sor_id, json_extract(v.record, '$.name'), v.valid_from, u.name "
        "FROM unit_version v JOIN unit u ON u.sor_id = v.sor_id "
        "WHERE json_extract(v.record, '$.name') <> u.name AND v.valid_to IS NOT NULL "
        "AND u.active = 1 ORDER BY v.sor_id"
    )
    return {
        "roskilde": str(roskilde),
        "roskilde_shak": roskilde_shak,
        "roskilde_gln": roskilde_gln,
        "section": str(section),
        "section_path": [p for p in path.strip("/").split("/")],
        "renamed": (str(renamed), old_name, old_from, new_name),
    }


def _type_search(page: Any, text: str) -> None:
    """Type into the search box; return once the page shows (and its address holds) the answer."""
    page.fill("#q", text)
    page.wait_for_url(lambda url: url.endswith("/?q=" + quote(text)))
    page.wait_for_load_state("networkidle")


def _viewport_shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{database_kind()}-{name}.png"))


def _focus_on(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_search_finds_koege_typed_both_ways_and_units_by_shak_and_gln(
    site: dict[str, Any], page: Any
) -> None:
    base = site["base"]
    page.set_viewport_size(DESKTOP)
    page.goto(base + "/")
    for typed in ("Køge", "Koege"):
        _type_search(page, typed)  # results arrive as htmx fragments while typing
        page.wait_for_selector("#results a.name:has-text('Sjællands Universitetshospital, Køge')")
        assert "enheder fundet" in page.inner_text("#count")
    shot(page, "public-search-desktop")
    for code in (site["roskilde_shak"], site["roskilde_gln"]):
        _type_search(page, code)
        page.wait_for_selector(f"#results a[href='/units/{site['roskilde']}']")
    page.set_viewport_size(PHONE)
    _type_search(page, "roskilde")
    page.wait_for_selector(f"#results a[href='/units/{site['roskilde']}']")
    assert page.locator("#results li").count() > 1
    shot(page, "public-search-phone")
    assert not page.problems, page.problems


def test_the_search_works_without_javascript(site: dict[str, Any], browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False, locale="da-DK")
    page = context.new_page()
    page.goto(site["base"] + "/")
    page.fill("#q", "Koege")
    page.click("button[type=submit]:has-text('Søg')")
    page.wait_for_selector("a.name:has-text('Sjællands Universitetshospital, Køge')")
    page.click(".filters summary")
    page.select_option("#f-level", "SI")
    page.click("button:has-text('Anvend')")
    assert "level=SI" in page.url
    context.close()


def test_walk_from_a_hospital_section_up_to_the_region_and_back_down(
    site: dict[str, Any], page: Any
) -> None:
    base, path = site["base"], site["section_path"]
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/units/{site['section']}")
    assert page.inner_text("#location-source") == "Sjællands Universitetshospital, Roskilde"
    shot(page, "public-unit-desktop")
    page.set_viewport_size(PHONE)
    shot(page, "public-unit-phone")
    page.set_viewport_size(DESKTOP)
    page.click(f".crumbs a[href='/units/{path[0]}']")  # straight up to the region
    assert page.inner_text("h1") == "Region Sjælland"
    for sor_id in path[1:]:  # and down, one child at a time
        page.click(f"#tree .children a[href='/units/{sor_id}']")
        page.wait_for_url(f"{base}/units/{sor_id}")
    assert page.url.endswith(site["section"])
    assert not page.problems, page.problems


def test_the_as_of_picker_shows_an_older_name(site: dict[str, Any], page: Any) -> None:
    sor_id, old_name, old_from, new_name = site["renamed"]
    page.goto(f"{site['base']}/units/{sor_id}")
    assert page.inner_text("h1") == new_name
    page.fill("#as_of", old_from)
    page.click("form.asof button")
    page.wait_for_url(f"**/units/{sor_id}?as_of={old_from}")
    assert page.inner_text("h1") == old_name
    assert old_from in page.inner_text("[role=status]")
    assert not page.problems, page.problems


def test_copy_buttons_copy_the_code(site: dict[str, Any], browser: Any) -> None:
    context = browser.new_context(locale="da-DK")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{site['base']}/units/{site['roskilde']}")
    page.click(f"button.copy[data-copy='{site['roskilde_shak']}']")
    assert page.evaluate("navigator.clipboard.readText()") == site["roskilde_shak"]
    assert page.inner_text(f"button.copy[data-copy='{site['roskilde_shak']}']") == "Kopieret"
    context.close()


def test_done_when_a_new_user_finds_roskilde_walks_the_tree_in_english_by_keyboard(
    site: dict[str, Any], page: Any
) -> None:
    """The issue's 'done when', twice: with the mouse in Danish, then by keyboard in English."""
    base, roskilde, section = site["base"], site["roskilde"], site["section"]
    page.set_viewport_size(DESKTOP)
    page.goto(base + "/")
    _type_search(page, "Roskilde")
    page.click(f"#results a[href='/units/{roskilde}']")
    page.click(f"#tree .children a[href='/units/{site['section_path'][2]}']")
    page.goto(f"{base}/units/{section}")
    assert "Lokationsnummeret er arvet fra" in page.inner_text("#location")
    page.click("#switch-lang")
    assert page.get_attribute("html", "lang") == "en"
    assert "The location number is inherited from" in page.inner_text("#location")

    # The same from the keyboard alone, in English (the language choice is remembered).
    page.goto(base + "/")
    assert page.get_attribute("html", "lang") == "en"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    _focus_on(page, "#q")
    page.keyboard.type("Roskilde")
    page.wait_for_selector(f"#results a[href='/units/{roskilde}']")
    _focus_on(page, f"#results a[href='/units/{roskilde}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/units/{roskilde}")
    _focus_on(page, f"#tree .children a[href='/units/{site['section_path'][2]}']", limit=200)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/units/{site['section_path'][2]}")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline in ("none", "auto", "solid")
    page.goto(f"{base}/units/{section}")
    _focus_on(page, "#location-source")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/units/{roskilde}")
    _focus_on(page, "#switch-lang")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "da"
    shot(page, "public-keyboard-done")
    assert not page.problems, page.problems


def test_the_map_degrades_to_the_list_when_tiles_are_unreachable(
    site: dict[str, Any], page: Any
) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(site["base"] + "/map?region=1085")
    page.wait_for_selector("#map .leaflet-interactive")  # the units drawn by Leaflet
    page.wait_for_selector("#map-note", state="visible")  # no tiles: said so
    assert page.locator("#map-list li").count() > 10
    _viewport_shot(page, "public-map-desktop")  # the list is long: the first screen only
    page.set_viewport_size(PHONE)
    _viewport_shot(page, "public-map-phone")
    problems = [p for p in page.problems if "127.0.0.1:9" not in p]
    assert not problems, problems


def test_downloads_page(site: dict[str, Any], page: Any) -> None:
    page.goto(site["base"] + "/downloads")
    assert page.locator("table.files tbody tr").count() >= 5
    protected = page.locator("table.files tr.protected")  # the complete SorTree file
    assert protected.count() == 1
    assert "Kræver godkendt adgang" in protected.inner_text()
    assert protected.locator("a[download]").count() == 0
    assert protected.locator("a[href='/api/v1/docs#getPublicationFile']").count() == 1
    shot(page, "public-downloads")
    assert not page.problems, page.problems


@pytest.mark.parametrize(
    "path",
    ["/", "/?q=roskilde&level=SI", "unit", "section", "/map", "/downloads", "/?lang=en&q=koege"],
)
def test_axe_core_finds_no_accessibility_violations(
    site: dict[str, Any],
    browser: Any,
    path: str,
) -> None:
    if path in ("unit", "section"):
        path = f"/units/{site['roskilde' if path == 'unit' else 'section']}"
    # axe is injected as a script of the test, which the pages' strict CSP would refuse.
    context = browser.new_context(bypass_csp=True, locale="da-DK")
    page = context.new_page()
    page.goto(site["base"] + path)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    context.close()
    assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)
