"""The FHIR API over real publications of the demo register, through the real ASGI app.

Expectations are computed from the read model with plain SQL, so the tests check the API
against the publication rather than against remembered numbers. Every response body is
parsed strictly (FHIR R4 4.0.1 models of fhirclient and the R4B models of fhir.resources).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import pytest
from tests.domain.test_fhir_strict import assert_strict_fhir

from opensor.domain.fhir.systems import (
    GLN_SYSTEM,
    LEVEL_SYSTEM,
    MESSAGE_TYPE_SYSTEM,
    PROVIDER_NUMBER_SYSTEM,
    SHAK_SYSTEM,
    SNOMED_SYSTEM,
    SOR_SYSTEM,
)
from opensor.lookup.app import create_app
from opensor.lookup.settings import LookupSettings
from opensor.publication.store import PublicationStore

BASE = "http://lookup.test/fhir"


class Http:
    """A synchronous face on httpx's ASGI transport (one event loop per request)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def run() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://lookup.test") as c:
                return await c.request(method, url, **kwargs)

        return anyio.run(run)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def fhir(self, url: str, status: int = 200) -> dict[str, Any]:
        """GET a FHIR URL, check status and media type, parse the body strictly."""
        response = self.get(url)
        assert response.status_code == status, (url, response.text[:500])
        assert response.headers["content-type"].startswith("application/fhir+json")
        return assert_strict_fhir(response.json())


@pytest.fixture(scope="module")
def http(demo_store: PublicationStore) -> Iterator[Http]:
    app = create_app(demo_store, settings=LookupSettings(check_interval=0.0))
    yield Http(app)
    app.state.provider.close()


@pytest.fixture(scope="module")
def db(demo_store: PublicationStore) -> Iterator[sqlite3.Connection]:
    publication = demo_store.current()
    assert publication is not None
    connection = sqlite3.connect(f"file:{publication.read_model_path}?mode=ro", uri=True)
    yield connection
    connection.close()


def ids_of(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def all_pages(http: Http, url: str) -> tuple[list[str], int]:
    """Follow ``next`` links; returns every matched id in order and Bundle.total."""
    seen: list[str] = []
    total = -1
    while url:
        bundle = http.fhir(url.removeprefix("http://lookup.test"))
        assert total in (-1, bundle["total"])
        total = bundle["total"]
        seen.extend(ids_of(bundle))
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), "")
    return seen, total


def one(db: sqlite3.Connection, sql: str, *args: Any) -> Any:
    row = db.execute(sql, args).fetchone()
    assert row is not None, sql
    return row[0]


def column(db: sqlite3.Connection, sql: str, *args: Any) -> list[Any]:
    return [row[0] for row in db.execute(sql, args)]


# -- metadata -----------------------------------------------------------------------------------


def test_the_capability_statement_lists_what_works(http: Http) -> None:
    statement = http.fhir("/fhir/metadata")
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == {
        "Organization",
        "Location",
        "Endpoint",
        "HealthcareService",
        "OrganizationAffiliation",
        "Practitioner",
        "PractitionerRole",
    }
    organization = resources["Organization"]
    assert {p["name"] for p in organization["searchParam"]} == {
        "_id",
        "_lastUpdated",
        "identifier",
        "name",
        "type",
        "active",
        "partof",
        "endpoint",
    }
    assert "Location:organization" in organization["searchRevInclude"]
    assert {p["name"] for p in resources["Location"]["searchParam"]} >= {"near", "organization"}
    assert statement["rest"][0]["interaction"] == [{"code": "batch"}]
    assert "strict" in statement["rest"][0]["documentation"]


# -- read ---------------------------------------------------------------------------------------


