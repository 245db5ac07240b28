"""The permission matrix at the service layer: every role × operation × in/out of scope.

Every write service is called without ``If-Match`` (creates with a nameless unit or a
malformed GLN), so an actor in scope passes the permission check and stops at the
precondition (:class:`PreconditionRequired`) or the validation (:class:`ValidationFailed`),
and an actor out of scope is refused (:class:`Forbidden`) before either. The stewards are
written out from DESIGN §3; the same matrix runs over HTTP in ``tests/api``.
"""

from __future__ import annotations

from typing import Any

import pytest

from opensor.domain.records import Level
from opensor.register.maintenance import locations, units
from opensor.register.maintenance.errors import (
    Forbidden,
    PreconditionRequired,
    ServiceError,
    ValidationFailed,
)

ROLES = ("authority", "region", "other_region", "municipality", "other_municipality", "practice")

UNIT_STEWARD = {
    "department": "region",
    "section": "region",
    "hospital": "authority",
    "care_unit": "municipality",
    "care": "authority",
    "practice_unit": "authority",
    "practice": "authority",
    "practice_owner": "authority",
    "state_institution": "authority",
    "other_department": "other_region",
    "other_hospital": "authority",
}
PARENT = {
    "department": "hospital",
    "section": "department",
    "hospital": "region",
    "care_unit": "care",
    "care": "municipality",
    "practice_unit": "practice",
    "practice": "practice_owner",
    "state_institution": "state",
    "other_department": "other_hospital",
    "other_hospital": "other_region",
}
SUCCESSOR_PARTNER = {
    "department": "section",
    "section": "department",
    "hospital": "state_institution",
    "care": "hospital",
    "practice_unit": "state_institution",
    "practice": "state_institution",
    "practice_owner": "state",
    "state_institution": "hospital",
    "other_hospital": "hospital",
}
CREATE_STEWARD = {
    ("hospital", Level.UNIT): "region",
    ("department", Level.UNIT): "region",
    ("region", Level.INSTITUTION): "authority",
    ("care", Level.UNIT): "municipality",
    ("municipality", Level.INSTITUTION): "authority",
    ("practice", Level.UNIT): "authority",
    ("practice_owner", Level.INSTITUTION): "authority",
    ("state", Level.INSTITUTION): "authority",
    ("other_hospital", Level.UNIT): "other_region",
}
LOCATION_STEWARD = {
    "department_number": "region",
    "care_number": "authority",
    "practice_number": "authority",
}
LOCATION_OWNER_STEWARD = {
    "section": "region",
    "care": "authority",
    "care_unit": "authority",
    "practice": "authority",
    "other_department": "other_region",
}


def _outcome(call: Any) -> str:
    try:
        call()
    except Forbidden:
        return "refused"
    except (PreconditionRequired, ValidationFailed):
        return "allowed"
    except ServiceError as error:  # pragma: no cover - would be a matrix bug
        return f"unexpected {type(error).__name__}: {error}"
    return "written"


def _unit_calls(actor: Any, world: dict[str, Any], target: str) -> dict[str, Any]:
    sor_id = world[target].sor_id
    calls = {
        "update": lambda: units.unit_update(actor, sor_id, {"name": "X"}, if_match=None),
        "close": lambda: units.unit_close(actor, sor_id, if_match=None),
        "reopen": lambda: units.unit_reopen(actor, sor_id, if_match=None),
    }
    if target in PARENT:
        parent = world[PARENT[target]].sor_id
        calls["move"] = lambda: units.unit_move(actor, sor_id, parent, if_match=None)
    if target in SUCCESSOR_PARTNER:
        partner = world[SUCCESSOR_PARTNER[target]].sor_id
        calls["successor"] = lambda: units.unit_successor(actor, sor_id, partner, if_match=None)
    return calls


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_do_exactly_what_its_scope_allows(world, actors, role):
    actor = actors[role]
    wrong = []
    for target, steward in UNIT_STEWARD.items():
        for operation, call in _unit_calls(actor, world, target).items():
            expected = "allowed" if role == steward else "refused"
            if (got := _outcome(call)) != expected:
                wrong.append(f"unit {operation} {target}: {got}, expected {expected}")
    for (parent, level), steward in CREATE_STEWARD.items():
        parent_id = world[parent].sor_id
        got = _outcome(
            lambda level=level, parent_id=parent_id: units.unit_create(
                actor, level=level, parent_sor_id=parent_id, values={}
            )
        )
        expected = "allowed" if role == steward else "refused"
        if got != expected:
            wrong.append(f"create {level} under {parent}: {got}, expected {expected}")
    for number, steward in LOCATION_STEWARD.items():
        gln = world[number].gln
        calls = {
            "update": lambda gln=gln: locations.location_update(actor, gln, {}, if_match=None),
            "move": lambda gln=gln: locations.location_move(
                actor, gln, world["section"].sor_id, if_match=None
            ),
            "close": lambda gln=gln: locations.location_close(actor, gln, if_match=None),
        }
        for operation, call in calls.items():
            expected = "allowed" if role == steward else "refused"
            if (got := _outcome(call)) != expected:
                wrong.append(f"location {operation} {number}: {got}, expected {expected}")
    for owner, steward in LOCATION_OWNER_STEWARD.items():
        owner_id = world[owner].sor_id
        got = _outcome(
            lambda owner_id=owner_id: locations.location_create(
                actor, "123", owner_sor_id=owner_id, values={}
            )
        )
        expected = "allowed" if role == steward else "refused"
        if got != expected:
            wrong.append(f"location create on {owner}: {got}, expected {expected}")
    assert wrong == []


def test_the_matrix_names_every_write_permission():
    from opensor.domain.responsibility import Permission

    covered = {
        "register:unit:create",
        "register:unit:update",
        "register:unit:move",
        "register:unit:close",
        "register:unit:reopen",
        "register:unit:successor",
        "register:location:create",
        "register:location:update",
        "register:location:move",
        "register:location:close",
    }
    writes = {p.value for p in Permission if p.value.split(":")[1] in ("unit", "location")}
    assert writes == covered
