"""``GET /api/v1/routing``: where a message type goes for a unit, through inherited numbers."""

from __future__ import annotations

from datetime import date

import pytest
from starlette.testclient import TestClient
from tests import factories

from opensor.domain.records import Level
from opensor.lookup.app import create_app

ROUTING = "/api/v1/routing"
REFERRAL = "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r"
DISCHARGE = "urn:dk:healthcare:medcom:messaging:edifact:meddis:dis01:d0134l"
LAB_RESULT = "urn:dk:healthcare:medcom:messaging:edifact:medrpt:rpt01:r0131k"


@pytest.fixture
def tree(publish_units):
    """owner → hospital (GLN accepting referrals) → department (inherits) → two sections.

    The section ``own`` has its own GLN accepting only discharge letters; the section
    ``refuses`` refuses inheritance and has no number; ``closed_number`` has its own number
    flagged non-active and inherits nothing usable of its own.
    """
    owner = factories.unit(Level.OWNER, name="Region Testland")
    hospital = factories.unit(
        Level.INSTITUTION,
        owner,
        name="Testland Sygehus",
        shak="9900",
        location_number_inherited=None,
    )
    department = factories.unit(Level.UNIT, hospital, name="Medicinsk Afdeling", shak="990001")
    own = factories.unit(
        Level.UNIT, department, name="Sektion Egen", shak="9900011", location_number_inherited=None
    )
    refuses = factories.unit(
        Level.UNIT, department, name="Sektion Uden", location_number_inherited=False
    )
    closed_number = factories.unit(
        Level.UNIT, department, name="Sektion Lukket", location_number_inherited=None
    )
    hospital_number = factories.location_number(hospital, message_types=(REFERRAL, DISCHARGE))
    section_number = factories.location_number(own, message_types=(DISCHARGE,))
    flagged = factories.location_number(closed_number, message_types=(REFERRAL,), non_active=True)
    store = publish_units(
        [
            ([owner], []),
            ([hospital], [hospital_number]),
            ([department], []),
            ([own], [section_number]),
            ([refuses], []),
            ([closed_number], [flagged]),
        ],
        as_of=date(2025, 6, 1),
    )
    with TestClient(create_app(store)) as client:
        yield {
            "client": client,
            "hospital": hospital,
            "department": department,
            "own": own,
            "refuses": refuses,
            "closed_number": closed_number,
            "hospital_gln": hospital_number.gln,
            "section_gln": section_number.gln,
            "flagged_gln": flagged.gln,
        }


def _route(tree, unit: str, message_type: str | None = None) -> dict:
    params = {"sorId": str(tree[unit].sor_id)}
    if message_type is not None:
        params["messageType"] = message_type
    response = tree["client"].get(ROUTING, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_inherited_number_that_accepts_the_type_is_the_route(tree):
    answer = _route(tree, "department", REFERRAL)
    route = answer["route"]
    assert route["gln"] == tree["hospital_gln"]
    assert route["rule"] == "effective"
    assert route["inherited"] is True
    assert route["owner_sor_id"] == str(tree["hospital"].sor_id)
    assert route["levels_up"] == 1
    assert route["accepts"] is True
    assert answer["reason"] is None
    assert answer["message_type"]["code"] == REFERRAL
    assert answer["message_type"]["name_en"]


def test_the_nearest_ancestor_number_accepting_the_type_is_used_when_the_own_does_not(tree):
    answer = _route(tree, "own", REFERRAL)
    assert answer["effective_location_number"]["gln"] == tree["section_gln"]
    assert answer["effective_location_number"]["inherited"] is False
    assert answer["effective_location_number"]["accepts"] is False
    route = answer["route"]
    assert route["gln"] == tree["hospital_gln"]
    assert route["rule"] == "ancestor"
    assert route["levels_up"] == 2
    # ... while the type the section's own number accepts goes there.
    assert _route(tree, "own", DISCHARGE)["route"]["gln"] == tree["section_gln"]


def test_no_route_is_a_clear_answer(tree):
    answer = _route(tree, "own", LAB_RESULT)
    assert answer["route"] is None
    assert LAB_RESULT in answer["reason"]
    assert "does not accept it" in answer["reason"]

    refusing = _route(tree, "refuses", REFERRAL)
    assert refusing["effective_location_number"] is None
    assert refusing["route"]["gln"] == tree["hospital_gln"]  # an ancestor's number accepts it
    none = _route(tree, "refuses")
    assert none["route"] is None
    assert "no location number" in none["reason"]


def test_a_non_active_number_is_no_route(tree):
    answer = _route(tree, "closed_number", REFERRAL)
    assert answer["effective_location_number"]["gln"] == tree["flagged_gln"]
    assert answer["effective_location_number"]["active"] is False
    assert answer["route"]["gln"] == tree["hospital_gln"]
    assert answer["route"]["rule"] == "ancestor"


def test_without_a_message_type_the_effective_number_and_its_types(tree):
    answer = _route(tree, "department")
    assert answer["message_type"] is None
    assert answer["route"]["gln"] == tree["hospital_gln"]
    codes = [t["code"] for t in answer["route"]["message_types"]]
    assert codes == sorted([REFERRAL, DISCHARGE])


def test_message_types_are_matched_regardless_of_case(tree):
    answer = _route(tree, "department", REFERRAL.upper())
    assert answer["message_type"]["code"] == REFERRAL


def test_routing_errors(tree):
    client = tree["client"]
    department = str(tree["department"].sor_id)
    unknown = client.get(ROUTING, params={"sorId": department, "messageType": "urn:x:nothing"})
    assert unknown.status_code == 400
    assert unknown.json()["parameter"] == "messageType"
    assert "urn:x:nothing" in unknown.json()["detail"]
    missing = client.get(ROUTING)
    assert missing.status_code == 400
    assert missing.json()["parameter"] == "sorId"
    assert client.get(ROUTING, params={"sorId": "42"}).json()["parameter"] == "sorId"
    assert client.get(ROUTING, params={"sorId": "8341000016002"}).status_code == 404
    extra = client.get(ROUTING, params={"sorId": department, "type": REFERRAL})
    assert extra.status_code == 400
    assert extra.json()["parameter"] == "type"


def test_routing_over_the_demo_register(client: TestClient, demo_store):
    import sqlite3

    publication = demo_store.current()
    model = sqlite3.connect(f"file:{publication.read_model_path}?mode=ro", uri=True)
    sor_id, gln, source = model.execute(
        "SELECT sor_id, gln, gln_source FROM unit WHERE gln IS NOT NULL AND gln_source != sor_id "
        "AND active = 1 LIMIT 1"
    ).fetchone()
    (message_type,) = model.execute(
        "SELECT message_type FROM location_message_type WHERE gln = ? LIMIT 1", (gln,)
    ).fetchone()
    model.close()
    answer = client.get(ROUTING, params={"sorId": sor_id, "messageType": message_type}).json()
    assert answer["route"]["gln"] == gln
    assert answer["route"]["owner_sor_id"] == str(source)
    assert answer["route"]["inherited"] is True
