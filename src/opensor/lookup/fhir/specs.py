"""The searchable resource types: Organization, Location and Endpoint, parameter by parameter.

The parameters that only one type has are defined here; the shared ones come from
:mod:`opensor.lookup.fhir.search`. :data:`SPECS` is what the interactions and the
capability statement read, so the two cannot disagree.
"""

from __future__ import annotations

import math
import sqlite3
from typing import Any

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
)
from opensor.lookup.fhir.params import SearchParam, parse_near, parse_token, split_or
from opensor.lookup.fhir.search import (
    Query,
    ResourceSpec,
    bool_active,
    identifier,
    ids,
    last_updated,
    name,
    partof,
    reference_in,
    status,
)

__all__ = ["ENDPOINT", "LOCATION", "ORGANIZATION", "SPECS"]


# -- Organization and Location -----------------------------------------------------------------

_SPECIALITY = "EXISTS (SELECT 1 FROM unit_speciality s WHERE s.sor_id = u.sor_id AND s.code = ?)"


def _org_type(_: ResourceSpec, param: SearchParam, query: Query, __: sqlite3.Connection) -> None:
    parts: list[tuple[str, list[Any]]] = []
    for value in split_or(param.value):
        system, code = parse_token(value)
        if system in (None, SNOMED_SYSTEM):
            if code is None:
                parts.append(("1", []))
            else:
                parts.append((f"(u.type_code = ? OR {_SPECIALITY})", [code, code]))
        if system in (None, LEVEL_SYSTEM):
            parts.append(("u.level = ?", [code]) if code is not None else ("1", []))
    query.any_of(parts)


def _location_type(
    _: ResourceSpec, param: SearchParam, query: Query, __: sqlite3.Connection
) -> None:
    parts: list[tuple[str, list[Any]]] = []
    for value in split_or(param.value):
        system, code = parse_token(value)
        if system in (None, SNOMED_SYSTEM):
            parts.append(("u.type_code = ?", [code]) if code is not None else ("1", []))
    query.any_of(parts)


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius 6371.0088 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def _near(
    _: ResourceSpec, param: SearchParam, query: Query, connection: sqlite3.Connection
) -> None:
    lat, lon, km = parse_near(param)
    connection.create_function("fhir_distance_km", 4, _distance_km, deterministic=True)
    dlat = km / 111.0
    cos = math.cos(math.radians(lat))
    dlon = 180.0 if cos < 1e-6 else min(180.0, km / (111.0 * cos))
    query.add(
        "(u.latitude BETWEEN ? AND ? AND u.longitude BETWEEN ? AND ?"
        " AND fhir_distance_km(?, ?, u.latitude, u.longitude) <= ?)",
        [lat - dlat, lat + dlat, lon - dlon, lon + dlon, lat, lon, km],
    )


_ORG_IDENTIFIERS = {
    SOR_SYSTEM: ("u.sor_id = ?", "1", True),
    GLN_SYSTEM: (
        "(u.gln = ? AND u.gln_source = u.sor_id)",
        "(u.gln IS NOT NULL AND u.gln_source = u.sor_id)",
        False,
    ),
    PROVIDER_NUMBER_SYSTEM: ("u.provider_number = ?", "u.provider_number IS NOT NULL", False),
    SHAK_SYSTEM: ("u.shak = ?", "u.shak IS NOT NULL", False),
    CVR_SYSTEM: ("u.cvr = ?", "u.cvr IS NOT NULL", False),
}

_COMMON = {
    "_id": (ids, frozenset({""})),
}

ORGANIZATION = ResourceSpec(
    type="Organization",
    table="unit u",
    id_column="u.sor_id",
    body_column="u.fhir_organization",
    base_where="1",
    numeric_id=True,
    params={
        **_COMMON,
        "_lastUpdated": (last_updated("u.last_updated"), frozenset({""})),
        "identifier": (identifier(_ORG_IDENTIFIERS), frozenset({""})),
        "name": (name("u.name_folded", "u.name"), frozenset({"", "contains", "exact"})),
        "type": (_org_type, frozenset({""})),
        "active": (bool_active("u.active"), frozenset({""})),
        "partof": (
            partof("Organization", locations_only=False),
            frozenset({"", "below", "above"}),
        ),
        "endpoint": (reference_in("u.gln", "Endpoint", numeric=False), frozenset({""})),
    },
    definitions={
        "_id": ("token", "SOR-ID"),
        "_lastUpdated": ("date", "meta.lastUpdated; prefixes eq ne gt ge lt le"),
        "identifier": (
            "token",
            "SOR-ID, own GLN, ydernummer, SHAK or CVR: system|value or value alone",
        ),
        "name": (
            "string",
            "starts with (Danish folding: æ=ae, ø=oe, å=aa, case and accents ignored); "
            ":contains anywhere; :exact exact",
        ),
        "type": (
            "token",
            "organisation type or clinical speciality (SNOMED CT) or SOR level (IE, SI, OE)",
        ),
        "active": ("token", "true or false"),
        "partof": (
            "reference",
            "parent; :below every unit under it; :above units part of it or of an ancestor",
        ),
        "endpoint": ("reference", "the effective Endpoint (GLN)"),
    },
)

