"""The permission matrix through the write API: every role × operation × in/out of scope.

Each call is made without ``If-Match`` (creates with a nameless unit or a malformed GLN), so
that nothing is ever written: a caller in scope passes the permission check and is then
stopped by the precondition (428) or the validation (422); a caller out of scope gets 403
before either is looked at. The expected stewards are written out here from DESIGN §3, not
computed by the code under test.
"""

from __future__ import annotations

import pytest

ROLES = ("authority", "region", "municipality", "practice")

UNIT_STEWARD = {
    # target: who maintains it (a role of ROLES, or None when none of them does)
    "department": "region",  # a region's own OE
    "section": "region",
    "hospital": "authority",  # a region's SI: the authority, never the region
    "care_unit": "municipality",  # a municipality's own OE
    "care": "authority",  # a municipal SI
    "practice_unit": "authority",  # private units: the authority; practices only request
    "practice": "authority",
    "state_institution": "authority",
    "other_department": None,  # another region's OE (region:1083)
}
SUCCESSOR_PARTNER = {
    "department": "section",
    "section": "department",
    "hospital": "state_institution",
    "care_unit": "care_unit_2",
    "care": "hospital",
    "practice_unit": "state_institution",
    "practice": "state_institution",
    "state_institution": "hospital",
    "other_department": "other_section",
}
CREATE_STEWARD = {
    # (parent, level of the new unit): who may create it
    ("hospital", "OE"): "region",
    ("region", "SI"): "authority",
    ("care", "OE"): "municipality",
    ("municipality", "SI"): "authority",
    ("practice", "OE"): "authority",
    ("state", "SI"): "authority",
    ("other_hospital", "OE"): None,
}
LOCATION_STEWARD = {
    "department_number": "region",  # owned by a regional OE
    "care_number": "authority",  # municipal numbers: the authority, never the municipality
    "practice_number": "authority",
}
UNIT_OPERATIONS = ("update", "move", "close", "reopen", "successor")
LOCATION_OPERATIONS = ("update", "move", "close")


def _expect(role: str, steward: str | None, allowed_status: int) -> int:
    return allowed_status if role == steward else 403


def _unit_call(client, server, operation: str, target: str):  # type: ignore[no-untyped-def]
    sor_id = server.ids[target]
    body = {
        "update": {"changes": {"name": "Nyt navn"}},
        "move": {"parent": server.ids.get(_parent_of(target), sor_id)},
        "close": {},
        "reopen": {},
        "successor": {"successor": server.ids[SUCCESSOR_PARTNER[target]]},
    }[operation]
    if operation == "update":
        return client.patch(f"/units/{sor_id}", json=body)
    return client.post(f"/units/{sor_id}/{operation}", json=body)


def _parent_of(target: str) -> str:
    return {
        "department": "hospital",
        "section": "department",
        "hospital": "region",
        "care_unit": "care",
        "care": "municipality",
        "practice_unit": "practice",
        "practice": "practice_owner",
        "state_institution": "state",
        "other_department": "other_hospital",
    }[target]


@pytest.mark.parametrize("operation", UNIT_OPERATIONS)
@pytest.mark.parametrize("target", list(UNIT_STEWARD))
@pytest.mark.parametrize("role", ROLES)
def test_unit_writes_are_allowed_exactly_to_the_steward(server, role, target, operation):
    with server.client(role) as client:
        response = _unit_call(client, server, operation, target)
    expected = _expect(role, UNIT_STEWARD[target], 428)
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("parent", "level"), list(CREATE_STEWARD))
@pytest.mark.parametrize("role", ROLES)
def test_unit_creation_is_allowed_exactly_to_the_steward(server, role, parent, level):
    with server.client(role) as client:
        response = client.post(
            "/units", json={"level": level, "parent": server.ids[parent], "values": {}}
        )
    expected = _expect(role, CREATE_STEWARD[(parent, level)], 422)
    assert response.status_code == expected, response.text
    if expected == 422:
        assert "name" in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("operation", LOCATION_OPERATIONS)
@pytest.mark.parametrize("number", list(LOCATION_STEWARD))
@pytest.mark.parametrize("role", ROLES)
def test_location_writes_are_allowed_exactly_to_the_steward(server, role, number, operation):
    gln = server.glns[number]
    with server.client(role) as client:
        if operation == "update":
            response = client.patch(f"/locations/{gln}", json={"changes": {"message_types": []}})
        elif operation == "move":
            response = client.post(f"/locations/{gln}/move", json={"owner": server.ids["section"]})
        else:
            response = client.post(f"/locations/{gln}/close", json={})
    assert response.status_code == _expect(role, LOCATION_STEWARD[number], 428), response.text


@pytest.mark.parametrize(
    ("owner", "steward"),
    [("section", "region"), ("care_unit_2", "authority"), ("practice", "authority")],
)
@pytest.mark.parametrize("role", ROLES)
def test_location_creation_is_allowed_exactly_to_the_steward(server, role, owner, steward):
    with server.client(role) as client:
        response = client.post("/locations", json={"gln": "123", "owner": server.ids[owner]})
    expected = _expect(role, steward, 422)
    assert response.status_code == expected, response.text
    if expected == 422:
        assert [e["field"] for e in response.json()["errors"]] == ["gln"]


@pytest.mark.parametrize("target", list(UNIT_STEWARD))
@pytest.mark.parametrize("role", ROLES)
def test_the_audit_trail_is_readable_by_the_steward_and_the_authority(server, role, target):
    with server.client(role) as client:
        response = client.get(f"/units/{server.ids[target]}/audit")
    allowed = role in ("authority", UNIT_STEWARD[target])
    assert response.status_code == (200 if allowed else 403), response.text
