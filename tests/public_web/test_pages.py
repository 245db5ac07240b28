"""The public pages over HTTP against the real lookup application and the demo publications."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from opensor.lookup.app import create_app
from opensor.lookup.settings import LookupSettings
from opensor.publication.store import PublicationStore

EXTERNAL = re.compile(r"""(?:src|href)="(?:https?:)?//""")


def one(model: sqlite3.Connection, sql: str, *args: Any) -> Any:
    row = model.execute(sql, args).fetchone()
    assert row is not None, sql
    return row


def test_the_search_page_is_danish_strictly_secured_and_advertises_its_json_twin(
    web: TestClient,
) -> None:
    response = web.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="da">' in html
    assert '<label for="q">' in html
    assert '<link rel="alternate" type="application/json" href="/.json">' in html
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["cache-control"].startswith("public, max-age=")
    assert "<script>" not in html and " style=" not in html
    assert not EXTERNAL.search(html)


@pytest.mark.parametrize("typed", ["Køge", "Koege", "køge", "KOEGE"])
def test_a_danish_letter_may_be_typed_either_way(
    web: TestClient, model: sqlite3.Connection, typed: str
) -> None:
    sor_id, name = one(model, "SELECT sor_id, name FROM unit WHERE name LIKE '%hospital, Køge'")
    html = web.get("/", params={"q": typed}).text
    assert f'href="/units/{sor_id}">{name}</a>' in html
    assert re.search(r'class="count" id="count">\d+ enhed', html)


