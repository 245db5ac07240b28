"""Fixtures of the maintenance tests: one tree per sector and an actor per role."""

from __future__ import annotations

from typing import Any

import pytest

from opensor.domain.responsibility import Role
from opensor.register.accounts.actors import Actor
from tests.factories import record_maintenance_world


@pytest.fixture
def world(record: Any) -> dict[str, Any]:
    """The sector trees of :func:`tests.factories.record_maintenance_world`."""
    return record_maintenance_world(record)


@pytest.fixture
def actors(world: dict[str, Any]) -> dict[str, Actor]:
    """One actor per role, scoped to the world's trees (``practice`` to its private owner)."""
    roles = {
        "authority": "authority",
        "region": "region:1085",
        "other_region": "region:1083",
        "municipality": "municipality:0259",
        "other_municipality": "municipality:0101",
        "practice": f"practice:{world['practice_owner'].sor_id}",
    }
    return {name: Actor(name, (Role.parse(text),), client="test") for name, text in roles.items()}
