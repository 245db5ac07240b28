"""Fixtures of the web UI tests: the sector trees, one user per role, logged-in clients.

The browser tests' Chromium and pages come from :mod:`tests.browser` (they skip without
Playwright or Chromium).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opensor.register.accounts.services import user_add
from tests.browser import browser, page  # noqa: F401 (fixtures of the browser tests)
from tests.factories import record_maintenance_world

PASSWORD = "korrekt hest batteri hæfteklamme"

ROLES = {
    "authority": "authority",
    "region": "region:1085",
    "municipality": "municipality:0259",
}


@pytest.fixture
def world(record: Any) -> dict[str, Any]:
    """The sector trees of :func:`tests.factories.record_maintenance_world`."""
    return record_maintenance_world(record)


@pytest.fixture
def users(world: dict[str, Any]) -> dict[str, Any]:
    """One user per role (``practice`` scoped to the world's private owner)."""
    roles = {**ROLES, "practice": f"practice:{world['practice_owner'].sor_id}"}
    return {name: user_add(name, [role], password=PASSWORD) for name, role in roles.items()}


@pytest.fixture
def login(users: dict[str, Any]) -> Any:
    """A client logged in as the named user (through the login form, CSRF checks on)."""

    def run(name: str) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.get("/manage/login/")
        token = client.cookies["csrftoken"].value
        response = client.post(
            "/manage/login/",
            {"username": name, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        # Logging in rotates the CSRF token: use the new one from now on.
        client.csrf = client.cookies["csrftoken"].value  # type: ignore[attr-defined]
        return client

    return run