def test_a_read_returns_the_stored_bytes_with_an_etag(http: Http, db: sqlite3.Connection) -> None:
    sor_id = one(db, "SELECT sor_id FROM unit WHERE level = 'OE' ORDER BY sor_id LIMIT 1")
    response = http.get(f"/fhir/Organization/{sor_id}")
    assert response.status_code == 200
    stored = one(db, "SELECT fhir_organization FROM unit WHERE sor_id = ?", sor_id)
    assert response.content == stored
    resource = assert_strict_fhir(response.json())
    assert response.headers["etag"] == f'W/"{resource["meta"]["versionId"]}"'
    again = http.get(
        f"/fhir/Organization/{sor_id}", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    location = http.fhir(f"/fhir/Location/{sor_id}")
    assert location["managingOrganization"]["reference"] == f"Organization/{sor_id}"


@pytest.mark.parametrize("resource_type", ["Organization", "Location"])
def test_a_plain_read_answered_directly_equals_the_routed_one(
    http: Http, db: sqlite3.Connection, resource_type: str
) -> None:
    """The direct answer of a plain read (no parameters) is the routed answer, byte for byte."""
    sor_id = one(db, "SELECT sor_id FROM unit WHERE level = 'SI' ORDER BY sor_id LIMIT 1")
    direct = http.get(f"/fhir/{resource_type}/{sor_id}")
    routed = http.get(f"/fhir/{resource_type}/{sor_id}?_format=json")  # declined: routed
    assert direct.status_code == routed.status_code == 200
    assert direct.content == routed.content
    for header in ("content-type", "content-length", "etag", "cache-control"):
        assert direct.headers[header] == routed.headers[header], header
    metrics = http.get("/metrics").text
    assert 'route="/fhir/{path:path}",status="200"' in metrics


def test_an_endpoint_is_read_by_gln(http: Http, db: sqlite3.Connection) -> None:
    gln = one(db, "SELECT gln FROM location_number ORDER BY gln LIMIT 1")
    endpoint = http.fhir(f"/fhir/Endpoint/{gln}?_format=json")
    assert endpoint["identifier"][0] == {"use": "official", "system": GLN_SYSTEM, "value": gln}


@pytest.mark.parametrize(
    "url",
    [
        "/fhir/Organization/1",
        "/fhir/Organization/not-a-number",
        "/fhir/Endpoint/5790000000000",
        "/fhir/HealthcareService/1",
    ],
)
def test_an_unknown_id_is_404_with_an_operation_outcome(http: Http, url: str) -> None:
    outcome = http.fhir(url, status=404)
    assert outcome["issue"][0]["code"] == "not-found"


def test_an_owner_has_no_location(http: Http, db: sqlite3.Connection) -> None:
    owner = one(db, "SELECT sor_id FROM unit WHERE level = 'IE' LIMIT 1")
    outcome = http.fhir(f"/fhir/Location/{owner}", status=404)
    assert "owner" in outcome["issue"][0]["diagnostics"]


def test_an_unknown_type_and_an_unsupported_format_are_refused(http: Http) -> None:
    assert http.fhir("/fhir/Patient/1", status=404)["issue"][0]["code"] == "not-supported"
    assert http.fhir("/fhir/Organization?_format=xml", status=406)["issue"][0]["code"] == (
        "not-supported"
    )


# -- search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "sql"),
    [
        ("Organization", "SELECT sor_id FROM unit ORDER BY sor_id"),
        ("Location", "SELECT sor_id FROM unit WHERE fhir_location IS NOT NULL ORDER BY sor_id"),
        ("Endpoint", "SELECT gln FROM location_number ORDER BY gln"),
    ],
)
def test_paging_returns_every_resource_once(
    http: Http, db: sqlite3.Connection, resource_type: str, sql: str
) -> None:
    expected = [str(value) for value in column(db, sql)]
    seen, total = all_pages(http, f"/fhir/{resource_type}?_count=37")
    assert seen == expected
    assert total == len(expected)


def test_paging_a_filtered_search_keeps_the_filter(http: Http, db: sqlite3.Connection) -> None:
    expected = [
        str(v)
        for v in column(
            db, "SELECT sor_id FROM unit WHERE level = 'OE' AND active = 1 ORDER BY sor_id"
        )
    ]
    seen, total = all_pages(
        http, f"/fhir/Organization?type={LEVEL_SYSTEM}|OE&active=true&_count=50"
    )
    assert seen == expected and total == len(expected)


