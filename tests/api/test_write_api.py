"""The write API over real HTTP: authentication, preconditions, errors and every operation.

The server is a real ``sor serve`` (see ``conftest.py``); these tests change its register, so
each one that writes works on units it creates itself or only renames.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from openapi_spec_validator import validate

from opensor.domain.identifiers import make_gln, make_sor_id

SINCE = (date.today() - timedelta(days=30)).isoformat()


def _etag(client, path: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def _fields(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [error["field"] for error in response.json()["errors"]]


def _create(client, parent: str, name: str, level: str = "OE") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    # started a while ago, so that it can be closed today
    response = client.post(
        "/units",
        json={"level": level, "parent": parent, "values": {"name": name}, "effective": SINCE},
    )
    assert response.status_code == 201, response.text
    return response.json()["target_id"], response.headers["ETag"]


# -- authentication ------------------------------------------------------------------------


def test_a_call_without_a_token_gets_401_with_a_bearer_challenge(server):
    with server.client() as client:
        response = client.get(f"/units/{server.ids['department']}")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["type"].endswith("/unauthenticated")


@pytest.mark.parametrize("token", ["sor_not-a-real-token", "garbage", "x" * 500])
def test_an_unknown_token_gets_401(server, token):
    with server.client(token=token) as client:
        response = client.patch(f"/units/{server.ids['department']}", json={"changes": {}})
    assert response.status_code == 401
    assert response.json()["type"].endswith("/invalid-token")


# -- reading -------------------------------------------------------------------------------


def test_a_unit_reads_as_its_effective_document_with_an_etag(server):
    with server.client("practice") as client:
        response = client.get(f"/units/{server.ids['department']}")
    assert response.status_code == 200
    assert response.json()["sor_id"] == server.ids["department"]
    assert response.json()["ancestry"]
    assert response.headers["ETag"].startswith('"')


def test_malformed_parameters_are_400_naming_the_parameter(server):
    with server.client("region") as client:
        bad_id = client.get("/units/8341000016003")
        bad_date = client.get(f"/units/{server.ids['department']}?as_of=yesterday")
        bad_gln = client.get("/locations/5790000000001")
        bad_limit = client.get(f"/units/{server.ids['department']}/audit?limit=0")
    for response, name in [
        (bad_id, "sorId"),
        (bad_date, "as_of"),
        (bad_gln, "gln"),
        (bad_limit, "limit"),
    ]:
        assert response.status_code == 400, response.text
        assert _fields(response) == [name]


def test_an_unknown_unit_is_404(server):
    unknown = make_sor_id(987_654)
    with server.client("region") as client:
        read = client.get(f"/units/{unknown}")
        write = client.patch(f"/units/{unknown}", json={"changes": {}}, headers={"If-Match": "*"})
        malformed = client.patch(
            f"/units/{unknown}", content=b"{", headers={"Content-Type": "application/json"}
        )
    assert [read.status_code, write.status_code, malformed.status_code] == [404, 404, 404]


def test_a_method_the_resource_does_not_have_is_405_problem_json(server):
    with server.client("region") as client:
        response = client.delete(f"/units/{server.ids['department']}")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, PATCH"
    assert response.json()["status"] == 405


# -- preconditions -------------------------------------------------------------------------


def test_a_write_without_if_match_is_428_and_changes_nothing(server):
    path = f"/units/{server.ids['department']}"
    with server.client("region") as client:
        before = _etag(client, path)
        response = client.patch(path, json={"changes": {"name": "Uden version"}})
        assert response.status_code == 428
        assert _etag(client, path) == before


def test_a_stale_write_is_412_with_the_current_etag_and_changes_nothing(server):
    path = f"/units/{server.ids['section']}"
    with server.client("region") as client:
        first = _etag(client, path)
        ok = client.patch(
            path, json={"changes": {"name": "Akutklinik A"}}, headers={"If-Match": first}
        )
        assert ok.status_code == 200, ok.text
        stale = client.patch(
            path, json={"changes": {"name": "Akutklinik B"}}, headers={"If-Match": first}
        )
        assert stale.status_code == 412
        assert stale.headers["ETag"] == ok.headers["ETag"]
        assert client.get(path).json()["name"] == "Akutklinik A"


# -- scope first ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (
            b'{"changes": {"shak": "x", "contact": {"email": "nope"}}, "effective": "soon"}',
            "application/json",
        ),
        (b"name=x", "application/x-www-form-urlencoded"),
        (b'{"changes": "not an object", "surprise": 1}', "application/json"),
    ],
)
def test_a_caller_outside_its_scope_gets_403_before_anything_else_is_examined(
    server, content, content_type
):
    with server.client("municipality") as client:
        response = client.patch(
            f"/units/{server.ids['department']}",
            content=content,
            headers={"Content-Type": content_type, "If-Match": '"stale"'},
        )
    assert response.status_code == 403, response.text
    assert response.json()["type"].endswith("/forbidden")


def test_in_scope_a_malformed_body_is_400_or_415(server):
    path = f"/units/{server.ids['department']}"
    with server.client("region") as client:
        not_json = client.patch(path, content=b"{", headers={"Content-Type": "application/json"})
        form = client.patch(
            path, content=b"a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        bad = client.patch(path, json={"changes": [], "effective": "31-12-2030", "extra": 1})
    assert not_json.status_code == 400
    assert form.status_code == 415
    assert bad.status_code == 400
    assert sorted(_fields(bad)) == ["changes", "effective", "extra"]


def test_hostile_bodies_are_bounded(server):
    path = f"/units/{server.ids['department']}"
    # one connection each: a server answering before it has read a body closes the connection
    with server.client("region") as client:
        oversized = client.patch(path, json={"changes": {"name": "x" * 400_000}})
    with server.client("region") as client:
        deep = client.patch(
            path, content=b"[" * 5000 + b"]" * 5000, headers={"Content-Type": "application/json"}
        )
    assert oversized.status_code == 413, oversized.text
    assert oversized.json()["type"].endswith("/payload-too-large")
    assert deep.status_code == 400, deep.text


def test_invalid_fields_are_422_naming_each_field(server):
    path = f"/units/{server.ids['department']}"
    with server.client("region") as client:
        etag = _etag(client, path)
        response = client.patch(
            path,
            json={"changes": {"shak": "12", "contact": {"email": "not-an-email"}, "colour": "red"}},
            headers={"If-Match": etag},
        )
        assert _etag(client, path) == etag
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"].endswith("/validation")
    fields = _fields(response)
    assert any(f.startswith("shak") for f in fields), fields
    assert any("email" in f for f in fields), fields
    assert any("colour" in f for f in fields), fields
    assert all(e["detail_da"] and e["detail"] for e in body["errors"])


# -- the operations ------------------------------------------------------------------------


def test_a_rename_answers_with_the_new_etag_and_is_in_the_audit_trail(server):
    path = f"/units/{server.ids['department']}"
    request_id = str(uuid.uuid4())
    with server.client("region") as client:
        etag = _etag(client, path)
        response = client.patch(
            path,
            json={"changes": {"name": "Akutafdelingen"}},
            headers={"If-Match": etag, "X-Request-Id": request_id},
        )
        assert response.status_code == 200, response.text
        assert response.headers["X-Request-Id"] == request_id
        body = response.json()
        assert body["changed"] == ["name"]
        assert body["unit"]["name"] == "Akutafdelingen"
        assert response.headers["ETag"] == body["etag"] != etag
        events = client.get(f"{path}/audit?request_id={request_id}").json()["events"]
    assert len(events) == 1
    event = events[0]
    assert event["actor"] == "region"
    assert event["client"] == "api:region-client"
    assert event["operation"] == "register:unit:update"
    assert event["changed"] == ["name"]
    assert event["after"]["name"] == "Akutafdelingen"
    assert event["before"]["name"] != "Akutafdelingen"


def test_a_future_dated_change_shows_from_its_date(server):
    path = f"/units/{server.ids['care_unit']}"
    later = (date.today() + timedelta(days=60)).isoformat()
    with server.client("municipality") as client:
        etag = _etag(client, path)
        response = client.patch(
            path,
            json={"changes": {"name": "Genoptræning Køge Syd"}, "effective": later},
            headers={"If-Match": etag, "Prefer": "return=minimal"},
        )
        assert response.status_code == 200, response.text
        assert "unit" not in response.json()
        assert client.get(path).json()["name"] == "Genoptræning Køge"
        assert client.get(f"{path}?as_of={later}").json()["name"] == "Genoptræning Køge Syd"


def test_create_move_close_reopen_and_successor(server):
    with server.client("region") as client:
        first, _ = _create(client, server.ids["hospital"], "Ny afdeling")
        second, second_tag = _create(client, server.ids["hospital"], "Nyt afsnit")
        moved = client.post(
            f"/units/{second}/move", json={"parent": first}, headers={"If-Match": second_tag}
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["unit"]["unit"]["parent_sor_id"] == first

        tag = _etag(client, f"/units/{first}")
        refused = client.post(f"/units/{first}/close", json={}, headers={"If-Match": tag})
        assert refused.status_code == 409
        assert second in refused.json()["detail"]
        closed = client.post(
            f"/units/{first}/close", json={"children": "close"}, headers={"If-Match": tag}
        )
        assert closed.status_code == 200, closed.text
        assert sorted(map(str, closed.json()["closed"])) == sorted([first, second])
        assert client.get(f"/units/{second}").status_code == 404

        reopened = client.post(
            f"/units/{first}/reopen", json={}, headers={"If-Match": closed.headers["ETag"]}
        )
        assert reopened.status_code == 200, reopened.text
        assert client.get(f"/units/{first}").status_code == 200

        third, _ = _create(client, server.ids["hospital"], "Efterfølger")
        succeeded = client.post(
            f"/units/{first}/successor",
            json={"successor": third},
            headers={"If-Match": reopened.headers["ETag"]},
        )
        assert succeeded.status_code == 200, succeeded.text
        assert client.get(f"/units/{third}").json()["unit"]["replaces"] == [first]
        operations = [e["operation"] for e in client.get(f"/units/{first}/audit").json()["events"]]
    assert operations == [
        "register:unit:successor",
        "register:unit:reopen",
        "register:unit:close",
        "register:unit:create",
    ]


def test_close_with_children_moved_elsewhere(server):
    with server.client("region") as client:
        parent, tag = _create(client, server.ids["hospital"], "Lukkes")
        child, _ = _create(client, parent, "Flyttes")
        target, _ = _create(client, server.ids["hospital"], "Modtager")
        missing = client.post(
            f"/units/{parent}/close", json={"children": "move"}, headers={"If-Match": tag}
        )
        assert missing.status_code == 422
        assert _fields(missing) == ["move_children_to"]
        closed = client.post(
            f"/units/{parent}/close",
            json={"children": "move", "move_children_to": target},
            headers={"If-Match": tag},
        )
        assert closed.status_code == 200, closed.text
        assert client.get(f"/units/{child}").json()["unit"]["parent_sor_id"] == target


def test_location_numbers_create_change_move_and_close(server):
    gln = make_gln("579999990001")
    with server.client("authority") as client:
        created = client.post(
            "/locations",
            json={"gln": gln, "owner": server.ids["care"], "values": {}, "effective": SINCE},
        )
        assert created.status_code == 201, created.text
        assert created.headers["Location"].endswith(gln)
        message_type = "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r"
        changed = client.patch(
            f"/locations/{gln}",
            json={"changes": {"message_types": [message_type]}},
            headers={"If-Match": created.headers["ETag"]},
        )
        assert changed.status_code == 200, changed.text
        assert client.get(f"/locations/{gln}").json()["message_types"] == [message_type]
        moved = client.post(
            f"/locations/{gln}/move",
            json={"owner": server.ids["state_institution"]},
            headers={"If-Match": changed.headers["ETag"]},
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["location"]["owner_sor_id"] == int(server.ids["state_institution"])
        closed = client.post(
            f"/locations/{gln}/close", json={}, headers={"If-Match": moved.headers["ETag"]}
        )
        assert closed.status_code == 200, closed.text
        assert client.get(f"/locations/{gln}").status_code == 404
        events = client.get(f"/locations/{gln}/audit").json()["events"]
    assert [e["operation"] for e in events] == [
        "register:location:close",
        "register:location:move",
        "register:location:update",
        "register:location:create",
    ]


def test_a_municipality_is_refused_a_location_number_change(server):
    gln = server.glns["care_number"]
    with server.client("municipality") as client:
        response = client.patch(
            f"/locations/{gln}", json={"changes": {"message_types": []}}, headers={"If-Match": "*"}
        )
    assert response.status_code == 403
    assert "authority" in response.json()["detail"]


# -- the audit trail of a user -------------------------------------------------------------


def test_users_read_their_own_audit_trail_and_the_authority_reads_anyones(server):
    path = f"/units/{server.ids['care_unit_2']}"
    with server.client("municipality") as client:
        etag = _etag(client, path)
        assert (
            client.patch(
                path, json={"changes": {"name": "Træning Nord"}}, headers={"If-Match": etag}
            ).status_code
            == 200
        )
        own = client.get("/audit").json()["events"]
        refused = client.get("/audit?actor=region")
    with server.client("authority") as client:
        theirs = client.get("/audit?actor=municipality&limit=1")
    assert own and {e["actor"] for e in own} == {"municipality"}
    assert refused.status_code == 403
    assert theirs.status_code == 200
    assert theirs.json()["events"][0]["target_id"] == server.ids["care_unit_2"]


# -- the description -----------------------------------------------------------------------


def test_the_openapi_document_is_valid_and_covers_every_endpoint(server):
    from django.urls import get_resolver

    with server.client() as client:
        spec = client.get("/openapi.json").json()
        index = client.get("/")
    validate(spec)
    assert index.status_code == 200
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for permission in ("register:unit:update", "register:location:close", "register:audit:read"):
        assert permission in spec["info"]["description"]
    resolver = get_resolver("opensor.register.api.urls")
    routes = {
        "/api/v1/register/"
        + str(p.pattern).replace("<str:sor_id>", "{sorId}").replace("<str:gln>", "{gln}")
        for p in resolver.url_patterns
    }
    routes -= {"/api/v1/register/", "/api/v1/register/openapi.json"}
    assert routes <= set(spec["paths"])
    patch = spec["paths"]["/api/v1/register/units/{sorId}"]["patch"]
    assert {"412", "428", "403", "422"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" for p in patch["parameters"])