def test_typing_gets_only_the_results_fragment(web: TestClient) -> None:
    response = web.get("/", params={"q": "koege"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and 'class="results"' in response.text
    assert "HX-Request" in response.headers["vary"]
    full = web.get("/", params={"q": "koege"})
    assert full.headers["etag"] != response.headers["etag"]


def test_search_by_shak_and_by_gln(web: TestClient, model: sqlite3.Connection) -> None:
    sor_id, shak = one(model, "SELECT sor_id, shak FROM unit WHERE level = 'SI' AND shak LIKE '3%'")
    assert f'href="/units/{sor_id}"' in web.get("/", params={"q": shak}).text
    gln, owner = one(model, "SELECT gln, owner_sor_id FROM location_number WHERE active = 1")
    html = web.get("/", params={"q": gln}).text
    assert f'href="/units/{owner}"' in html


def test_the_search_json_twin_has_the_api_content(web: TestClient) -> None:
    twin = web.get("/.json", params={"q": "koege"}).json()
    api = web.get("/api/v1/units", params={"q": "koege", "limit": "20"}).json()
    assert twin["total"] == api["total"] and twin["items"] == api["items"]


def test_filters_narrow_the_result_and_show_counts(
    web: TestClient, model: sqlite3.Connection
) -> None:
    (institutions,) = one(
        model, "SELECT count(*) FROM unit WHERE level = 'SI' AND region_code = '1085'"
    )
    html = web.get("/", params={"level": "SI", "region": "1085"}).text
    assert f"{institutions} enheder fundet" in html
    assert '<option value="1085" selected>' in html and '<details class="filters" open>' in html
    (closed,) = one(model, "SELECT count(*) FROM unit WHERE active = 0")
    assert f"{closed} enheder fundet" in web.get("/", params={"active": "false"}).text
    urn, count = one(
        model,
        "SELECT m.message_type, count(*) FROM location_message_type m JOIN unit u ON u.gln = m.gln "
        "GROUP BY m.message_type ORDER BY count(*) DESC LIMIT 1",
    )
    twin = web.get("/.json", params={"message_type": urn}).json()
    assert twin["total"] == count


def test_the_next_page_link_continues_the_search(web: TestClient) -> None:
    first = web.get("/.json", params={"level": "OE"}).json()
    assert first["next"]
    second = web.get(first["next"]).json()
    assert not {u["sor_id"] for u in first["items"]} & {u["sor_id"] for u in second["items"]}
    html = web.get("/", params={"level": "OE"}).text
    assert 'class="next" href="/?level=OE&amp;cursor=' in html


def test_a_unit_page_marks_inherited_values_with_their_source(
    web: TestClient, model: sqlite3.Connection
) -> None:
    sor_id, gln, source = one(
        model,
        "SELECT sor_id, gln, gln_source FROM unit WHERE level = 'OE' AND depth >= 3 "
        "AND gln_source <> sor_id ORDER BY sor_id",
    )
    (source_name,) = one(model, "SELECT name FROM unit WHERE sor_id = ?", source)
    html = web.get(f"/units/{sor_id}").text
    assert f'<code id="code-gln">{gln}</code>' in html
    assert f'id="location-source" href="/units/{source}">{source_name}</a>' in html
    assert "arvet fra" in html
    assert f'data-copy="{sor_id}"' in html
    assert f'<link rel="alternate" type="application/json" href="/units/{sor_id}.json">' in html


def test_the_tree_walks_up_to_the_owner_and_down_to_the_children(
    web: TestClient, model: sqlite3.Connection
) -> None:
    sor_id, path = one(
        model, "SELECT sor_id, path FROM unit WHERE level = 'OE' AND depth >= 3 ORDER BY sor_id"
    )
    ancestors = [int(p) for p in path.strip("/").split("/")][:-1]
    html = web.get(f"/units/{sor_id}").text
    crumbs = html[html.index('class="crumbs"') : html.index("</nav>", html.index('class="crumbs"'))]
    assert [int(i) for i in re.findall(r'href="/units/(\d+)"', crumbs)] == ancestors
    owner_html = web.get(f"/units/{ancestors[0]}").text
    children = [
        r[0]
        for r in model.execute("SELECT sor_id FROM unit WHERE parent_sor_id = ?", (ancestors[0],))
    ]
    assert children and all(f'href="/units/{c}"' in owner_html for c in children[:200])


def test_the_as_of_picker_shows_an_older_name(web: TestClient, model: sqlite3.Connection) -> None:
    sor_id, old_name, valid_from, current = one(
        model,
        "SELECT v.sor_id, json_extract(v.record, '$.name'), v.valid_from, u.name "
        "FROM unit_version v JOIN unit u ON u.sor_id = v.sor_id "
        "WHERE json_extract(v.record, '$.name') <> u.name AND v.valid_to IS NOT NULL "
        "ORDER BY v.sor_id",
    )
    html = web.get(f"/units/{sor_id}").text
    assert f"<h1>{current}</h1>" in html and old_name in html  # the history table
    older = web.get(f"/units/{sor_id}", params={"as_of": valid_from}).text
    assert f"<h1>{old_name}</h1>" in older
    assert f"Viser enheden som den var {valid_from}" in older


def test_the_unit_json_twin_is_the_api_document(web: TestClient, model: sqlite3.Connection) -> None:
    (sor_id,) = one(model, "SELECT sor_id FROM unit ORDER BY sor_id")
    twin = web.get(f"/units/{sor_id}.json")
    assert twin.status_code == 200
    assert twin.content == web.get(f"/api/v1/units/{sor_id}").content
    dated = web.get(f"/units/{sor_id}.json", params={"as_of": "2025-06-01"})
    assert (
        dated.content == web.get(f"/api/v1/units/{sor_id}", params={"as_of": "2025-06-01"}).content
    )


def test_pages_answer_304_for_the_same_publication(
    web: TestClient, model: sqlite3.Connection
) -> None:
    (sor_id,) = one(model, "SELECT sor_id FROM unit ORDER BY sor_id")
    for url in (f"/units/{sor_id}", "/?q=koege", "/downloads", "/map"):
        first = web.get(url)
        etag = first.headers["etag"]
        again = web.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"", url
    english = web.get(f"/units/{sor_id}", params={"lang": "en"})
    assert english.headers["etag"] != web.get(f"/units/{sor_id}").headers["etag"]


def test_english_by_choice_remembered_in_a_cookie(
    web: TestClient, model: sqlite3.Connection
) -> None:
    (sor_id,) = one(model, "SELECT sor_id FROM unit WHERE level = 'OE' ORDER BY sor_id")
    response = web.get(f"/units/{sor_id}", params={"lang": "en"})
    assert '<html lang="en">' in response.text and "Location number" in response.text
    assert "lang=en" in response.headers["set-cookie"]
    assert response.headers["cache-control"] == "private, no-cache"  # never a shared copy
    assert '<html lang="en">' in web.get("/").text  # the cookie keeps it
    assert f'href="/units/{sor_id}?lang=da"' in response.text  # the switch back
    back = web.get("/", params={"lang": "da"})
    assert '<html lang="da">' in back.text


def test_errors_are_pages_too(web: TestClient) -> None:
    missing = web.get("/units/100000000000000000")
    assert missing.status_code == 404 and "<h1>Siden findes ikke</h1>" in missing.text
    bad = web.get("/units/100000691000016000", params={"as_of": "yesterday"})
    assert bad.status_code == 400 and "as_of" in bad.text
    unknown = web.get("/", params={"colour": "red"})
    assert unknown.status_code == 400 and "colour" in unknown.text


def _file_row(html: str, name: str) -> str:
    """The downloads table's row of file ``name``."""
    row = re.search(rf'<tr[^>]*id="file-{re.escape(name)}".*?</tr>', html, re.S)
    assert row is not None, name
    return row.group(0)


def test_downloads_list_the_manifest_files_and_explain_the_feed(
    web: TestClient, demo_store: PublicationStore
) -> None:
    publication = demo_store.current()
    assert publication is not None
    html = web.get("/downloads").text
    protected = []
    for entry in publication.manifest["files"]:
        link = f"/api/v1/publications/{publication.number}/files/{entry['name']}"
        if entry["name"] == "readmodel.sqlite":  # holds personal data: never offered
            assert link not in html
            continue
        assert entry["sha256"] in _file_row(html, entry["name"])
        if entry.get("requires_scope"):
            protected.append(entry["name"])
            continue
        assert f'<a href="{link}" download>' in html
    assert protected == ["sortree-complete.xml"]
    assert "/api/v1/changes?since=0" in html
    assert web.get("/downloads.json").content == web.get("/api/v1/publications/latest").content


def test_a_file_that_needs_a_scope_is_marked_not_offered_to_anonymous_visitors(
    web: TestClient, demo_store: PublicationStore
) -> None:
    publication = demo_store.current()
    assert publication is not None
    url = f"/api/v1/publications/{publication.number}/files/sortree-complete.xml"
    html = web.get("/downloads").text
    row = _file_row(html, "sortree-complete.xml")
    assert 'class="protected"' in row and "Kræver godkendt adgang" in row
    assert "personoplysninger om enkeltmandsvirksomheder" in row
    assert "godkendt adgangsanmodning" in row and "<code>lookup:personal-data</code>" in row
    assert f'href="{url}"' not in html  # no link that answers an anonymous visitor 401
    assert f"<code>GET {url}</code>" in row  # what a system with a token fetches
    assert '<a href="/api/v1/docs#getPublicationFile">Se API-dokumentationen</a>' in row
    assert 'id="getPublicationFile"' in web.get("/api/v1/docs").text  # the link's target

    # the public file says what it leaves out, from its manifest entry
    files = {entry["name"]: entry for entry in publication.manifest["files"]}
    withheld = files["sortree.xml"]["withheld"]
    assert withheld["units"] > 0
    assert f"Udelader {withheld['owners']} ejere" in _file_row(html, "sortree.xml")
    assert "sortree-complete.xml" in _file_row(html, "sortree.xml")

    english = web.get("/downloads", params={"lang": "en"}).text
    row = _file_row(english, "sortree-complete.xml")
    assert "Requires approved access" in row and "approved access request" in row
    assert "See the API documentation" in row

    # the JSON twin is the manifest: the same flag, machine-readable
    twin = {entry["name"]: entry for entry in web.get("/downloads.json").json()["files"]}
    assert twin["sortree-complete.xml"]["requires_scope"] == "lookup:personal-data"
    assert twin["sortree-complete.xml"]["personal_data"] is True
    assert "requires_scope" not in twin["sortree.xml"]


def test_the_mark_follows_the_manifest_not_the_file_name(
    demo_store: PublicationStore, tmp_path: Path
) -> None:
    root = tmp_path / "publications"
    shutil.copytree(demo_store.root, root, symlinks=True)
    publication = PublicationStore(root).current()
    assert publication is not None
    manifest_path = publication.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["name"] == "units.json":
            entry["requires_scope"] = "lookup:history"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    app = create_app(PublicationStore(root), settings=LookupSettings(check_interval=0.0))
    with TestClient(app) as http:
        html = http.get("/downloads").text
    row = _file_row(html, "units.json")
    assert "Kræver godkendt adgang" in row and "<code>lookup:history</code>" in row
    assert "personoplysninger" not in row  # the manifest does not say it holds personal data
    assert f'href="/api/v1/publications/{publication.number}/files/units.json"' not in html


def test_the_map_is_a_list_first_and_loads_nothing_from_elsewhere(web: TestClient) -> None:
    html = web.get("/map").text
    assert '<ol id="map-list"' in html and "data-lat=" in html
    assert "leaflet/leaflet.js" in html and not EXTERNAL.search(html)
    assert web.get("/map.json").json()["total"] > 0


def test_the_tile_server_is_configurable(
    demo_store: PublicationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOR_MAP_TILES", "https://tile.example.org/{z}/{x}/{y}.png")
    app = create_app(demo_store, settings=LookupSettings(check_interval=0.0))
    with TestClient(app) as http:
        response = http.get("/map")
    assert (
        "img-src 'self' data: https://tile.example.org"
        in response.headers["content-security-policy"]
    )
    assert 'data-tiles="https://tile.example.org/{z}/{x}/{y}.png"' in response.text


def test_a_unit_page_with_its_css_and_js_weighs_under_50_kb(
    web: TestClient, model: sqlite3.Connection
) -> None:
    (sor_id,) = one(model, "SELECT parent_sor_id FROM unit WHERE level = 'OE' ORDER BY sor_id")
    html = web.get(f"/units/{sor_id}").text
    total = len(html.encode())
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        total += len(web.get(asset.replace("&amp;", "&")).content)
    assert total <= 50_000, total


def test_static_files_are_cached_for_a_year(web: TestClient) -> None:
    response = web.get("/static/site.css")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (
        web.get("/static/site.css", headers={"If-None-Match": response.headers["etag"]}).status_code
        == 304
    )
    assert web.get("/static/leaflet/LICENSE").status_code == 200
    assert web.get("/static/nothing.js").status_code == 404
