"""The FHIR mapping of units and location numbers (opensor.domain.fhir)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from opensor.domain.codelists import CodeLists
from opensor.domain.fhir import (
    OwnedNumber,
    content_version_id,
    effective_on,
    endpoint_resource,
    history_method,
    location_resource,
    operation_outcome,
    organization_resource,
)
from opensor.domain.fhir.resources import NO_MESSAGE_TYPES_TEXT
from opensor.domain.fhir.systems import (
    CONNECTION_TYPE_SYSTEM,
    CVR_SYSTEM,
    GLN_SYSTEM,
    LEVEL_SYSTEM,
    MESSAGE_TYPE_SYSTEM,
    PROVIDER_NUMBER_SYSTEM,
    SHAK_SYSTEM,
    SNOMED_SYSTEM,
    SOR_SYSTEM,
    SPECIALITY_TYPE_EXTENSION,
)
from opensor.domain.inheritance import resolve_effective
from opensor.domain.records import (
    Contact,
    Level,
    LocationNumberRecord,
    Speciality,
    UnitRecord,
    Validity,
)
from tests import factories as f
from tests.domain.test_fhir_strict import assert_strict_fhir

CODES = CodeLists.bundled()
NOW = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
DIS01 = "urn:dk:healthcare:medcom:messaging:edifact:meddis:dis01:d0134l"
REF01 = "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r"


def _identifiers(resource: dict[str, Any]) -> dict[str, str]:
    return {i["system"]: i["value"] for i in resource["identifier"]}


def _org(
    chain: list[UnitRecord], numbers: dict[int, LocationNumberRecord] | None = None, **kwargs: Any
) -> dict[str, Any]:
    effective = resolve_effective(chain, numbers or {})
    resource = organization_resource(
        effective,
        codes=CODES,
        last_updated=NOW,
        version_id=kwargs.pop("version_id", "1"),
        **kwargs,
    )
    return assert_strict_fhir(resource)


def _loc(
    chain: list[UnitRecord], numbers: dict[int, LocationNumberRecord] | None = None, **kwargs: Any
) -> dict[str, Any] | None:
    effective = resolve_effective(chain, numbers or {})
    resource = location_resource(effective, codes=CODES, last_updated=NOW, version_id="1", **kwargs)
    return assert_strict_fhir(resource) if resource is not None else None


@pytest.fixture
def tree() -> dict[str, UnitRecord]:
    return f.tree()


def test_an_owner_is_an_organization_with_its_sor_id_cvr_type_and_level(tree: dict) -> None:
    owner = tree["owner"].with_changes(cvr="29190941")
    resource = _org([owner])
    assert resource["id"] == str(owner.sor_id)
    assert _identifiers(resource) == {SOR_SYSTEM: str(owner.sor_id), CVR_SYSTEM: "29190941"}
    assert all(i["use"] == "official" for i in resource["identifier"])
    assert resource["type"][0]["coding"] == [
        {"system": SNOMED_SYSTEM, "code": "550881000005103", "display": "Region"}
    ]
    assert resource["type"][1]["coding"] == [
        {"system": LEVEL_SYSTEM, "code": "IE", "display": "Institutionsejer"}
    ]
    assert resource["name"] == "Region Sjælland"
    assert resource["active"] is True
    assert "partOf" not in resource
    assert resource["meta"] == {"versionId": "1", "lastUpdated": "2025-06-01T02:00:00Z"}


def test_an_owner_has_no_location(tree: dict) -> None:
    assert _loc([tree["owner"]]) is None


def test_a_unit_is_part_of_its_parent_and_carries_shak_and_ydernummer(tree: dict) -> None:
    section = tree["section"].with_changes(provider_number="019062")
    chain = [section, tree["department"], tree["hospital"], tree["owner"]]
    resource = _org(chain)
    assert resource["partOf"] == {"reference": f"Organization/{tree['department'].sor_id}"}
    ids = _identifiers(resource)
    assert ids[SHAK_SYSTEM] == "3800011"
    assert ids[PROVIDER_NUMBER_SYSTEM] == "019062"


def test_inherited_contact_and_address_are_the_effective_values(tree: dict) -> None:
    chain = [tree["section"], tree["department"], tree["hospital"], tree["owner"]]
    resource = _org(chain)
    assert resource["telecom"] == [{"system": "phone", "value": "46300000", "use": "work"}]
    assert resource["address"] == [
        {
            "use": "work",
            "type": "both",
            "text": "Køgevej 7, 4000 Roskilde",
            "line": ["Køgevej 7"],
            "city": "Roskilde",
            "postalCode": "4000",
            "country": "DK",
        }
    ]


def test_a_visiting_address_of_its_own_gives_a_postal_and_a_physical_address(tree: dict) -> None:
    visiting = f.address(
        street_name="Lykkebækvej",
        building="1",
        postcode="4600",
        district="Køge",
        floor="2",
        suite="th",
        latitude=55.45,
        longitude=12.17,
    )
    hospital = tree["hospital"].with_changes(visiting_address=visiting)
    resource = _org([hospital, tree["owner"]])
    assert [a["type"] for a in resource["address"]] == ["postal", "physical"]
    assert resource["address"][1]["line"] == ["Lykkebækvej 1, 2. th"]
    location = _loc([hospital, tree["owner"]])
    assert location is not None
    assert location["address"]["city"] == "Køge"
    assert location["position"] == {"longitude": 12.17, "latitude": 55.45}


def test_contact_values_map_to_telecom_systems(tree: dict) -> None:
    owner = tree["owner"].with_changes(
        contact=Contact(phone="46300000", email="a@b.dk", website="https://x.dk", fax="46300001")
    )
    resource = _org([owner])
    assert [(t["system"], t["value"]) for t in resource["telecom"]] == [
        ("phone", "46300000"),
        ("fax", "46300001"),
        ("email", "a@b.dk"),
        ("url", "https://x.dk"),
    ]


def test_specialities_are_types_with_their_speciality_type(tree: dict) -> None:
    unit = tree["department"].with_changes(
        specialities=(
            Speciality("394594003", "51000095001"),
            Speciality("408443003", "61000095002"),
        )
    )
    resource = _org([unit, tree["hospital"], tree["owner"]])
    specialities = resource["type"][2:]
    assert [s["coding"][0]["code"] for s in specialities] == ["394594003", "408443003"]
    assert specialities[0]["coding"][0]["display"] == "Oftalmologi"
    assert specialities[0]["extension"] == [
        {"url": SPECIALITY_TYPE_EXTENSION, "valueCode": "51000095001"}
    ]


def test_the_effective_endpoint_is_referenced_and_only_an_own_gln_is_an_identifier(
    tree: dict,
) -> None:
    number = f.location_number(tree["hospital"])
    chain = [tree["department"], tree["hospital"], tree["owner"]]
    department = _org(chain, {tree["hospital"].sor_id: number})
    assert department["endpoint"] == [{"reference": f"Endpoint/{number.gln}"}]
    assert GLN_SYSTEM not in _identifiers(department)
    hospital = _org(chain[1:], {tree["hospital"].sor_id: number})
    assert _identifiers(hospital)[GLN_SYSTEM] == number.gln
    location = _loc(chain, {tree["hospital"].sor_id: number})
    assert location is not None
    assert location["endpoint"] == [{"reference": f"Endpoint/{number.gln}"}]


def test_a_refused_inheritance_leaves_no_endpoint(tree: dict) -> None:
    number = f.location_number(tree["owner"])
    department = tree["department"].with_changes(location_number_inherited=False)
    resource = _org([department, tree["hospital"], tree["owner"]], {tree["owner"].sor_id: number})
    assert "endpoint" not in resource


def test_locations_form_the_tree_below_the_institution(tree: dict) -> None:
    chain = [tree["section"], tree["department"], tree["hospital"], tree["owner"]]
    section = _loc(chain)
    hospital = _loc(chain[2:])
    assert section is not None and hospital is not None
    assert section["partOf"] == {"reference": f"Location/{tree['department'].sor_id}"}
    assert section["managingOrganization"] == {
        "reference": f"Organization/{tree['section'].sor_id}"
    }
    assert "partOf" not in hospital  # an institution's parent is an owner, which has no Location
    assert hospital["type"][0]["coding"][0]["display"] == "Hospital"
    assert hospital["mode"] == "instance"


def test_active_and_status_follow_the_validity_on_the_day(tree: dict) -> None:
    closed = tree["hospital"].with_changes(
        validity=Validity(date(2000, 1, 1), date(2000, 1, 1), date(2020, 1, 1))
    )
    chain = [closed, tree["owner"]]
    assert _org(chain, day=date(2019, 12, 31))["active"] is True
    assert _org(chain, day=date(2020, 1, 1))["active"] is False
    assert _org(chain)["active"] is False  # no day: closed versions are inactive
    location = _loc(chain, day=date(2021, 1, 1))
    assert location is not None and location["status"] == "inactive"
    future = tree["hospital"].with_changes(validity=Validity(date(2030, 1, 1), date(2030, 1, 1)))
    assert _org([future, tree["owner"]], day=date(2025, 1, 1))["active"] is False


def _endpoint(number: LocationNumberRecord, active: bool = True) -> dict[str, Any]:
    resource = endpoint_resource(
        number, active=active, codes=CODES, last_updated=NOW, version_id="2"
    )
    return assert_strict_fhir(resource)


def test_a_location_number_is_an_endpoint_with_its_message_types(tree: dict) -> None:
    number = f.location_number(
        tree["hospital"],
        message_types=(REF01, DIS01.upper()),
        validity=Validity(date(2001, 1, 1), date(2001, 1, 1), date(2026, 1, 1)),
    )
    resource = _endpoint(number)
    assert resource["id"] == number.gln
    assert resource["identifier"] == [
        {"use": "official", "system": GLN_SYSTEM, "value": number.gln}
    ]
    assert resource["status"] == "active"
    assert resource["managingOrganization"] == {
        "reference": f"Organization/{tree['hospital'].sor_id}"
    }
    assert resource["payloadType"] == [
        {
            "coding": [
                {
                    "system": MESSAGE_TYPE_SYSTEM,
                    "code": DIS01,
                    "display": "Udskrivningsepikrise (EDIFACT DIS01)",
                }
            ]
        },
        {
            "coding": [
                {
                    "system": MESSAGE_TYPE_SYSTEM,
                    "code": REF01,
                    "display": "Sygehushenvisning (EDIFACT REF01)",
                }
            ]
        },
    ]
    assert resource["connectionType"] == {
        "system": CONNECTION_TYPE_SYSTEM,
        "code": "vansMessaging",
        "display": "EHMI VANS messaging",
    }
    assert (
        resource["address"] == f"urn:oasis:names:tc:ebcore:partyid-type:iso6523:0088:{number.gln}"
    )
    assert resource["period"] == {"start": "2001-01-01", "end": "2025-12-31"}


def test_an_endpoint_is_off_when_non_active_or_not_valid(tree: dict) -> None:
    number = f.location_number(tree["hospital"])
    assert _endpoint(number, active=False)["status"] == "off"
    assert _endpoint(number.with_changes(non_active=True))["status"] == "off"


def test_an_endpoint_without_message_types_says_so_in_text(tree: dict) -> None:
    resource = _endpoint(f.location_number(tree["hospital"], validity=None))
    assert resource["payloadType"] == [{"text": NO_MESSAGE_TYPES_TEXT}]
    assert "period" not in resource


def test_an_edelivery_net_operator_gives_an_edelivery_connection(tree: dict) -> None:
    resource = _endpoint(f.location_number(tree["hospital"], communication_supplier="100097"))
    assert resource["connectionType"]["code"] == "EerMessagingEdelivery"


def test_meta_needs_an_aware_time_and_a_valid_version_id(tree: dict) -> None:
    effective = resolve_effective([tree["owner"]], {})
    with pytest.raises(ValueError, match="time zone"):
        organization_resource(
            effective, codes=CODES, last_updated=datetime(2025, 1, 1), version_id="1"
        )
    with pytest.raises(ValueError, match="version id"):
        organization_resource(effective, codes=CODES, last_updated=NOW, version_id="a b")


def test_the_content_version_id_changes_with_the_content_only(tree: dict) -> None:
    effective = resolve_effective([tree["owner"]], {})
    first = organization_resource(effective, codes=CODES, last_updated=NOW)
    later = organization_resource(effective, codes=CODES, last_updated=NOW + timedelta(days=1))
    assert first["meta"]["versionId"] == later["meta"]["versionId"] == content_version_id(first)
    renamed = resolve_effective([tree["owner"].with_changes(name="Region Syd")], {})
    other = organization_resource(renamed, codes=CODES, last_updated=NOW)
    assert other["meta"]["versionId"] != first["meta"]["versionId"]


def test_an_operation_outcome_names_the_parameter() -> None:
    outcome = assert_strict_fhir(operation_outcome("invalid", "bad _count", expression="_count"))
    assert outcome["issue"][0]["expression"] == ["_count"]


# -- past versions ------------------------------------------------------------------------------


def test_a_past_version_is_resolved_with_the_ancestors_of_its_day(tree: dict) -> None:
    owner = tree["owner"]
    old_owner = owner.with_changes(
        contact=Contact(phone="11111111"),
        validity=Validity(date(2000, 1, 1), date(2000, 1, 1), date(2010, 1, 1)),
    )
    new_owner = owner.with_changes(
        contact=Contact(phone="22222222"),
        validity=Validity(date(2000, 1, 1), date(2010, 1, 1)),
    )
    hospital = tree["hospital"]
    number = f.location_number(owner, validity=Validity(date(2005, 1, 1), date(2005, 1, 1)))
    versions = {owner.sor_id: [old_owner, new_owner], hospital.sor_id: [hospital]}
    owned = {owner.sor_id: [OwnedNumber(number, date(2005, 1, 1), None)]}

    def at(day: date) -> Any:
        return effective_on(
            hospital.sor_id,
            day,
            versions_of=lambda sor_id: versions.get(sor_id, []),
            numbers_owned_by=lambda sor_id: owned.get(sor_id, []),
        )

    assert at(date(2003, 1, 1)).contact["phone"].value == "11111111"
    assert at(date(2003, 1, 1)).location_number.value is None
    assert at(date(2012, 1, 1)).contact["phone"].value == "22222222"
    assert at(date(2012, 1, 1)).location_number.value == number
    assert (
        effective_on(1, date(2012, 1, 1), versions_of=lambda _: [], numbers_owned_by=lambda _: [])
        is None
    )


def test_a_closed_unit_resolves_to_its_last_version(tree: dict) -> None:
    closed = tree["owner"].with_changes(
        validity=Validity(date(2000, 1, 1), date(2000, 1, 1), date(2020, 1, 1))
    )
    effective = effective_on(
        closed.sor_id,
        date(2020, 1, 1),
        versions_of=lambda _: [closed],
        numbers_owned_by=lambda _: [],
    )
    assert effective is not None and effective.unit == closed


@pytest.mark.parametrize(
    ("kind", "active", "method"),
    [
        ("created", True, "POST"),
        ("updated", True, "PUT"),
        ("moved", True, "PUT"),
        ("reopened", True, "PUT"),
        ("closed", False, "DELETE"),
        ("replaced", False, "DELETE"),
        ("replaced", True, "PUT"),
    ],
)
def test_history_methods(kind: str, active: bool, method: str) -> None:
    assert history_method(kind, active=active) == method


def test_levels_label_every_resource(tree: dict) -> None:
    for level, chain in (
        (Level.INSTITUTION, [tree["hospital"], tree["owner"]]),
        (Level.UNIT, [tree["department"], tree["hospital"], tree["owner"]]),
    ):
        resource = _org(chain)
        assert {"system": LEVEL_SYSTEM, "code": level.value, "display": level.label_da} in [
            c for t in resource["type"] for c in t["coding"]
        ]


def test_address_lines_keep_c_o_district_and_po_box(tree: dict) -> None:
    postal = f.address(
        mail_delivery_sublocation="c/o Kommunen",
        district_subdivision="Ejby",
        po_box="12",
        country="GL",
    )
    resource = _org([tree["owner"].with_changes(postal_address=postal)])
    address = resource["address"][0]
    assert address["line"] == ["c/o Kommunen", "Køgevej 7", "Ejby", "Postboks 12"]
    assert address["country"] == "GL"
