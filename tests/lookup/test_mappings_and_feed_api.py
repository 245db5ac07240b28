"""SHAK and GLN mappings, the change feed, the publications and their downloads."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from starlette.testclient import TestClient

from opensor.publication.exports import PERSONAL_DATA_FILES
from opensor.publication.schema import PRIVATE_FILES

API = "/api/v1"


# -- SHAK and GLN ----------------------------------------------------------------------------


def test_a_shak_code_maps_to_its_units(client: TestClient, model):
    (code,) = model.execute("SELECT shak FROM unit WHERE shak IS NOT NULL LIMIT 1").fetchone()
    expected = {str(r[0]) for r in model.execute("SELECT sor_id FROM unit WHERE shak = ?", (code,))}
    response = client.get(f"{API}/shak/{code.lower()}")
    assert response.status_code == 200
    body = response.json()
    assert body["shak"] == code
    assert body["as_of"] == "2025-12-01"
    assert {unit["sor_id"] for unit in body["units"]} == expected
    assert response.headers["etag"]
    assert (
        client.get(
            f"{API}/shak/{code}", headers={"if-none-match": response.headers["etag"]}
        ).status_code
        == 304
    )


def test_a_shak_code_as_of_a_date_reads_the_versions_valid_then(client: TestClient, model):
    sor_id, code = model.execute(
        "SELECT sor_id, shak FROM unit WHERE shak IS NOT NULL AND active = 0 "
        "AND valid_to IS NOT NULL LIMIT 1"
    ).fetchone()
    (first,) = model.execute(
        "SELECT min(valid_from) FROM unit_version WHERE sor_id = ?", (sor_id,)
    ).fetchone()
    then = client.get(f"{API}/shak/{code}", params={"as_of": first}).json()
    assert str(sor_id) in [unit["sor_id"] for unit in then["units"]]
    assert all(unit["active"] for unit in then["units"])
    assert then["units"][0]["href"].endswith(f"?as_of={first}")
    later = client.get(f"{API}/shak/{code}", params={"as_of": "2099-01-01"})
    if later.status_code == 200:
        assert str(sor_id) not in [unit["sor_id"] for unit in later.json()["units"]]
    else:
        assert later.status_code == 404


def test_shak_errors(client: TestClient):
    assert client.get(f"{API}/shak/12").json()["parameter"] == "shak"
    assert client.get(f"{API}/shak/ABCDEFGH").status_code == 400
    missing = client.get(f"{API}/shak/0000")
    assert missing.status_code == 404
    assert "0000" in missing.json()["detail"]
    assert client.get(f"{API}/shak/8001?as_of=2025-02-30").json()["parameter"] == "as_of"


def test_a_gln_maps_to_its_location_number_and_owner(client: TestClient, model):
    gln, owner, doc = model.execute(
        "SELECT gln, owner_sor_id, doc FROM location_number WHERE active = 1 LIMIT 1"
    ).fetchone()
    response = client.get(f"{API}/ean/{gln}")
    assert response.status_code == 200
    body = response.json()
    assert body["gln"] == gln
    assert body["owner"]["sor_id"] == str(owner)
    assert body["location_number"] == json.loads(doc)
    (users,) = model.execute("SELECT count(*) FROM unit WHERE gln = ?", (gln,)).fetchone()
    assert body["effective_for_units"] == users

    # As of the publication date the document resolved from the versions is the stored one.
    then = client.get(f"{API}/ean/{gln}", params={"as_of": "2025-12-01"}).json()
    stored = json.loads(doc)
    assert then["location_number"]["location_number"] == stored["location_number"]
    assert then["location_number"]["gln"] == stored["gln"]
    assert then["owner"]["sor_id"] == str(owner)


def test_gln_errors(client: TestClient):
    assert client.get(f"{API}/ean/5790000141228").json()["parameter"] == "gln"
    assert client.get(f"{API}/ean/579").status_code == 400
    assert client.get(f"{API}/ean/5790000141227").status_code == 404
    old = client.get(f"{API}/ean/5790000141227?as_of=2000-01-01")
    assert old.status_code == 404
    assert "no location number has GLN" in old.json()["detail"]


# -- change feed -----------------------------------------------------------------------------


def test_the_change_feed_is_gap_free_and_paged(client: TestClient, model):
    (last,) = model.execute("SELECT max(seq) FROM change_event").fetchone()
    assert last > 10
    seen: list[int] = []
    response = client.get(f"{API}/changes", params={"since": "0", "limit": "97"})
    while True:
        assert response.status_code == 200
        page = response.json()
        assert page["last_seq"] == last
        seen += [event["seq"] for event in page["events"]]
        if not page["more"]:
            break
        response = client.get(page["next"])
    assert seen == list(range(1, last + 1))
    assert page["next"] == f"{API}/changes?since={last}&limit=97"
    # Polling at the end answers an empty page pointing at the same place.
    empty = client.get(page["next"]).json()
    assert empty["events"] == [] and empty["more"] is False
    assert empty["next"] == page["next"]


def test_change_events_carry_their_documents(client: TestClient, model):
    page = client.get(f"{API}/changes", params={"limit": "5"}).json()
    for event in page["events"]:
        row = model.execute(
            "SELECT entity, id, kind, changed_fields, doc FROM change_event WHERE seq = ?",
            (event["seq"],),
        ).fetchone()
        assert (event["entity"], event["id"], event["kind"]) == row[:3]
        assert event["changed_fields"] == json.loads(row[3])
        assert event["doc"] == (json.loads(row[4]) if row[4] is not None else None)


def test_change_feed_errors(client: TestClient):
    assert client.get(f"{API}/changes?since=-1").json()["parameter"] == "since"
    assert client.get(f"{API}/changes?limit=1001").json()["parameter"] == "limit"
    assert client.get(f"{API}/changes?from=1").json()["parameter"] == "from"


# -- publications and files ------------------------------------------------------------------


def test_publications_are_listed_newest_first(client: TestClient, demo_store):
    body = client.get(f"{API}/publications").json()
    assert body["current"] == 2
    assert [p["number"] for p in body["publications"]] == [2, 1]
    assert body["publications"][0]["current"] is True
    assert body["publications"][1]["manifest"]["as_of"] == "2025-06-01"


def test_the_latest_manifest_is_served_as_written(client: TestClient, demo_store):
    publication = demo_store.current()
    response = client.get(f"{API}/publications/latest")
    assert response.status_code == 200
    assert response.content == (publication.path / "manifest.json").read_bytes()
    assert response.headers["cache-control"] == "public, max-age=60"
    older = client.get(f"{API}/publications/1")
    assert older.json()["number"] == 1
    assert "immutable" in older.headers["cache-control"]
    assert client.get(f"{API}/publications/9").status_code == 404
    assert client.get(f"{API}/publications/x").json()["parameter"] == "number"


@pytest.mark.parametrize("number", [1, 2])
def test_every_file_downloads_with_its_checksums(client: TestClient, demo_store, number):
    publication = demo_store.get(number)
    for entry in publication.manifest["files"]:
        url = f"{API}/publications/{number}/files/{entry['name']}"
        if entry["name"] in PRIVATE_FILES:
            # the read model holds personal data: listed for integrity, never served
            assert client.get(url).status_code == 404
            continue
        response = client.get(url)
        assert response.status_code == 200
        data = response.content
        assert len(data) == entry["size"] == int(response.headers["content-length"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert response.headers["etag"] == f'"{entry["sha256"]}"'
        digest = base64.b64encode(bytes.fromhex(entry["sha256"])).decode()
        assert response.headers["repr-digest"] == f"sha-256=:{digest}:"
        assert response.headers["digest"] == f"SHA-256={digest}"
        if entry["name"] in PERSONAL_DATA_FILES:
            # the complete SorTree file: served without a protected channel, never cached
            assert response.headers["cache-control"] == "private, no-store"
        else:
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-type"].startswith(entry["media_type"])
        cached = client.get(url, headers={"if-none-match": response.headers["etag"]})
        assert cached.status_code == 304


def test_a_file_can_be_read_in_ranges(client: TestClient, demo_store):
    publication = demo_store.current()
    data = (publication.path / "units.json").read_bytes()
    url = f"{API}/publications/{publication.number}/files/units.json"
    part = client.get(url, headers={"range": "bytes=10-99"})
    assert part.status_code == 206
    assert part.content == data[10:100]
    assert part.headers["content-range"] == f"bytes 10-99/{len(data)}"


def test_unknown_files_are_404(client: TestClient):
    for name in ("nothing.txt", ".lock", "%2e%2e%2fcurrent", "manifest.json.bak"):
        response = client.get(f"{API}/publications/2/files/{name}")
        assert response.status_code == 404, name
