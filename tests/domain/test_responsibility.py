"""The responsibility rules of DESIGN §3 and the closed permission vocabulary."""

from __future__ import annotations

import pytest

from opensor.domain.records import Level
from opensor.domain.responsibility import (
    Permission,
    Placement,
    Role,
    RoleError,
    RoleKind,
    Sector,
    Steward,
    decide,
    location_steward,
    unit_steward,
)

REGION_OE = Placement(Level.UNIT, Sector.REGION, 1, region_code="1084")
REGION_SI = Placement(Level.INSTITUTION, Sector.REGION, 1, region_code="1084")
REGION_IE = Placement(Level.OWNER, Sector.REGION, 1, region_code="1084")
MUNICIPAL_OE = Placement(Level.UNIT, Sector.MUNICIPALITY, 2, "1085", "0259")
MUNICIPAL_SI = Placement(Level.INSTITUTION, Sector.MUNICIPALITY, 2, "1085", "0259")
PRIVATE_OE = Placement(Level.UNIT, Sector.PRIVATE, 3)
STATE_SI = Placement(Level.INSTITUTION, Sector.STATE, 4)

AUTHORITY = (Role(RoleKind.AUTHORITY),)
REGION = (Role.parse("region:1084"),)
OTHER_REGION = (Role.parse("region:1085"),)
MUNICIPALITY = (Role.parse("municipality:259"),)
PRACTICE = (Role.parse("practice:3"),)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("authority", Role(RoleKind.AUTHORITY)),
        ("region:1084", Role(RoleKind.REGION, "1084")),
        ("Municipality:101", Role(RoleKind.MUNICIPALITY, "0101")),
        ("practice:12345678901", Role(RoleKind.PRACTICE, "12345678901")),
    ],
)
def test_roles_parse_and_print(text: str, role: Role) -> None:
    assert Role.parse(text) == role
    assert Role.parse(str(role)) == role


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("king", "unknown role 'king'"),
        ("region", "needs a scope"),
        ("authority:1084", "takes no scope"),
        ("region:capital", "4-digit code"),
        ("practice:abc", "owner's SOR-ID"),
    ],
)
def test_bad_roles_are_named(text: str, message: str) -> None:
    with pytest.raises(RoleError, match=message):
        Role.parse(text)


def test_stewards_follow_design_section_3() -> None:
    assert unit_steward(REGION_OE) == Steward(RoleKind.REGION, "1084")
    assert unit_steward(REGION_SI) == Steward(RoleKind.AUTHORITY)
    assert unit_steward(REGION_IE) == Steward(RoleKind.AUTHORITY)
    assert unit_steward(MUNICIPAL_OE) == Steward(RoleKind.MUNICIPALITY, "0259")
    assert unit_steward(MUNICIPAL_SI) == Steward(RoleKind.AUTHORITY)
    assert unit_steward(PRIVATE_OE) == Steward(RoleKind.AUTHORITY)
    assert unit_steward(STATE_SI) == Steward(RoleKind.AUTHORITY)
    assert location_steward(REGION_OE) == Steward(RoleKind.REGION, "1084")
    assert location_steward(REGION_SI) == Steward(RoleKind.AUTHORITY)
    assert location_steward(MUNICIPAL_OE) == Steward(RoleKind.AUTHORITY)


def test_a_regional_owner_without_known_region_falls_to_the_authority() -> None:
    unknown = Placement(Level.UNIT, Sector.REGION, 1, region_code=None)
    assert unit_steward(unknown) == Steward(RoleKind.AUTHORITY)


@pytest.mark.parametrize(
    ("roles", "permission", "placement", "allowed"),
    [
        (REGION, Permission.UNIT_UPDATE, REGION_OE, True),
        (REGION, Permission.UNIT_UPDATE, REGION_SI, False),
        (OTHER_REGION, Permission.UNIT_UPDATE, REGION_OE, False),
        (AUTHORITY, Permission.UNIT_UPDATE, REGION_SI, True),
        (AUTHORITY, Permission.UNIT_UPDATE, REGION_OE, False),
        (REGION, Permission.LOCATION_UPDATE, REGION_OE, True),
        (MUNICIPALITY, Permission.UNIT_UPDATE, MUNICIPAL_OE, True),
        (MUNICIPALITY, Permission.LOCATION_UPDATE, MUNICIPAL_OE, False),
        (AUTHORITY, Permission.LOCATION_UPDATE, MUNICIPAL_OE, True),
        (PRACTICE, Permission.UNIT_UPDATE, PRIVATE_OE, False),
        (PRACTICE, Permission.REQUEST_FILE, PRIVATE_OE, True),
        (PRACTICE, Permission.REQUEST_FILE, STATE_SI, False),
        (AUTHORITY, Permission.REQUEST_FILE, PRIVATE_OE, False),
        (AUTHORITY, Permission.REQUEST_DECIDE, None, True),
        (PRACTICE, Permission.REQUEST_DECIDE, None, False),
        (REGION, Permission.AUDIT_READ, REGION_OE, True),
        (REGION, Permission.AUDIT_READ, REGION_SI, False),
        (AUTHORITY, Permission.AUDIT_READ, MUNICIPAL_OE, True),
        ((), Permission.UNIT_UPDATE, PRIVATE_OE, False),
    ],
)
def test_decide(
    roles: tuple[Role, ...], permission: Permission, placement: Placement | None, allowed: bool
) -> None:
    decision = decide(roles, permission, placement)
    assert decision.allowed is allowed
    assert decision.reason_da and decision.reason_en


def test_a_refusal_names_the_steward_and_the_roles_held() -> None:
    decision = decide(MUNICIPALITY, Permission.LOCATION_UPDATE, MUNICIPAL_OE)
    assert "authority" in decision.reason_en and "municipality:0259" in decision.reason_en
    assert decision.reason_da == (
        "lokationsnummeret vedligeholdes af myndigheden (Sundhedsdatastyrelsen); "
        "du er Køge Kommune (0259)"
    )
    refused = decide(OTHER_REGION, Permission.UNIT_UPDATE, REGION_OE)
    assert "vedligeholdes af Region Hovedstaden (1084); du er Region Sjælland (1085)" in (
        refused.reason_da
    )


def test_the_vocabulary_is_closed_and_labelled() -> None:
    for permission in Permission:
        scope, resource, action = permission.value.split(":")
        assert scope == "register" and resource in {"unit", "location", "request", "audit"}
        assert action and permission.label_da