def test_count_is_capped_and_zero_gives_the_total_only(http: Http, db: sqlite3.Connection) -> None:
    bundle = http.fhir("/fhir/Organization?_count=100000")
    assert len(ids_of(bundle)) == min(1000, one(db, "SELECT count(*) FROM unit"))
    empty = http.fhir("/fhir/Organization?_count=0")
    assert "entry" not in empty and empty["total"] == one(db, "SELECT count(*) FROM unit")


def test_search_by_id(http: Http, db: sqlite3.Connection) -> None:
    two = [str(v) for v in column(db, "SELECT sor_id FROM unit ORDER BY sor_id LIMIT 2")]
    assert ids_of(http.fhir(f"/fhir/Organization?_id={','.join(two)}")) == two


@pytest.mark.parametrize(
    ("system", "column_sql"),
    [
        (SOR_SYSTEM, "sor_id"),
        (PROVIDER_NUMBER_SYSTEM, "provider_number"),
        (SHAK_SYSTEM, "shak"),
        ("http://cvr.dk", "cvr"),
    ],
)
def test_search_by_identifier(
    http: Http, db: sqlite3.Connection, system: str, column_sql: str
) -> None:
    value = str(one(db, f"SELECT {column_sql} FROM unit WHERE {column_sql} IS NOT NULL LIMIT 1"))
    expected = [
        str(v)
        for v in column(
            db, f"SELECT sor_id FROM unit WHERE {column_sql} = ? ORDER BY sor_id", value
        )
    ]
    assert ids_of(http.fhir(f"/fhir/Organization?identifier={quote(system)}|{value}")) == expected
    # the value alone finds it too (it may also match another kind of identifier)
    assert set(expected) <= set(
        ids_of(http.fhir(f"/fhir/Organization?identifier={value}&_count=1000"))
    )
    assert ids_of(http.fhir(f"/fhir/Organization?identifier=urn:other|{value}")) == []


def test_search_by_own_gln_and_by_endpoint(http: Http, db: sqlite3.Connection) -> None:
    gln, owner = db.execute("SELECT gln, owner_sor_id FROM location_number LIMIT 1").fetchone()
    assert ids_of(http.fhir(f"/fhir/Organization?identifier={GLN_SYSTEM}|{gln}")) == [str(owner)]
    users = [
        str(v) for v in column(db, "SELECT sor_id FROM unit WHERE gln = ? ORDER BY sor_id", gln)
    ]
    assert str(owner) in users
    assert ids_of(http.fhir(f"/fhir/Organization?endpoint=Endpoint/{gln}&_count=1000")) == users
    endpoint = http.fhir(f"/fhir/Endpoint?identifier={GLN_SYSTEM}|{gln}")
    assert ids_of(endpoint) == [gln]
    assert ids_of(http.fhir(f"/fhir/Endpoint?organization=Organization/{owner}")) == column(
        db, "SELECT gln FROM location_number WHERE owner_sor_id = ? ORDER BY gln", owner
    )


def test_search_by_name(http: Http, db: sqlite3.Connection) -> None:
    name = one(db, "SELECT name FROM unit WHERE name LIKE '%ø%' ORDER BY sor_id LIMIT 1")
    word = name.split()[0]
    starts = http.fhir(f"/fhir/Organization?name={quote(word.upper())}&_count=1000")
    assert starts["total"] >= 1
    assert all(e["resource"]["name"].lower().startswith(word.lower()) for e in starts["entry"])
    folded = word.lower().replace("ø", "oe").replace("æ", "ae").replace("å", "aa")
    assert (
        http.fhir(f"/fhir/Organization?name={quote(folded)}&_count=1000")["total"]
        == starts["total"]
    )
    escaped = name.replace(",", "\\,")  # a comma separates alternatives unless escaped
    exact = http.fhir(f"/fhir/Organization?name:exact={quote(escaped)}&_count=1000")
    assert {e["resource"]["name"] for e in exact["entry"]} == {name}
    assert http.fhir(f"/fhir/Organization?name:exact={quote(escaped.lower())}")["total"] == (
        0 if name != name.lower() else exact["total"]
    )
    middle = name.split()[-1][1:4]
    contains = http.fhir(f"/fhir/Organization?name:contains={quote(middle)}&_count=1000")
    assert str(one(db, "SELECT sor_id FROM unit WHERE name = ?", name)) in ids_of(contains)


