"""``GET /api/v1/units``: text, codes, fuzzy, filters, distance, and cursor paging."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest
from starlette.testclient import TestClient

from opensor.lookup.app import create_app
from opensor.lookup.fuzzy import FoldedNames, similarity
from opensor.lookup.readmodel import SUMMARY_TABLE_COLUMNS
from opensor.lookup.search import query_words
from opensor.lookup.settings import LookupSettings
from opensor.publication.schema import fold_danish
from opensor.publication.store import PublicationStore

SEARCH = "/api/v1/units"


def _walk(client: TestClient, params: dict[str, str]) -> tuple[list[dict], set[int]]:
    items: list[dict] = []
    totals: set[int] = set()
    response = client.get(SEARCH, params=params)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        totals.add(page["total"])
        items += page["items"]
        if page["next"] is None:
            return items, totals
        response = client.get(page["next"])


def _ids(items: list[dict]) -> list[str]:
    return [item["sor_id"] for item in items]


def test_without_q_every_unit_is_listed_by_name_once(client: TestClient, model):
    expected = [
        str(r[0]) for r in model.execute("SELECT sor_id FROM unit ORDER BY name_folded, sor_id")
    ]
    items, totals = _walk(client, {"limit": "37"})
    assert _ids(items) == expected
    assert totals == {len(expected)} == {528}


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a", "limit": "7"},
        {"q": "klinik", "limit": "5"},
        {"level": "OE", "limit": "50"},
        {"region": "1084", "active": "true", "limit": "9"},
        {"near": "55.68,12.57", "radius_km": "30", "limit": "4"},
        {"q": "l", "near": "56.15,10.2", "radius_km": "50", "limit": "3"},
    ],
)
def test_walking_every_page_drops_and_repeats_no_row(client: TestClient, params):
    first = client.get(SEARCH, params={**params, "limit": "500"}).json()
    items, totals = _walk(client, params)
    assert len(items) == len(set(_ids(items)))
    assert totals == {len(items)}
    assert _ids(items) == _ids(first["items"])  # same order whatever the page size


def test_prefix_search_folds_danish_letters_and_case(client: TestClient, model):
    name = next(
        n
        for (n,) in model.execute("SELECT name FROM unit ORDER BY sor_id")
        if any(c in n.lower() for c in "æøå")
    )
    word = next(w for w in name.split() if any(c in w.lower() for c in "æøå"))
    ascii_word = fold_danish(word)
    for query in (word, word.upper(), ascii_word, ascii_word[:4]):
        items = client.get(SEARCH, params={"q": query, "limit": "500"}).json()["items"]
        assert name in [item["name"] for item in items], query


def test_several_words_must_all_match(client: TestClient, model):
    name = next(n for (n,) in model.execute("SELECT name FROM unit") if len(n.split()) >= 3)
    words = query_words(name)
    query = " ".join(w[:3] for w in words[:2])
    items = client.get(SEARCH, params={"q": query, "limit": "500"}).json()["items"]
    assert name in [item["name"] for item in items]
    for item in items:
        folded = query_words(item["name"])
        assert all(any(f.startswith(w[:3]) for f in folded) for w in words[:2]) or item[
            "match"
        ] in ("code", "related")


def test_an_exact_name_ranks_before_prefixes_and_other_words(client: TestClient, model):
    (name,) = model.execute(
        "SELECT name FROM unit u WHERE (SELECT count(*) FROM unit v WHERE "
        "v.name_folded LIKE u.name_folded || '%') > 1 ORDER BY sor_id LIMIT 1"
    ).fetchone()
    items = client.get(SEARCH, params={"q": name, "limit": "500"}).json()["items"]
    assert items[0]["name"] == name
    assert items[0]["match"] == "exact"
    tiers = [("code", "exact", "prefix", "words", "related").index(i["match"]) for i in items]
    assert tiers == sorted(tiers)


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("sor_id", "SOR-ID"),
        ("shak", "SHAK"),
        ("provider_number", "ydernummer"),
        ("cvr", "CVR"),
        ("gln", "GLN"),
    ],
)
def test_a_code_typed_in_the_box_finds_its_unit_first(client: TestClient, model, column, kind):
    condition = "gln_source = sor_id" if column == "gln" else f"{column} IS NOT NULL"
    sor_id, code = model.execute(
        f"SELECT sor_id, {column} FROM unit WHERE {condition} ORDER BY sor_id LIMIT 1"
    ).fetchone()
    page = client.get(SEARCH, params={"q": str(code)}).json()
    assert page["items"][0]["sor_id"] == str(sor_id), kind
    assert page["items"][0]["match"] == "code"


def test_a_postcode_finds_the_units_there(client: TestClient, model):
    (postcode,) = model.execute(
        "SELECT postcode FROM unit WHERE postcode IS NOT NULL GROUP BY postcode "
        "ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    expected = {
        str(r[0]) for r in model.execute("SELECT sor_id FROM unit WHERE postcode = ?", (postcode,))
    }
    items, _ = _walk(client, {"q": postcode})
    assert expected <= set(_ids(items))


def test_fuzzy_matching_finds_a_misspelt_name(client: TestClient, model):
    (name,) = (
        model.execute(
            "SELECT name FROM unit WHERE level = 'SI' AND name_folded NOT LIKE '% %' "
            "AND length(name) > 8 ORDER BY sor_id LIMIT 1"
        ).fetchone()
        or model.execute("SELECT name FROM unit WHERE level='SI' LIMIT 1").fetchone()
    )
    word = max(query_words(name), key=len)
    misspelt = word[:2] + word[3:]  # one letter dropped
    assert client.get(SEARCH, params={"q": misspelt, "fuzzy": "false"}).json()["total"] == 0
    page = client.get(SEARCH, params={"q": misspelt}).json()
    assert name in [item["name"] for item in page["items"]]
    hit = next(item for item in page["items"] if item["name"] == name)
    assert hit["match"] == "fuzzy"
    assert 0.75 <= hit["similarity"] <= 1


def test_fuzzy_true_adds_similar_names_after_prefix_matches(client: TestClient):
    page = client.get(SEARCH, params={"q": "hospital", "fuzzy": "true", "limit": "500"}).json()
    matches = [item["match"] for item in page["items"]]
    assert matches and matches[0] != "fuzzy"
    assert page["total"] == len(page["items"])
    if "fuzzy" in matches:
        first_fuzzy = matches.index("fuzzy")
        assert all(m == "fuzzy" for m in matches[first_fuzzy:])


@pytest.mark.parametrize(
    "params",
    [
        {"q": "klinik", "fuzzy": "true"},
        {"q": "tandlage", "fuzzy": "true"},
        {"q": "klinik", "fuzzy": "true", "municipality": "0101,0147"},
        {"q": "klinik", "fuzzy": "true", "near": "55.68,12.57", "radius_km": "60"},
        {"q": "tandlaege 2100", "fuzzy": "true"},
    ],
)
def test_fuzzy_pages_walk_the_whole_result_in_order(client: TestClient, params):
    whole = client.get(SEARCH, params={**params, "limit": "500"}).json()
    assert any(item["match"] == "fuzzy" for item in whole["items"])
    items, totals = _walk(client, {**params, "limit": "7"})
    assert items == whole["items"]
    assert totals == {whole["total"]} == {len(items)}


def test_fuzzy_candidates_named_from_memory_or_the_read_model_alike(
    demo_store: PublicationStore, model
):
    """Names held in memory (built by a first page) and names read per candidate agree."""
    params = {"q": "klinik", "fuzzy": "true", "limit": "5"}
    with TestClient(create_app(demo_store)) as warm:
        first = warm.get(SEARCH, params=params).json()
        assert warm.app.state.provider.current().memo.get("folded_names")  # type: ignore[attr-defined]
        second = warm.get(first["next"]).json()
    with TestClient(create_app(demo_store)) as cold:  # a later page alone builds nothing
        assert cold.get(first["next"]).json() == second
        assert "folded_names" not in cold.app.state.provider.current().memo  # type: ignore[attr-defined]
    names = FoldedNames(model.execute("SELECT sor_id, name_folded FROM unit ORDER BY sor_id"))
    expected = dict(model.execute("SELECT sor_id, name_folded FROM unit ORDER BY name_folded"))
    assert len(names) == len(expected)
    found = names.names(expected)
    assert found == expected and list(found) == list(expected)
    assert names.names([*expected, max(expected) + 1]) is None
    assert names.names([min(expected) - 1]) is None
    assert names.names([]) == {}


def test_similarity_compares_against_the_best_window_of_the_name():
    assert similarity("rigshopitalet", "rigshospitalet afdeling for hjertesygdomme") > 0.9
    assert similarity("koge", "koege sygehus") > 0.75
    assert similarity("aalborg", "hudklinikken glesborg") < 0.75


@pytest.mark.parametrize(
    ("params", "column", "value"),
    [
        ({"level": "SI"}, "level", "SI"),
        ({"level": "si,oe"}, "level", None),
        ({"type": "22232009"}, "type_code", "22232009"),
        ({"region": "1081"}, "region_code", "1081"),
        ({"municipality": "851"}, "municipality_code", "0851"),
        ({"country": "dk"}, "country", "DK"),
        ({"active": "false"}, "active", False),
    ],
)
def test_filters(client: TestClient, params, column, value):
    items, _ = _walk(client, {**params, "limit": "500"})
    assert items
    for item in items:
        if column == "level" and value is None:
            assert item["level"] in ("SI", "OE")
        elif column == "type_code":
            assert item["type_code"] == value
        else:
            assert item[column] == value


def test_code_filters_and_speciality(client: TestClient, model):
    for column, parameter in (
        ("shak", "shak"),
        ("provider_number", "ydernummer"),
        ("cvr", "cvr"),
        ("gln", "ean"),
        ("postcode", "postcode"),
    ):
        (code,) = model.execute(
            f"SELECT {column} FROM unit WHERE {column} IS NOT NULL LIMIT 1"
        ).fetchone()
        expected = {
            str(r[0]) for r in model.execute(f"SELECT sor_id FROM unit WHERE {column} = ?", (code,))
        }
        items, _ = _walk(client, {parameter: code, "limit": "500"})
        assert set(_ids(items)) == expected, parameter
    row = model.execute("SELECT code FROM unit_speciality LIMIT 1").fetchone()
    if row is not None:
        expected = {
            str(r[0])
            for r in model.execute("SELECT sor_id FROM unit_speciality WHERE code = ?", row)
        }
        items, _ = _walk(client, {"speciality": row[0], "limit": "500"})
        assert set(_ids(items)) == expected


def test_near_keeps_units_within_the_radius_nearest_first(client: TestClient, model):
    lat, lon = 55.6761, 12.5683  # Copenhagen
    page = client.get(
        SEARCH, params={"near": f"{lat},{lon}", "radius_km": "25", "limit": "500"}
    ).json()
    distances = [item["distance_km"] for item in page["items"]]
    assert distances and distances == sorted(distances)
    assert max(distances) <= 25
    everyone = model.execute("SELECT count(*) FROM unit WHERE latitude IS NOT NULL").fetchone()[0]
    assert page["total"] < everyone


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("level=XX", "level"),
        ("type=abc", "type"),
        ("shak=12", "shak"),
        ("ean=5790000141228", "ean"),
        ("ydernummer=1234567", "ydernummer"),
        ("cvr=12345678", "cvr"),
        ("postcode=12", "postcode"),
        ("municipality=12345", "municipality"),
        ("region=2000", "region"),
        ("country=Denmark", "country"),
        ("active=maybe", "active"),
        ("near=91,10", "near"),
        ("near=abc", "near"),
        ("near=55,12&radius_km=0", "radius_km"),
        ("radius_km=5", "radius_km"),
        ("fuzzy=true", "fuzzy"),
        ("q=koege&fuzzy=perhaps", "fuzzy"),
        ("q=%21%21%21", "q"),
        ("limit=abc", "limit"),
        ("limit=100000", "limit"),
        ("cursor=bm90IGEgY3Vyc29y", "cursor"),
        ("sorted=name", "sorted"),
    ],
)
def test_bad_search_parameters_are_400_naming_them(client: TestClient, query, parameter):
    response = client.get(f"{SEARCH}?{query}")
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["parameter"] == parameter
    assert response.headers["content-type"] == "application/problem+json"


def test_a_cursor_belongs_to_its_query(client: TestClient):
    page = client.get(SEARCH, params={"q": "a", "limit": "2"}).json()
    cursor = page["next"].split("cursor=")[1]
    other = client.get(SEARCH, params={"q": "b", "limit": "2", "cursor": cursor})
    assert other.status_code == 400
    assert "other parameters" in other.json()["detail"]
    # The limit may change between pages.
    bigger = client.get(SEARCH, params={"q": "a", "limit": "5", "cursor": cursor})
    assert bigger.status_code == 200


def test_a_cursor_keeps_its_publication_and_expires_when_it_is_pruned(
    store_copy: PublicationStore,
):
    root = store_copy.root
    os.replace(root / "current", root / "current.bak")
    os.symlink("000001", root / "current")
    app = create_app(store_copy, settings=LookupSettings(check_interval=0.0))
    with TestClient(app) as client:
        first = client.get(SEARCH, params={"limit": "100"}).json()
        assert first["publication"] == 1
        # Publication 2 becomes current: the walk begun on 1 goes on on 1 to the end.
        os.replace(root / "current.bak", root / "current")
        assert client.get(SEARCH, params={"limit": "1"}).json()["publication"] == 2
        items = list(first["items"])
        response = client.get(first["next"])
        while True:
            page = response.json()
            assert page["publication"] == 1
            items += page["items"]
            if page["next"] is None:
                break
            response = client.get(page["next"])
        assert len(items) == len({i["sor_id"] for i in items}) == first["total"]
    # Once publication 1 is no longer kept, its cursors are answered 410.
    shutil.rmtree(root / "000001")
    with TestClient(create_app(store_copy)) as client:
        gone = client.get(first["next"])
    assert gone.status_code == 410
    assert gone.json()["type"] == "/api/v1/docs#problem-cursor-expired"
    assert "start again" in gone.json()["detail"]


def test_a_narrow_summary_table_is_used_when_the_read_model_has_one(
    demo_store: PublicationStore, store_copy: PublicationStore
):
    # The publisher writes unit_summary; a copy without it stands for an older read model.
    publication = store_copy.current()
    with sqlite3.connect(publication.read_model_path) as writable:
        columns = {row[1] for row in writable.execute("PRAGMA table_info(unit_summary)")}
        assert columns >= SUMMARY_TABLE_COLUMNS
        writable.execute("DROP TABLE unit_summary")
    writable.close()
    queries = [
        {"limit": "500"},
        {"q": "a", "limit": "500"},
        {"q": "klinik", "fuzzy": "true", "limit": "500"},
        {"region": "1082", "level": "OE", "limit": "500"},
        {"near": "56.15,10.2", "radius_km": "40", "limit": "500"},
    ]
    with TestClient(create_app(store_copy)) as wide, TestClient(create_app(demo_store)) as narrow:
        assert narrow.app.state.provider.current().list_table == "unit_summary"  # type: ignore[attr-defined]
        assert wide.app.state.provider.current().list_table == "unit"  # type: ignore[attr-defined]
        for params in queries:
            assert (
                narrow.get(SEARCH, params=params).json() == wide.get(SEARCH, params=params).json()
            )
        owner = wide.get(SEARCH, params={"level": "IE", "limit": "1"}).json()["items"][0]["sor_id"]
        for suffix in ("children", "subtree", "ancestors"):
            url = f"/api/v1/units/{owner}/{suffix}"
            assert narrow.get(url).json() == wide.get(url).json()


@pytest.mark.parametrize(
    ("params", "where", "args"),
    [
        ({"level": "OE", "region": "1084", "active": "true"},
         "level = ? AND region_code = ? AND active = 1", ["OE", "1084"]),
        ({"municipality": "0101,0147"}, "municipality_code IN (?, ?)", ["0101", "0147"]),
        ({"postcode": "{busiest}", "level": "SI,OE"},
         "postcode = ? AND level IN ('SI', 'OE')", ["{busiest}"]),
        ({"country": "DK", "type": "22232009"},
         "country = ? AND type_code = ?", ["DK", "22232009"]),
        ({"active": "false"}, "active = 0", []),
    ],
)  # fmt: skip
def test_the_total_of_a_search_by_filters_is_the_exact_count(
    client: TestClient, model, params, where, args
):
    """Searches by filters alone take their total from the counts per combination of codes."""
    (busiest,) = model.execute(
        "SELECT postcode FROM unit GROUP BY postcode ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    params = {key: value.format(busiest=busiest) for key, value in params.items()}
    args = [value.format(busiest=busiest) for value in args]
    (expected,) = model.execute(f"SELECT count(*) FROM unit WHERE {where}", args).fetchone()
    assert expected > 0
    assert model.execute("SELECT count(*) FROM unit_facet").fetchone()[0] > 0
    response = client.get("/api/v1/units", params={**params, "limit": "1"})
    assert response.status_code == 200
    assert response.json()["total"] == expected


@pytest.mark.parametrize("busiest", [0, 1])
@pytest.mark.parametrize("limit", ["1", "3"])
def test_a_first_page_by_name_with_filters_is_the_start_of_the_whole_result(
    client: TestClient, model, busiest, limit
):
    """Read through the name index or the filter's own index, the first page is the same."""
    (code,) = model.execute(
        "SELECT municipality_code FROM unit GROUP BY municipality_code "
        "ORDER BY count(*) DESC, municipality_code LIMIT 1 OFFSET ?",
        (busiest,),
    ).fetchone()
    (word,) = model.execute(
        "SELECT substr(name_folded, 1, 3) FROM unit WHERE municipality_code = ? "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        (code,),
    ).fetchone()
    params = {"q": word, "municipality": code, "fuzzy": "false"}
    whole = client.get(SEARCH, params={**params, "limit": "500"}).json()
    assert whole["total"] > int(limit) + 1
    first = client.get(SEARCH, params={**params, "limit": limit}).json()
    assert first["items"] == whole["items"][: int(limit)]
    assert {item["match"] for item in first["items"]} <= {"exact", "prefix"}
    items, totals = _walk(client, {**params, "limit": limit})
    assert items == whole["items"] and totals == {whole["total"]}


@pytest.mark.parametrize("column", ["municipality_code", "region_code", "postcode"])
def test_words_and_filters_are_matched_together_in_the_full_text_index(
    client: TestClient, model, column
):
    """A name prefix with a municipality, region or postcode finds exactly the units with both."""
    from opensor.lookup.search import query_words

    assert model.execute("SELECT value FROM meta WHERE key = 'search_filter_tokens'").fetchone()
    parameter = {"municipality_code": "municipality", "region_code": "region"}.get(column, column)
    (code,) = model.execute(
        f"SELECT {column} FROM unit WHERE {column} IS NOT NULL "
        f"GROUP BY {column} ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    names = model.execute(f"SELECT sor_id, name_folded FROM unit WHERE {column} = ?", (code,))
    rows = list(names)
    word = query_words(rows[0][1])[0][:4]
    expected = {
        str(sor_id)
        for sor_id, folded in rows
        if any(token.startswith(word) for token in query_words(folded))
    }
    items, totals = _walk(client, {"q": word, parameter: code, "fuzzy": "false", "limit": "500"})
    assert {item["sor_id"] for item in items} == expected
    assert totals == {len(expected)} and expected
