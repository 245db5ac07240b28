"""``/api/v1/units/{sorId}`` and its tree: stored bytes, ``as_of``, children, ancestors, subtree."""

from __future__ import annotations

import sqlite3

import pytest
from starlette.testclient import TestClient

API = "/api/v1"


def _hospital(model: sqlite3.Connection) -> int:
    """An active hospital that has children."""
    row = model.execute(
        "SELECT u.sor_id FROM unit u WHERE u.level = 'SI' AND u.active = 1 AND u.shak IS NOT NULL "
        "AND (SELECT count(*) FROM unit c WHERE c.parent_sor_id = u.sor_id) >= 3 "
        "ORDER BY u.sor_id LIMIT 1"
    ).fetchone()
    return int(row[0])


def test_a_unit_is_its_stored_bytes_with_etag_and_cache_headers(client: TestClient, model):
    sor_id, etag, doc = model.execute("SELECT sor_id, etag, doc FROM unit LIMIT 1").fetchone()
    response = client.get(f"{API}/units/{sor_id}")
    assert response.status_code == 200
    assert response.content == doc
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(doc))
    assert response.headers["etag"] == f'"{etag}"'
    assert response.headers["cache-control"] == "public, max-age=300"

    again = client.get(f"{API}/units/{sor_id}", headers={"if-none-match": f'"{etag}"'})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == f'"{etag}"'
    weak = client.get(f"{API}/units/{sor_id}", headers={"if-none-match": f'"x", W/"{etag}"'})
    assert weak.status_code == 304
    other = client.get(f"{API}/units/{sor_id}", headers={"if-none-match": '"other"'})
    assert other.status_code == 200


def test_head_gives_the_headers_without_the_body(client: TestClient, model):
    sor_id, doc = model.execute("SELECT sor_id, doc FROM unit LIMIT 1").fetchone()
    response = client.head(f"{API}/units/{sor_id}")
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(doc))
    assert response.content == b""


def test_as_of_the_publication_date_resolves_to_the_stored_document(client: TestClient, model):
    # Every unit valid on the publication date: the document resolved from the version
    # records is byte for byte the one the publisher stored.
    # A personal-data unit's full document is kept apart from the public one (unit_personal);
    # without an active protected channel both routes serve the full one.
    rows = model.execute(
        "SELECT u.sor_id, COALESCE(p.doc, u.doc) FROM unit u"
        " LEFT JOIN unit_personal p USING (sor_id) WHERE u.active = 1"
    ).fetchall()
    assert len(rows) > 500
    for sor_id, doc in rows:
        response = client.get(f"{API}/units/{sor_id}", params={"as_of": "2025-12-01"})
        assert response.status_code == 200, response.text
        assert response.content == doc, sor_id


def test_as_of_an_earlier_date_reads_the_version_valid_then(client: TestClient, model):
    sor_id, valid_from, first_from = model.execute(
        "SELECT sor_id, valid_from, first_from FROM unit WHERE active = 1 AND version_count > 1 "
        "AND valid_from > first_from LIMIT 1"
    ).fetchone()
    current = client.get(f"{API}/units/{sor_id}").json()
    earlier = client.get(f"{API}/units/{sor_id}", params={"as_of": first_from}).json()
    assert earlier["as_of"] == first_from
    assert earlier["unit"]["validity"]["valid_from"] < valid_from
    assert current["unit"]["validity"]["valid_from"] == valid_from
    assert earlier["versions"] == current["versions"] > 1

    before = client.get(f"{API}/units/{sor_id}", params={"as_of": "1900-01-01"})
    assert before.status_code == 404
    problem = before.json()
    assert f"did not exist on 1900-01-01; it is valid from {first_from}" in problem["detail"]
    assert before.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/units/123", "sorId"),
        ("/units/abc", "sorId"),
        ("/units/8341000016003", "sorId"),  # wrong check digit
        ("/units/8341000016002?as_of=2025-13-01", "as_of"),
        ("/units/8341000016002?as_of=yesterday", "as_of"),
    ],
)
def test_malformed_parameters_are_400_naming_them(client: TestClient, path: str, parameter: str):
    response = client.get(API + path)
    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400
    assert problem["parameter"] == parameter
    assert problem["type"] == "/api/v1/docs#problem-invalid-parameter"
    assert "allowed" in problem