def test_search_by_type_speciality_and_level(http: Http, db: sqlite3.Connection) -> None:
    code = one(db, "SELECT type_code FROM unit WHERE level = 'SI' LIMIT 1")
    expected = column(db, "SELECT sor_id FROM unit WHERE type_code = ? ORDER BY sor_id", code)
    found = ids_of(http.fhir(f"/fhir/Organization?type={SNOMED_SYSTEM}|{code}&_count=1000"))
    assert [int(i) for i in found] == expected
    speciality = one(db, "SELECT code FROM unit_speciality LIMIT 1")
    units = column(
        db, "SELECT sor_id FROM unit_speciality WHERE code = ? ORDER BY sor_id", speciality
    )
    found = ids_of(http.fhir(f"/fhir/Organization?type={speciality}&_count=1000"))
    assert set(units) <= {int(i) for i in found}
    owners = http.fhir(f"/fhir/Organization?type={LEVEL_SYSTEM}|IE&_count=0")
    assert owners["total"] == one(db, "SELECT count(*) FROM unit WHERE level = 'IE'")
    locations = ids_of(http.fhir(f"/fhir/Location?type={code}&_count=1000"))
    assert [int(i) for i in locations] == expected


def test_search_by_active_and_status(http: Http, db: sqlite3.Connection) -> None:
    inactive = column(db, "SELECT sor_id FROM unit WHERE active = 0 ORDER BY sor_id")
    assert inactive, "the demo register has closed units"
    assert [int(i) for i in ids_of(http.fhir("/fhir/Organization?active=false"))] == inactive
    located = column(
        db, "SELECT sor_id FROM unit WHERE active = 0 AND fhir_location IS NOT NULL ORDER BY sor_id"
    )
    assert [int(i) for i in ids_of(http.fhir("/fhir/Location?status=inactive"))] == located
    off = ids_of(http.fhir("/fhir/Endpoint?status=off&_count=1000"))
    for gln in off:
        assert http.fhir(f"/fhir/Endpoint/{gln}")["status"] == "off"


def _hospital_with_depth(db: sqlite3.Connection) -> tuple[int, str]:
    return db.execute(
        "SELECT u.sor_id, u.path FROM unit u WHERE u.level = 'SI' AND EXISTS (SELECT 1 FROM unit c"
        " WHERE c.depth >= u.depth + 2 AND c.path LIKE u.path || '%') ORDER BY u.sor_id LIMIT 1"
    ).fetchone()


def test_partof_and_its_hierarchy_modifiers(http: Http, db: sqlite3.Connection) -> None:
    hospital, path = _hospital_with_depth(db)
    children = column(
        db, "SELECT sor_id FROM unit WHERE parent_sor_id = ? ORDER BY sor_id", hospital
    )
    below = column(
        db,
        "SELECT sor_id FROM unit WHERE path LIKE ? AND sor_id != ? ORDER BY sor_id",
        path + "%",
        hospital,
    )
    assert len(below) > len(children) > 0
    url = "/fhir/Organization?_count=1000&partof"
    assert [int(i) for i in ids_of(http.fhir(f"{url}=Organization/{hospital}"))] == children
    assert [int(i) for i in ids_of(http.fhir(f"{url}:below={hospital}"))] == below
    ancestry = [int(i) for i in path.strip("/").split("/")]
    above = column(
        db,
        f"SELECT sor_id FROM unit WHERE parent_sor_id IN ({','.join('?' * len(ancestry))})"
        " ORDER BY sor_id",
        *ancestry,
    )
    assert [int(i) for i in ids_of(http.fhir(f"{url}:above={hospital}"))] == above
    loc_below = [
        int(i) for i in ids_of(http.fhir(f"/fhir/Location?partof:below={hospital}&_count=1000"))
    ]
    assert loc_below == below  # every unit below an institution is an OE with a Location
    assert ids_of(http.fhir(f"/fhir/Location?partof={ancestry[0]}")) == []  # an owner has none
    located_children = [
        int(i) for i in ids_of(http.fhir(f"/fhir/Location?partof={hospital}&_count=1000"))
    ]
    assert located_children == children


