"""The FHIR R4 resources of a unit and a location number (IHE mCSD, identifiers per DK Core).

* Every unit is an ``Organization`` (id = SOR-ID). ``partOf`` follows the tree.
* A health institution (SI) or an organisational unit (OE) is also a ``Location`` (same id)
  managed by its Organization; an OE's Location is ``partOf`` its parent's Location. An owner
  (IE) has no Location.
* A location number is an ``Endpoint`` (id = GLN) managed by its owner's Organization. An
  Organization and a Location refer to their *effective* Endpoint (their own location number,
  or the nearest ancestor's they inherit), which is where messages to them are sent.

The mapping is documented field by field in ``docs/fhir.md``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from opensor.domain.codelists import CodeListName, CodeLists
from opensor.domain.fhir.datatypes import (
    address,
    check_id,
    instant,
    is_active,
    level_concept,
    period,
    reference,
    speciality_concept,
    telecom,
    type_concept,
)
from opensor.domain.fhir.systems import (
    CONNECTION_TYPE_SYSTEM,
    CVR_SYSTEM,
    EBCORE_GLN_PARTY_PREFIX,
    GLN_SYSTEM,
    MESSAGE_TYPE_SYSTEM,
    PROVIDER_NUMBER_SYSTEM,
    SHAK_SYSTEM,
    SOR_SYSTEM,
)
from opensor.domain.inheritance import EffectiveUnit
from opensor.domain.records import Level, LocationNumberRecord

__all__ = [
    "EDELIVERY_COMMUNICATION_SUPPLIER",
    "NO_MESSAGE_TYPES_TEXT",
    "content_version_id",
    "endpoint_resource",
    "location_resource",
    "organization_resource",
]

EDELIVERY_COMMUNICATION_SUPPLIER = "100097"
"""The net operator code of MedCom eDelivery; a number reached through it is an eDelivery
endpoint, every other one a VANS endpoint."""

NO_MESSAGE_TYPES_TEXT = "Ingen meddelelsestyper registreret i SOR"
"""``Endpoint.payloadType`` text for a number without registered message types (FHIR R4
requires at least one payload type; HL7's ``any`` and ``none`` codes would claim something
SOR does not say)."""


def content_version_id(resource: dict[str, Any]) -> str:
    """A version id that changes exactly when the resource's content does.

    The first 16 hex digits of the SHA-256 of the resource's canonical JSON without ``meta``:
    a correction or an inherited change gives a new id, an unchanged resource keeps its id
    from one publication to the next, and a past version rebuilt for the history gets the
    same id as when it was current.
    """
    content = {key: value for key, value in resource.items() if key != "meta"}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _with_meta(
    resource: dict[str, Any], version_id: str | None, last_updated: datetime
) -> dict[str, Any]:
    if version_id is None:
        version_id = content_version_id(resource)
    meta = {"versionId": check_id("version id", version_id), "lastUpdated": instant(last_updated)}
    head = {key: resource[key] for key in ("resourceType", "id")}
    return {**head, "meta": meta, **{k: v for k, v in resource.items() if k not in head}}


def _identifiers(effective: EffectiveUnit) -> list[dict[str, str]]:
    unit = effective.unit
    result = [{"use": "official", "system": SOR_SYSTEM, "value": str(unit.sor_id)}]
    own = effective.location_number
    if own.value is not None and not own.inherited:
        result.append({"use": "official", "system": GLN_SYSTEM, "value": own.value.gln})
    if unit.provider_number:
        result.append({"system": PROVIDER_NUMBER_SYSTEM, "value": unit.provider_number})
    if unit.shak:
        result.append({"system": SHAK_SYSTEM, "value": unit.shak})
    if unit.cvr:
        result.append({"use": "official", "system": CVR_SYSTEM, "value": unit.cvr})
    return result


def _endpoints(effective: EffectiveUnit) -> list[dict[str, str]]:
    number = effective.location_number.value
    return [reference("Endpoint", number.gln)] if number is not None else []


def _addresses(effective: EffectiveUnit) -> list[dict[str, Any]]:
    postal = effective.postal_address.value
    visiting = effective.visiting_address.value
    if postal is not None and visiting is not None and postal == visiting:
        return [address(postal, kind="both")]
    result = []
    if postal is not None:
        result.append(address(postal, kind="postal"))
    if visiting is not None:
        result.append(address(visiting, kind="physical"))
    return result


def organization_resource(
    effective: EffectiveUnit,
    *,
    codes: CodeLists,
    last_updated: datetime,
    version_id: str | None = None,
    day: date | None = None,
) -> dict[str, Any]:
    """The unit as an ``Organization``: identifiers, types, name, contact, addresses, tree.

    ``meta`` holds ``version_id`` (by default :func:`content_version_id`) and
    ``last_updated``.

    ``active`` is whether the unit's version is valid on ``day`` (the publication date); without
    a ``day``, whether the version is not closed. ``type`` holds the owner, institution or
    unit type (SNOMED CT), the SOR level (MedCom EER code system) and each clinical
    speciality (SNOMED CT, with the SOR speciality type as an extension). ``endpoint`` is the
    unit's effective location number, own or inherited.
    """
    unit = effective.unit
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": check_id("id", str(unit.sor_id)),
        "language": "da",
        "identifier": _identifiers(effective),
        "active": is_active(unit.validity, day),
    }
    types = [concept for concept in (type_concept(unit, codes),) if concept is not None]
    types.append(level_concept(unit.level))
    types.extend(speciality_concept(speciality, codes) for speciality in unit.specialities)
    resource["type"] = types
    resource["name"] = unit.name
    points = telecom(effective.contact)
    if points:
        resource["telecom"] = points
    addresses = _addresses(effective)
    if addresses:
        resource["address"] = addresses
    if unit.parent_sor_id is not None:
        resource["partOf"] = reference("Organization", unit.parent_sor_id)
    endpoints = _endpoints(effective)
    if endpoints:
        resource["endpoint"] = endpoints
    return _with_meta(resource, version_id, last_updated)


def _position(effective: EffectiveUnit) -> dict[str, float] | None:
    # Visiting address first, else the postal address: the same rule as the read model's
    # coordinates, so a Location found by ``near`` shows the position it was found at.
    for sourced in (effective.visiting_address, effective.postal_address):
        value = sourced.value
        if value is not None and value.latitude is not None and value.longitude is not None:
            return {"longitude": value.longitude, "latitude": value.latitude}
    return None


def location_resource(
    effective: EffectiveUnit,
    *,
    codes: CodeLists,
    last_updated: datetime,
    version_id: str | None = None,
    day: date | None = None,
) -> dict[str, Any] | None:
    """The place of a health institution or organisational unit as a ``Location``.

    ``None`` for an owner (IE), which is an organisation only. The address is the effective
    visiting address, the position its coordinates; ``managingOrganization`` is the unit's
    Organization; an OE's Location is ``partOf`` its parent's Location (an SI's parent is an
    owner, which has none). ``status`` follows ``day`` as in :func:`organization_resource`.
    """
    unit = effective.unit
    if unit.level is Level.OWNER:
        return None
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": check_id("id", str(unit.sor_id)),
        "language": "da",
        "identifier": [{"use": "official", "system": SOR_SYSTEM, "value": str(unit.sor_id)}],
        "status": "active" if is_active(unit.validity, day) else "inactive",
        "name": unit.name,
        "mode": "instance",
    }
    concept = type_concept(unit, codes)
    if concept is not None:
        resource["type"] = [concept]
    points = telecom(effective.contact)
    if points:
        resource["telecom"] = points
    visiting = effective.visiting_address.value
    if visiting is not None:
        resource["address"] = address(visiting, kind="physical")
    position = _position(effective)
    if position is not None:
        resource["position"] = position
    resource["managingOrganization"] = reference("Organization", unit.sor_id)
    if unit.level is Level.UNIT and unit.parent_sor_id is not None:
        resource["partOf"] = reference("Location", unit.parent_sor_id)
    endpoints = _endpoints(effective)
    if endpoints:
        resource["endpoint"] = endpoints
    return _with_meta(resource, version_id, last_updated)


def _payload_types(number: LocationNumberRecord, codes: CodeLists) -> list[dict[str, Any]]:
    message_types = codes.get(CodeListName.MESSAGE_TYPE.value)
    concepts: dict[str, dict[str, Any]] = {}
    for raw in number.message_types:
        entry = message_types.get(raw)
        code = entry.code if entry is not None else raw
        coding = {"system": MESSAGE_TYPE_SYSTEM, "code": code}
        if entry is not None and entry.name_da:
            coding["display"] = entry.name_da
        concepts[code] = {"coding": [coding]}
    if not concepts:
        return [{"text": NO_MESSAGE_TYPES_TEXT}]
    return [concepts[code] for code in sorted(concepts)]


def endpoint_resource(
    number: LocationNumberRecord,
    *,
    active: bool,
    codes: CodeLists,
    last_updated: datetime,
    version_id: str | None = None,
) -> dict[str, Any]:
    """The location number as an ``Endpoint`` (MedCom EER style).

    ``status`` is ``active`` when ``active`` (the caller's: valid on the publication date) and
    the number is not marked non-active, else ``off``. ``payloadType`` lists the MedCom
    message types the number accepts; ``connectionType`` is EER's ``EerMessagingEdelivery``
    when the net operator is MedCom eDelivery, else ``vansMessaging``; ``address`` is the
    GLN's ebCore party id (SOR publishes no network address: the GLN *is* the address on
    VANS and in eDelivery).
    """
    if number.communication_supplier == EDELIVERY_COMMUNICATION_SUPPLIER:
        connection = {"code": "EerMessagingEdelivery", "display": "EHMI messaging via eDelivery"}
    else:
        connection = {"code": "vansMessaging", "display": "EHMI VANS messaging"}
    resource: dict[str, Any] = {
        "resourceType": "Endpoint",
        "id": check_id("id", number.gln),
        "language": "da",
        "identifier": [{"use": "official", "system": GLN_SYSTEM, "value": number.gln}],
        "status": "active" if active and not number.non_active else "off",
        "connectionType": {"system": CONNECTION_TYPE_SYSTEM, **connection},
        "managingOrganization": reference("Organization", number.owner_sor_id),
    }
    if number.validity is not None:
        resource["period"] = period(number.validity)
    resource["payloadType"] = _payload_types(number, codes)
    resource["address"] = EBCORE_GLN_PARTY_PREFIX + number.gln
    return _with_meta(resource, version_id, last_updated)