def test_an_unknown_unit_is_404(client: TestClient):
    response = client.get(f"{API}/units/8341000016002")
    assert response.status_code == 404
    assert response.json()["detail"] == "no unit has SOR-ID 8341000016002"
    as_of = client.get(f"{API}/units/8341000016002?as_of=2020-01-01")
    assert as_of.status_code == 404
    assert as_of.json()["detail"] == "no unit has SOR-ID 8341000016002"


def test_unknown_query_parameters_are_refused(client: TestClient, model):
    (sor_id,) = model.execute("SELECT sor_id FROM unit LIMIT 1").fetchone()
    response = client.get(f"{API}/units/{sor_id}", params={"asof": "2020-01-01"})
    assert response.status_code == 400
    problem = response.json()
    assert problem["parameter"] == "asof"
    assert problem["allowed"] == ["as_of"]
    twice = client.get(f"{API}/units/{sor_id}?as_of=2020-01-01&as_of=2021-01-01")
    assert twice.status_code == 400
    assert "more than once" in twice.json()["detail"]


def _walk(client: TestClient, url: str, params: dict[str, str]) -> tuple[list[dict], set[int]]:
    """Every item of every page, and the totals the pages reported."""
    items: list[dict] = []
    totals: set[int] = set()
    response = client.get(url, params=params)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        totals.add(page["total"])
        items += page["items"]
        assert page["count"] == len(page["items"]) <= page["limit"]
        if page["next"] is None:
            return items, totals
        response = client.get(page["next"])


def test_children_are_paged_by_name_without_loss_or_repeat(client: TestClient, model):
    hospital = _hospital(model)
    expected = [
        str(row[0])
        for row in model.execute(
            "SELECT sor_id FROM unit WHERE parent_sor_id = ? ORDER BY name, sor_id", (hospital,)
        )
    ]
    items, totals = _walk(client, f"{API}/units/{hospital}/children", {"limit": "2"})
    assert [item["sor_id"] for item in items] == expected
    assert totals == {len(expected)}
    assert all(item["parent_sor_id"] == str(hospital) for item in items)

    active = client.get(f"{API}/units/{hospital}/children", params={"active": "true"}).json()
    assert all(item["active"] for item in active["items"])


def test_ancestors_are_nearest_first(client: TestClient, model):
    sor_id, path = model.execute(
        "SELECT sor_id, path FROM unit WHERE depth >= 2 ORDER BY depth DESC LIMIT 1"
    ).fetchone()
    response = client.get(f"{API}/units/{sor_id}/ancestors")
    assert response.status_code == 200
    ids = [item["sor_id"] for item in response.json()["items"]]
    assert ids == path.strip("/").split("/")[:-1][::-1]
    assert response.json()["items"][-1]["level"] == "IE"
    owner = ids[-1]
    assert client.get(f"{API}/units/{owner}/ancestors").json()["items"] == []


def test_the_subtree_is_depth_first_and_complete(client: TestClient, model):
    owner, path = model.execute(
        "SELECT sor_id, path FROM unit WHERE level = 'IE' ORDER BY "
        "(SELECT count(*) FROM unit d WHERE d.path LIKE unit.path || '%') DESC LIMIT 1"
    ).fetchone()
    expected = [
        str(row[0])
        for row in model.execute(
            "SELECT sor_id FROM unit WHERE substr(path, 1, ?) = ? ORDER BY path",
            (len(path), path),
        )
    ]
    assert len(expected) > 5
    items, totals = _walk(client, f"{API}/units/{owner}/subtree", {"limit": "3"})
    assert [item["sor_id"] for item in items] == expected
    assert items[0]["sor_id"] == str(owner)
    assert totals == {len(expected)}

    shallow = client.get(f"{API}/units/{owner}/subtree", params={"max_depth": "1"}).json()
    assert {item["depth"] for item in shallow["items"]} <= {0, 1}
    alone = client.get(f"{API}/units/{owner}/subtree", params={"max_depth": "0"}).json()
    assert [item["sor_id"] for item in alone["items"]] == [str(owner)]


def test_tree_endpoints_answer_404_and_400(client: TestClient):
    for suffix in ("children", "ancestors", "subtree"):
        assert client.get(f"{API}/units/8341000016002/{suffix}").status_code == 404
        assert client.get(f"{API}/units/99/{suffix}").status_code == 400
    assert client.get(f"{API}/units/8341000016002/children?limit=501").status_code == 400
    bad = client.get(f"{API}/units/8341000016002/children?cursor=zzz")
    assert bad.status_code == 400
    assert bad.json()["parameter"] == "cursor"