def test_organization_parameter_of_location(http: Http, db: sqlite3.Connection) -> None:
    hospital, _ = _hospital_with_depth(db)
    assert ids_of(http.fhir(f"/fhir/Location?organization=Organization/{hospital}")) == [
        str(hospital)
    ]


def test_near_finds_locations_within_the_distance(http: Http, db: sqlite3.Connection) -> None:
    bundle = http.fhir("/fhir/Location?near=55.6761|12.5683|15|km&_count=1000")
    assert bundle["total"] > 0
    for entry in bundle["entry"]:
        position = entry["resource"]["position"]
        assert abs(position["latitude"] - 55.6761) < 0.2
    wider = http.fhir("/fhir/Location?near=55.6761|12.5683|15000|m&_count=0")
    assert wider["total"] == bundle["total"]


def test_last_updated_prefixes(http: Http, db: sqlite3.Connection) -> None:
    total = one(db, "SELECT count(*) FROM unit")
    assert http.fhir("/fhir/Organization?_lastUpdated=gt2000-01-01&_count=0")["total"] == total
    assert http.fhir("/fhir/Organization?_lastUpdated=lt2000-01-01&_count=0")["total"] == 0
    stamp = one(db, "SELECT last_updated FROM unit LIMIT 1")
    day = stamp[:10]
    same_day = http.fhir(f"/fhir/Organization?_lastUpdated=eq{day}&_count=0")["total"]
    assert same_day == one(db, "SELECT count(*) FROM unit WHERE date(last_updated) = ?", day)
    both = http.fhir(f"/fhir/Organization?_lastUpdated=ge{day}&_lastUpdated=le{day}&_count=0")
    assert both["total"] == same_day


def test_includes_and_revincludes(http: Http, db: sqlite3.Connection) -> None:
    hospital, _ = _hospital_with_depth(db)
    bundle = http.fhir(
        f"/fhir/Organization?_id={hospital}&_include=Organization:partof"
        "&_include=Organization:endpoint&_revinclude=Location:organization"
        "&_revinclude=Organization:partof"
    )
    included = {
        (e["resource"]["resourceType"], e["resource"]["id"])
        for e in bundle["entry"]
        if e["search"]["mode"] == "include"
    }
    parent = one(db, "SELECT parent_sor_id FROM unit WHERE sor_id = ?", hospital)
    assert ("Organization", str(parent)) in included
    assert ("Location", str(hospital)) in included
    for child in column(db, "SELECT sor_id FROM unit WHERE parent_sor_id = ?", hospital):
        assert ("Organization", str(child)) in included
    gln = one(db, "SELECT gln FROM unit WHERE sor_id = ?", hospital)
    if gln:
        assert ("Endpoint", gln) in included
    endpoints = http.fhir(
        "/fhir/Endpoint?_count=1&_include=Endpoint:organization&_revinclude=Location:endpoint"
    )
    kinds = {e["resource"]["resourceType"] for e in endpoints["entry"]}
    assert kinds >= {"Endpoint", "Organization"}


def test_payload_type_finds_the_numbers_that_accept_a_message_type(
    http: Http, db: sqlite3.Connection
) -> None:
    message_type = one(db, "SELECT message_type FROM location_message_type LIMIT 1")
    expected = column(
        db,
        "SELECT gln FROM location_message_type WHERE message_type = ? ORDER BY gln",
        message_type,
    )
    found = ids_of(
        http.fhir(f"/fhir/Endpoint?payload-type={MESSAGE_TYPE_SYSTEM}|{message_type}&_count=1000")
    )
    assert found == expected


