"""The schemas of the OpenAPI description: every JSON body the REST API answers with.

Data only; :mod:`opensor.lookup.openapi` puts them under ``components.schemas``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BOOL",
    "DATE",
    "INT",
    "NDATE",
    "NSOR_ID",
    "NSTR",
    "SCHEMAS",
    "SOR_ID",
    "STR",
    "obj",
    "ref",
]

STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
SOR_ID = {"type": "string", "pattern": "^[1-9][0-9]{10,17}$", "example": "8341000016002"}
NSOR_ID = {"type": ["string", "null"], "pattern": "^[1-9][0-9]{10,17}$"}
DATE = {"type": "string", "format": "date"}
NDATE = {"type": ["string", "null"], "format": "date"}


def ref(name: str) -> dict[str, str]:
    """A reference to schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    """An object schema with ``properties`` (and ``required`` names, if given)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required is not None:
        schema["required"] = required
    return schema


_SUMMARY = obj(
    [
        "sor_id",
        "level",
        "name",
        "active",
        "href",
    ],
    sor_id=SOR_ID,
    level={"enum": ["IE", "SI", "OE"]},
    name=STR,
    parent_sor_id=NSOR_ID,
    active=BOOL,
    valid_from=DATE,
    valid_to=NDATE,
    type_code=NSTR,
    shak=NSTR,
    provider_number=NSTR,
    cvr=NSTR,
    postcode=NSTR,
    municipality_code=NSTR,
    region_code=NSTR,
    country=NSTR,
    gln={**NSTR, "description": "Effective location number."},
    gln_source_sor_id={**NSOR_ID, "description": "The unit the effective GLN belongs to."},
    latitude={"type": ["number", "null"]},
    longitude={"type": ["number", "null"]},
    depth={**INT, "description": "0 for an owner."},
    href=STR,
    match={
        "enum": ["code", "exact", "prefix", "words", "fuzzy"],
        "description": "Search only: how the unit matched q.",
    },
    similarity={"type": "number", "description": "Search only: for fuzzy matches, 0-1."},
    distance_km={"type": "number", "description": "Search only: with near."},
)


def _page(item: str) -> dict[str, Any]:
    return obj(
        ["publication", "total", "count", "limit", "items", "next"],
        publication=INT,
        sor_id={**SOR_ID, "description": "Children and subtree: the unit asked about."},
        total={**INT, "description": "Exact number of rows in the whole result."},
        count=INT,
        limit=INT,
        items={"type": "array", "items": ref(item)},
        next={"type": ["string", "null"], "description": "URL of the next page; null on the last."},
    )


_SOURCED = obj(
    ["value", "source_sor_id", "inherited", "rule"],
    value={},
    source_sor_id=NSOR_ID,
    inherited=BOOL,
    rule={"enum": ["own", "ancestor", "postal_address", "visiting_address", "none"]},
)

SCHEMAS: dict[str, Any] = {
    "Problem": obj(
        ["type", "title", "status", "detail"],
        type={"type": "string", "description": "Link to the problem type's description."},
        title=STR,
        status=INT,
        detail=STR,
        instance=STR,
        parameter={**STR, "description": "The offending parameter (400)."},
        allowed={"description": "What the parameter accepts (400)."},
    ),
    "UnitDocument": {
        **obj(
            ["as_of", "sor_id", "level", "name", "unit", "effective", "ancestry", "versions"],
            as_of=DATE,
            sor_id=SOR_ID,
            level={"enum": ["IE", "SI", "OE"]},
            name=STR,
            unit={
                "type": "object",
                "description": "Every own field of the version valid on as_of.",
            },
            own_location_number={"type": ["object", "null"]},
            effective=obj(
                None,
                postal_address=ref("Sourced"),
                visiting_address=ref("Sourced"),
                activity_address=ref("Sourced"),
                contact={"type": "object", "additionalProperties": ref("Sourced")},
                location_number=ref("Sourced"),
            ),
            ancestry={
                "type": "array",
                "items": obj(["sor_id", "level", "name"], sor_id=SOR_ID, level=STR, name=STR),
            },
            versions=INT,
        ),
        "description": "The unit as of a date: own fields, ancestry (nearest first), and every "
        "effective value with its provenance; the same document `sor unit` prints.",
    },
    "Sourced": _SOURCED,
    "UnitSummary": _SUMMARY,
    "UnitPage": _page("UnitSummary"),
    "Ancestors": obj(
        ["publication", "sor_id", "items"],
        publication=INT,
        sor_id=SOR_ID,
        items={"type": "array", "items": ref("UnitSummary"), "description": "Nearest first."},
    ),
    "LocationNumberRoute": obj(
        ["gln", "owner_sor_id", "inherited", "active", "message_types"],
        gln=STR,
        owner_sor_id=SOR_ID,
        owner_name=NSTR,
        inherited=BOOL,
        levels_up={"type": ["integer", "null"], "description": "0: the unit's own."},
        active=BOOL,
        accepts={**BOOL, "description": "With messageType: whether it accepts it."},
        rule={"enum": ["effective", "own", "ancestor"], "description": "In route only."},
        message_types={"type": "array", "items": ref("MessageType")},
        href=STR,
    ),
    "MessageType": obj(["code"], code=STR, name_da=NSTR, name_en=NSTR),
    "Routing": obj(
        ["publication", "sor_id", "route", "reason", "effective_location_number"],
        publication=INT,
        sor_id=SOR_ID,
        name=STR,
        unit_active=BOOL,
        message_type={"anyOf": [ref("MessageType"), {"type": "null"}]},
        effective_location_number={"anyOf": [ref("LocationNumberRoute"), {"type": "null"}]},
        route={"anyOf": [ref("LocationNumberRoute"), {"type": "null"}]},
        reason={"type": ["string", "null"], "description": "Why there is no route."},
    ),
    "MappingItem": obj(
        ["sor_id", "level", "name", "active", "href"],
        sor_id=SOR_ID,
        level=STR,
        name=STR,
        parent_sor_id=NSOR_ID,
        shak=NSTR,
        valid_from=DATE,
        valid_to=NDATE,
        active=BOOL,
        href=STR,
    ),
    "ShakMapping": obj(
        ["publication", "shak", "as_of", "units"],
        publication=INT,
        shak=STR,
        as_of=DATE,
        units={"type": "array", "items": ref("MappingItem")},
    ),
    "EanMapping": obj(
        ["publication", "gln", "as_of", "active", "owner", "location_number"],
        publication=INT,
        gln=STR,
        as_of=DATE,
        active=BOOL,
        owner={"anyOf": [ref("MappingItem"), {"type": "null"}]},
        effective_for_units={**INT, "description": "Without as_of: units routing to it."},
        location_number={"type": "object", "description": "The location number's document."},
    ),
    "ChangeEvent": obj(
        ["seq", "publication", "entity", "id", "kind", "effective_date", "changed_fields"],
        seq=INT,
        publication=INT,
        entity={"enum": ["unit", "location_number"]},
        id={**STR, "description": "SOR-ID or GLN."},
        kind={"enum": ["created", "updated", "moved", "closed", "reopened", "replaced"]},
        effective_date=DATE,
        changed_fields={"type": "array", "items": STR},
        recorded_at=STR,
        doc={"type": ["object", "null"], "description": "The document after the change."},
    ),
    "Changes": obj(
        ["publication", "since", "last_seq", "count", "more", "next", "events"],
        publication=INT,
        since=INT,
        last_seq=INT,
        count=INT,
        more={**BOOL, "description": "Whether events after this page exist now."},
        next={**STR, "description": "Poll this URL for the following events."},
        events={"type": "array", "items": ref("ChangeEvent")},
    ),
    "Manifest": {
        "type": "object",
        "description": "The publication's manifest.json as the publisher wrote it: number, "
        "times, as-of date, counts, and every file with its size and SHA-256.",
        "additionalProperties": True,
    },
    "Publications": obj(
        ["current", "publications"],
        current=INT,
        publications={
            "type": "array",
            "items": obj(
                ["number", "current", "href", "manifest"],
                number=INT,
                current=BOOL,
                as_of=NSTR,
                created_at=NSTR,
                href=STR,
                manifest=ref("Manifest"),
            ),
        },
    ),
    "Health": obj(
        ["status", "publication"],
        status={"enum": ["ok", "unavailable"]},
        publication={"type": ["integer", "null"]},
        as_of=NSTR,
        created_at=NSTR,
        age_seconds={"type": ["number", "null"]},
        detail=STR,
    ),
}
