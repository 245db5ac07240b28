"""Fixtures of the access pages' tests: an authority and a region user, logged-in clients.

``tests/access/conftest.py`` imports the fixtures, so every test module of the directory has
them; every client runs with Django's CSRF checks on.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opensor.register.access import services
from opensor.register.access.models import AccessRequest
from opensor.register.accounts.services import user_add

__all__ = ["PASSWORD", "VALID_CVR", "file_request", "login", "post", "users", "vendor_form"]

PASSWORD = "korrekt hest batteri hæfteklamme"
VALID_CVR = "25313763"
"""A CVR number that passes the modulus-11 check."""


@pytest.fixture
def users(db: None) -> dict[str, Any]:
    """A case worker of the national authority and a region's maintainer."""
    return {
        "authority": user_add("myndighed", ["authority"], password=PASSWORD),
        "region": user_add("region", ["region:1085"], password=PASSWORD),
    }


@pytest.fixture
def login(users: dict[str, Any]) -> Any:
    """A client logged in as the named user through the login form (CSRF checks on)."""

    def run(name: str) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.get("/manage/login/")
        response = client.post(
            "/manage/login/",
            {
                "username": users[name].get_username(),
                "password": PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )
        assert response.status_code == 302, response.content.decode()[:1000]
        return client

    return run


def post(client: Client, path: str, data: dict[str, Any]) -> Any:
    """POST ``data`` with the client's CSRF token, as a form in a browser does."""
    if "csrftoken" not in client.cookies:
        client.get("/manage/access/apply/")
    token = client.cookies["csrftoken"].value
    return client.post(path, {**data, "csrfmiddlewaretoken": token})


def vendor_form(**changes: Any) -> dict[str, Any]:
    """A valid access-request form (``changes`` replace fields)."""
    form: dict[str, Any] = {
        "organisation": "Journalsystemer A/S",
        "cvr": VALID_CVR,
        "purpose": "Henvisninger fra vores lægesystem til den rigtige modtager",
        "contact_name": "Ida Leverandør",
        "contact_email": "ida@journalsystemer.dk",
        "scopes": ["lookup:history", "lookup:personal-data"],
    }
    form.update(changes)
    return form


def file_request(organisation: str = "Journalsystemer A/S") -> AccessRequest:
    """A pending access request, filed through the service."""
    return services.request_file(
        organisation=organisation,
        cvr=VALID_CVR,
        purpose="Henvisninger fra vores lægesystem",
        contact_name="Ida Leverandør",
        contact_email="ida@journalsystemer.dk",
        scopes=["lookup:history"],
    )