@pytest.mark.parametrize(
    ("url", "names"),
    [
        ("/fhir/Organization?colour=red", "colour"),
        ("/fhir/Organization?name:fuzzy=x", "name:fuzzy"),
        ("/fhir/Organization?active=maybe", "active"),
        ("/fhir/Organization?_count=-1", "_count"),
        ("/fhir/Organization?_count=ten", "_count"),
        ("/fhir/Organization?_lastUpdated=yesterday", "_lastUpdated"),
        ("/fhir/Organization?_lastUpdated=sa2020", "_lastUpdated"),
        ("/fhir/Organization?partof=Location/1", "partof"),
        ("/fhir/Organization?_include=Organization:nothing", "_include"),
        ("/fhir/Location?near=55", "near"),
        ("/fhir/Location?near=95|12|1|km", "near"),
        ("/fhir/Location?near=55|12|1|mi", "near"),
        ("/fhir/Location?status=closed", "status"),
        ("/fhir/Endpoint?name=x", "name"),
        ("/fhir/Organization/_history?_since=last-week", "_since"),
        ("/fhir/Organization/_history?_sort=x", "_sort"),
        ("/fhir/Organization?_cursor=x", "_cursor"),
    ],
)
def test_a_malformed_or_unknown_parameter_is_400_naming_it(
    http: Http, url: str, names: str
) -> None:
    outcome = http.fhir(url, status=400)
    issue = outcome["issue"][0]
    assert issue["expression"] == [names]
    assert names.split(":")[0] in issue["diagnostics"]


def test_empty_mcsd_types_answer_empty_bundles(http: Http) -> None:
    for resource_type in (
        "HealthcareService",
        "OrganizationAffiliation",
        "Practitioner",
        "PractitionerRole",
    ):
        assert http.fhir(f"/fhir/{resource_type}")["total"] == 0
        history = http.fhir(f"/fhir/{resource_type}/_history?_since=2020-01-01")
        assert history["type"] == "history" and history["total"] == 0


# -- history ------------------------------------------------------------------------------------


def _events(db: sqlite3.Connection, where: str = "1", *args: Any) -> list[tuple[Any, ...]]:
    return db.execute(
        f"SELECT seq, entity, id, kind FROM change_event WHERE {where} ORDER BY seq DESC", args
    ).fetchall()


def _history_pages(http: Http, url: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    while url:
        bundle = http.fhir(url.removeprefix("http://lookup.test"))
        assert bundle["type"] == "history"
        entries.extend(bundle.get("entry", []))
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), "")
    return entries