LOCATION = ResourceSpec(
    type="Location",
    table="unit u",
    id_column="u.sor_id",
    body_column="u.fhir_location",
    base_where="u.fhir_location IS NOT NULL",
    numeric_id=True,
    params={
        **_COMMON,
        "_lastUpdated": (last_updated("u.last_updated"), frozenset({""})),
        "identifier": (
            identifier({SOR_SYSTEM: ("u.sor_id = ?", "1", True)}),
            frozenset({""}),
        ),
        "name": (name("u.name_folded", "u.name"), frozenset({"", "contains", "exact"})),
        "type": (_location_type, frozenset({""})),
        "status": (
            status("u.active", ("active", "suspended", "inactive"), {"active": 1, "inactive": 0}),
            frozenset({""}),
        ),
        "partof": (partof("Location", locations_only=True), frozenset({"", "below", "above"})),
        "organization": (reference_in("u.sor_id", "Organization"), frozenset({""})),
        "endpoint": (reference_in("u.gln", "Endpoint", numeric=False), frozenset({""})),
        "near": (_near, frozenset({""})),
    },
    definitions={
        "_id": ("token", "SOR-ID"),
        "_lastUpdated": ("date", "meta.lastUpdated; prefixes eq ne gt ge lt le"),
        "identifier": ("token", "SOR-ID"),
        "name": ("string", "as Organization name"),
        "type": ("token", "institution or unit type (SNOMED CT)"),
        "status": ("token", "active or inactive"),
        "partof": ("reference", "parent Location; :below and :above as Organization partof"),
        "organization": ("reference", "the managing Organization (the same SOR-ID)"),
        "endpoint": ("reference", "the effective Endpoint (GLN)"),
        "near": (
            "special",
            "latitude|longitude|distance|unit (km or m; 5 km when left out), on the "
            "coordinates of the visiting address",
        ),
    },
)


def _payload_type(
    _: ResourceSpec, param: SearchParam, query: Query, __: sqlite3.Connection
) -> None:
    parts: list[tuple[str, list[Any]]] = []
    for value in split_or(param.value):
        system, code = parse_token(value)
        if system in (None, MESSAGE_TYPE_SYSTEM) and code is not None:
            parts.append(
                (
                    "EXISTS (SELECT 1 FROM location_message_type m WHERE m.gln = n.gln"
                    " AND lower(m.message_type) = lower(?))",
                    [code],
                )
            )
    query.any_of(parts)


def _connection_type(
    _: ResourceSpec, param: SearchParam, query: Query, __: sqlite3.Connection
) -> None:
    parts: list[tuple[str, list[Any]]] = []
    for value in split_or(param.value):
        system, code = parse_token(value)
        if system in (None, CONNECTION_TYPE_SYSTEM) and code is not None:
            parts.append(("json_extract(n.fhir_endpoint, '$.connectionType.code') = ?", [code]))
    query.any_of(parts)


ENDPOINT = ResourceSpec(
    type="Endpoint",
    table="location_number n",
    id_column="n.gln",
    body_column="n.fhir_endpoint",
    base_where="1",
    numeric_id=False,
    params={
        **_COMMON,
        "_lastUpdated": (last_updated("n.last_updated"), frozenset({""})),
        "identifier": (
            identifier({GLN_SYSTEM: ("n.gln = ?", "1", False)}),
            frozenset({""}),
        ),
        "status": (
            status(
                "json_extract(n.fhir_endpoint, '$.status')",
                ("active", "suspended", "error", "off", "entered-in-error", "test"),
                None,
            ),
            frozenset({""}),
        ),
        "organization": (reference_in("n.owner_sor_id", "Organization"), frozenset({""})),
        "payload-type": (_payload_type, frozenset({""})),
        "connection-type": (_connection_type, frozenset({""})),
    },
    definitions={
        "_id": ("token", "GLN"),
        "_lastUpdated": ("date", "meta.lastUpdated; prefixes eq ne gt ge lt le"),
        "identifier": ("token", "GLN"),
        "status": ("token", "active or off"),
        "organization": ("reference", "the owning Organization"),
        "payload-type": ("token", "a MedCom message type URN the location number accepts"),
        "connection-type": ("token", "vansMessaging or EerMessagingEdelivery"),
    },
)

SPECS = {spec.type: spec for spec in (ORGANIZATION, LOCATION, ENDPOINT)}
"""The searchable resource types."""
