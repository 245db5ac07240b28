"""The self-service flow end to end over HTTP: a practice requests a new address, a case
worker approves it, and after ``sor publish`` the lookup service shows it.

(The same flow in real Chromium belongs with the browser tests; this test walks it through the
write API, the ``sor`` command and the lookup service's HTTP interface.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from django.test import Client
from starlette.testclient import TestClient

from opensor.cli.main import cli
from opensor.lookup.app import create_app
from opensor.publication.store import PublicationStore
from opensor.register.accounts.services import token_create

pytestmark = pytest.mark.django_db(transaction=False)

BASE = "/api/v1/register/requests"


def test_a_requested_address_reaches_the_lookup_service(
    users: dict[str, Any], world, tmp_path: Path
):
    register = Client()
    practice = {"HTTP_AUTHORIZATION": f"Bearer {token_create('praksis', 'flow')[1]}"}
    worker = {"HTTP_AUTHORIZATION": f"Bearer {token_create('sagsbehandler', 'flow')[1]}"}
    unit = world["practice_unit"].sor_id
    address = {
        "street_name": "Solrød Center",
        "building": "20",
        "postcode": "2680",
        "district": "Solrød Strand",
    }
    filed = register.post(
        f"{BASE}/",
        orjson.dumps(
            {"kind": "unit_update", "target_sor_id": unit, "payload": {"postal_address": address}}
        ),
        content_type="application/json",
        **practice,
    )
    assert filed.status_code == 201, filed.content
    request_id = filed.json()["id"]
    opened = register.get(f"{BASE}/{request_id}", **worker)
    approved = register.post(f"{BASE}/{request_id}/approve", HTTP_IF_MATCH=opened["ETag"], **worker)
    assert approved.json()["status"] == "approved", approved.content

    store = tmp_path / "publications"
    published = CliRunner().invoke(cli, ["publish", "--store", str(store)])
    assert published.exit_code == 0, published.output

    with TestClient(create_app(PublicationStore(store))) as lookup:
        response = lookup.get(f"/api/v1/units/{unit}")
    assert response.status_code == 200, response.text
    assert "Solrød Center" in response.text