def test_the_type_history_has_every_event_newest_first(http: Http, db: sqlite3.Connection) -> None:
    events = _events(db, "entity = 'unit'")
    entries = _history_pages(http, "/fhir/Organization/_history?_count=200")
    assert len(entries) == len(events)
    assert [e["fullUrl"].rsplit("/", 1)[-1] for e in entries] == [ev[2] for ev in events]
    stamps = [e["response"]["lastModified"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    methods = {"created": "POST", "closed": "DELETE"}
    for entry, (_, _, sor_id, kind) in zip(entries, events, strict=True):
        expected = methods.get(kind, entry["request"]["method"])
        assert entry["request"]["method"] == expected
        if expected == "DELETE":
            assert "resource" not in entry
            assert entry["request"]["url"] == f"Organization/{sor_id}"
        elif expected == "POST":
            assert entry["request"]["url"] == "Organization"
            assert entry["resource"]["id"] == sor_id
        else:
            assert entry["request"]["url"] == f"Organization/{sor_id}"


def test_the_endpoint_and_location_histories(http: Http, db: sqlite3.Connection) -> None:
    numbers = _events(db, "entity = 'location_number'")
    entries = _history_pages(http, "/fhir/Endpoint/_history?_count=1000")
    assert [e["fullUrl"].rsplit("/", 1)[-1] for e in entries] == [ev[2] for ev in numbers]
    located = _events(
        db,
        "entity = 'unit' AND CAST(id AS INTEGER) IN (SELECT sor_id FROM unit WHERE level != 'IE')",
    )
    assert http.fhir("/fhir/Location/_history?_count=0")["total"] == len(located)


def test_the_instance_history_of_a_closed_unit_ends_with_a_delete(
    http: Http, db: sqlite3.Connection
) -> None:
    sor_id = one(
        db, "SELECT id FROM change_event WHERE entity = 'unit' AND kind = 'closed' LIMIT 1"
    )
    history = http.fhir(f"/fhir/Organization/{sor_id}/_history")
    methods = [e["request"]["method"] for e in history["entry"]]
    assert methods[0] == "DELETE" and methods[-1] == "POST"
    assert history["total"] == len(_events(db, "entity = 'unit' AND id = ?", sor_id))
    created = history["entry"][-1]["resource"]
    assert created["id"] == sor_id and created["meta"]["versionId"]


def test_since_accepts_times_with_and_without_an_offset(http: Http, db: sqlite3.Connection) -> None:
    total = len(_events(db, "entity = 'unit'"))
    assert (
        http.fhir("/fhir/Organization/_history?_since=2000-01-01T00:00:00&_count=0")["total"]
        == total
    )
    assert (
        http.fhir("/fhir/Organization/_history?_since=2000-01-01T00:00:00%2B02:00&_count=0")[
            "total"
        ]
        == total
    )
    assert (
        http.fhir("/fhir/Organization/_history?_since=2999-01-01T00:00:00Z&_count=0")["total"] == 0
    )
    # an offset's "+" sent unencoded arrives as a space and is still understood
    unencoded = http.fhir("/fhir/Organization/_history?_since=2000-01-01T00:00:00+02:00&_count=0")
    assert unencoded["total"] == total
    stamp = one(db, "SELECT max(recorded_at) FROM change_event")
    newest = http.fhir(f"/fhir/Organization/_history?_since={quote(stamp)}&_count=0")
    last = one(db, "SELECT publication FROM change_event ORDER BY seq DESC LIMIT 1")
    assert newest["total"] == one(
        db, "SELECT count(*) FROM change_event WHERE entity = 'unit' AND publication = ?", last
    )


def test_the_history_of_an_unknown_resource_is_404(http: Http) -> None:
    http.fhir("/fhir/Organization/1/_history", status=404)
    http.fhir("/fhir/HealthcareService/1/_history", status=404)


# -- batch --------------------------------------------------------------------------------------


def test_a_batch_of_reads_searches_and_histories(http: Http, db: sqlite3.Connection) -> None:
    sor_id = one(db, "SELECT sor_id FROM unit WHERE level = 'SI' LIMIT 1")
    batch = {
        "resourceType": "Batch" if False else "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "GET", "url": f"Organization/{sor_id}"}},
            {"request": {"method": "GET", "url": f"{BASE}/Location?_id={sor_id}"}},
            {"request": {"method": "GET", "url": f"Organization/{sor_id}/_history"}},
            {"request": {"method": "GET", "url": "Organization/1"}},
            {"request": {"method": "GET", "url": "Organization?bogus=1"}},
            {"request": {"method": "DELETE", "url": f"Organization/{sor_id}"}},
        ],
    }
    response = http.request(
        "POST",
        "/fhir/",
        content=json.dumps(batch),
        headers={"Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 200
    bundle = assert_strict_fhir(response.json())
    assert bundle["type"] == "batch-response"
    statuses = [e["response"]["status"] for e in bundle["entry"]]
    assert statuses == [
        "200 OK",
        "200 OK",
        "200 OK",
        "404 Not Found",
        "400 Bad Request",
        "405 Method Not Allowed",
    ]
    assert bundle["entry"][0]["resource"]["id"] == str(sor_id)
    assert bundle["entry"][0]["response"]["etag"].startswith('W/"')
    assert bundle["entry"][1]["resource"]["type"] == "searchset"
    assert bundle["entry"][2]["resource"]["type"] == "history"
    assert bundle["entry"][3]["response"]["outcome"]["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b'{"resourceType": "Bundle", "type": "transaction"}', 400),
        (b'{"resourceType": "Organization"}', 400),
    ],
)
def test_a_bad_batch_is_refused(http: Http, body: bytes, status: int) -> None:
    response = http.request(
        "POST", "/fhir/", content=body, headers={"Content-Type": "application/fhir+json"}
    )
    assert response.status_code == status
    assert_strict_fhir(response.json())
