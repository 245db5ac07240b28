"""The change-request API through Django's test client: tokens, statuses, problem JSON."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from django.test import Client

from opensor.register.accounts.services import token_create
from opensor.register.requests.api_spec import REQUEST_PATHS, REQUEST_SCHEMAS
from opensor.register.requests.models import ChangeRequest

pytestmark = pytest.mark.django_db

BASE = "/api/v1/register/requests"
ADDRESS = {
    "postal_address": {
        "street_name": "Solrød Center",
        "building": "20",
        "postcode": "2680",
        "district": "Solrød Strand",
    }
}


@pytest.fixture
def api(users: dict[str, Any]) -> Any:
    """Call the API as the named user: ``api(name, method, path, body=None, **headers)``."""
    tokens = {name: token_create(user.get_username(), "test")[1] for name, user in users.items()}
    client = Client(enforce_csrf_checks=True)

    def call(name: str | None, method: str, path: str, body: Any = None, **headers: str):
        if name is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens[name]}"
        data = orjson.dumps(body) if body is not None else b""
        return client.generic(
            method, f"{BASE}{path}", data, content_type="application/json", **headers
        )

    return call


def file(api: Any, world: dict[str, Any]) -> dict[str, Any]:
    response = api(
        "practice",
        "POST",
        "/",
        {"kind": "unit_update", "target_sor_id": world["practice_unit"].sor_id, "payload": ADDRESS},
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_filing_and_approving_through_the_api(api, world):
    filed = file(api, world)
    assert filed["status"] == "submitted"
    assert filed["etag"]
    assert [row["field"] for row in filed["diff"]][:1] == ["postal_address.building"]
    queue = api("authority", "GET", "/queue").json()["requests"]
    assert [r["id"] for r in queue] == [filed["id"]]
    seen = api("authority", "GET", f"/{filed['id']}")
    assert seen.headers["ETag"] == filed["etag"]
    approved = api("authority", "POST", f"/{filed['id']}/approve", HTTP_IF_MATCH=seen["ETag"])
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    mine = api("practice", "GET", "/").json()["requests"]
    assert mine[0]["status"] == "approved"


def test_approving_without_if_match_is_428_and_stale_is_412(api, world):
    filed = file(api, world)
    missing = api("authority", "POST", f"/{filed['id']}/approve")
    assert missing.status_code == 428
    stale = api("authority", "POST", f"/{filed['id']}/approve", HTTP_IF_MATCH='"1.1"')
    assert stale.status_code == 412
    assert stale["Content-Type"] == "application/problem+json"
    assert ChangeRequest.objects.get().status == "submitted"


def test_problems_name_each_field(api, world):
    response = api(
        "practice",
        "POST",
        "/",
        {
            "kind": "unit_update",
            "target_sor_id": world["practice_unit"].sor_id,
            "payload": {"contact": {"phone": "12"}, "unit_type": "x"},
        },
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"contact.phone", "unit_type"}


@pytest.mark.parametrize(
    "target", ["23525787707306503131103232", 99999999999999999, True, [1], "abc"]
)
def test_a_malformed_target_is_named_not_a_server_error(api, world, target):
    # found by schemathesis: an oversized number reached the database (500)
    response = api(
        "practice", "POST", "/", {"kind": "location_create", "target_sor_id": target, "note": ""}
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["target_sor_id"]


def test_refusals(api, world):
    assert api(None, "GET", "/").status_code == 401
    outside = api(
        "practice", "POST", "/",
        {"kind": "unit_update", "target_sor_id": world["department"].sor_id, "payload": ADDRESS},
    )  # fmt: skip
    assert outside.status_code == 403
    filed = file(api, world)
    assert api("practice", "GET", "/queue").status_code == 403
    assert api("practice", "POST", f"/{filed['id']}/reject", {"reason": "x"}).status_code == 403
    assert api("other_practice", "GET", f"/{filed['id']}").status_code == 403
    assert api("authority", "POST", f"/{filed['id']}/reject", {"reason": ""}).status_code == 422
    assert api("authority", "GET", "/999999").status_code == 404


def test_info_round_trip_and_withdraw(api, world):
    filed = file(api, world)
    asked = api("authority", "POST", f"/{filed['id']}/ask-info", {"message": "Etage?"})
    assert asked.json()["status"] == "needs_info"
    answered = api("colleague", "POST", f"/{filed['id']}/answer", {"message": "Stuen"})
    assert answered.json()["status"] == "submitted"
    assert [e["action"] for e in answered.json()["events"]] == [
        "filed",
        "info_requested",
        "answered",
    ]
    withdrawn = api("practice", "POST", f"/{filed['id']}/withdraw")
    assert withdrawn.json()["status"] == "withdrawn"
    assert api("authority", "POST", f"/{filed['id']}/reject", {"reason": "x"}).status_code == 409


def test_every_route_is_described_in_the_openapi_paths():
    from django.urls import get_resolver

    described = {path.removeprefix(BASE) for path in REQUEST_PATHS}
    assert described == {
        "/", "/queue", "/{requestId}", "/{requestId}/ask-info", "/{requestId}/answer",
        "/{requestId}/approve", "/{requestId}/reject", "/{requestId}/withdraw",
    }  # fmt: skip
    resolver = get_resolver()
    for path in REQUEST_PATHS:
        assert resolver.resolve(path.replace("{requestId}", "1")) is not None
    refs = orjson.dumps(REQUEST_PATHS).decode() + orjson.dumps(REQUEST_SCHEMAS).decode()
    for name in {r.split('"')[0].split("/")[-1] for r in refs.split('"$ref":"')[1:]}:
        assert name == "Problem" or name in REQUEST_SCHEMAS, name
