"""Fixtures of the change-request tests: the sector trees, users per role and their actors.

The browser flow's Chromium and pages come from :mod:`tests.browser` (they skip without
Playwright or Chromium).
"""

from __future__ import annotations

from typing import Any

import pytest

from opensor.register.accounts.actors import Actor
from opensor.register.accounts.services import actor_for_user, user_add
from tests.browser import browser, page  # noqa: F401 (fixtures of the browser flow)
from tests.factories import record_maintenance_world

PASSWORD = "korrekt-hest-batteri-hæfteklamme"


@pytest.fixture
def world(record: Any) -> dict[str, Any]:
    """The sector trees of :func:`tests.factories.record_maintenance_world`."""
    return record_maintenance_world(record)


@pytest.fixture
def users(world: dict[str, Any]) -> dict[str, Any]:
    """One user per role: the practice's, another practice's, a region's, a case worker."""
    owner = world["practice_owner"].sor_id
    return {
        "practice": user_add("praksis", [f"practice:{owner}"], password=PASSWORD, email="p@x.dk"),
        "colleague": user_add("kollega", [f"practice:{owner}"], password=PASSWORD),
        "other_practice": user_add(
            "anden_praksis", [f"practice:{world['state'].sor_id}"], password=PASSWORD
        ),
        "region": user_add("region", ["region:1085"], password=PASSWORD),
        "authority": user_add("sagsbehandler", ["authority"], password=PASSWORD),
    }


@pytest.fixture
def actors(users: dict[str, Any]) -> dict[str, Actor]:
    """The actor of each user (web client)."""
    return {name: actor_for_user(user) for name, user in users.items()}
