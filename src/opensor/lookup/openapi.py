"""The OpenAPI 3.1 description of the REST API, written as data.

Served at ``/api/v1/openapi.json`` and rendered as HTML at ``/api/v1/docs``. A test checks that
every route of the application is described here and every parameter an endpoint accepts is
listed (and nothing more).
"""

from __future__ import annotations

from typing import Any

from opensor.lookup.openapi_schemas import (
    BOOL,
    DATE,
    SCHEMAS,
    SOR_ID,
    STR,
    ref,
)
from opensor.lookup.problems import PROBLEM_TYPES

__all__ = ["openapi_document"]


def _param(
    name: str, where: str, description: str, schema: dict[str, Any], required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "description": description,
        "required": required or where == "path",
        "schema": schema,
    }


_P_SOR_ID = _param("sorId", "path", "The unit's SOR-ID.", SOR_ID)
_P_AS_OF = _param(
    "as_of",
    "query",
    "Answer as of this date (ISO YYYY-MM-DD), resolved from the full history; without it, as "
    "of the publication date.",
    DATE,
)
_P_LIMIT = _param(
    "limit",
    "query",
    "Rows per page (default 50).",
    {"type": "integer", "minimum": 1, "maximum": 500},
)
_P_CURSOR = _param(
    "cursor",
    "query",
    "Opaque cursor from the previous page's `next` link. A cursor keeps paging the publication "
    "it was made on while the service keeps it (410 after).",
    STR,
)
_P_ACTIVE = _param(
    "active",
    "query",
    "Only units valid (true) or not valid (false) on the publication date.",
    BOOL,
)


def _codes(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


_SEARCH_PARAMS = [
    _param(
        "q",
        "query",
        "Free text: every word must start a word of the name (æ/ae, ø/oe, å/aa, case and "
        "accents fold alike), or be a code of the unit (SOR-ID, SHAK, ydernummer, CVR, "
        "postcode, GLN). Ranked: code, exact name, name prefix, other.",
        {"type": "string", "maxLength": 200},
    ),
    _param(
        "fuzzy",
        "query",
        "true: add fuzzy (similar-spelling) matches; false: never; absent: only when prefix "
        "matching finds fewer than 3 units. Needs q.",
        BOOL,
    ),
    _param("level", "query", "Levels, comma-separated: IE, SI, OE.", _codes("e.g. SI,OE")),
    _param(
        "type", "query", "Owner, institution or unit type codes (SNOMED CT), comma-separated.", STR
    ),
    _param(
        "speciality", "query", "Speciality codes (SNOMED CT), comma-separated; any matches.", STR
    ),
    _param("shak", "query", "SHAK codes, comma-separated.", STR),
    _param("ean", "query", "GLNs; units whose effective location number is one of them.", STR),
    _param("ydernummer", "query", "Provider numbers (ydernumre), comma-separated.", STR),
    _param("cvr", "query", "CVR numbers, comma-separated.", STR),
    _param("postcode", "query", "Postcodes of the effective postal address, comma-separated.", STR),
    _param("municipality", "query", "Municipality codes (4 digits), comma-separated.", STR),
    _param("region", "query", "Region codes (1081-1085), comma-separated.", STR),
    _param("country", "query", "Country codes (DK, GL, FO), comma-separated.", STR),
    _P_ACTIVE,
    _param(
        "near",
        "query",
        "latitude,longitude (WGS84): only units within radius_km; without q ordered by distance.",
        {"type": "string", "example": "55.676,12.568"},
    ),
    _param(
        "radius_km",
        "query",
        "Radius for near in km (default 10, at most 500).",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 500},
    ),
    _P_LIMIT,
    _P_CURSOR,
]


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": ref("Problem")}},
    }


_304 = {"description": "Not modified (If-None-Match matched the ETag)."}
_400 = ("400", _problem("A parameter is malformed or unknown; the problem names it."))
_401 = (
    "401",
    _problem("A file with personal fields (sortree-complete.xml) asked for without a token."),
)
_403 = (
    "403",
    _problem("A file with personal fields asked for with a token lacking lookup:personal-data."),
)
_404 = ("404", _problem("No such unit, code, publication or file."))
_410 = ("410", _problem("The cursor's publication is no longer kept."))
_503 = ("503", _problem("No publication has been made yet."))


def _get(
    summary: str,
    description: str,
    parameters: list[dict[str, Any]],
    ok: dict[str, Any],
    *,
    tag: str,
    errors: tuple[tuple[str, dict[str, Any]], ...] = (_400, _404, _503),
    op: str,
) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": ok, "304": _304, **dict(errors)}
    return {
        "get": {
            "operationId": op,
            "tags": [tag],
            "summary": summary,
            "description": description,
            "parameters": parameters,
            "responses": responses,
        }
    }


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/units": _get(
            "Search units",
            "Free text (prefix, codes, fuzzy) and filters; cursor-paged with an exact total.",
            _SEARCH_PARAMS,
            _json(ref("UnitPage"), "One page of matching units."),
            tag="units",
            errors=(_400, _410, _503),
            op="searchUnits",
        ),
        "/api/v1/units/{sorId}": _get(
            "A unit",
            "The unit document as stored for the publication date, or as of `as_of`.",
            [_P_SOR_ID, _P_AS_OF],
            _json(ref("UnitDocument"), "The unit document."),
            tag="units",
            op="getUnit",
        ),
        "/api/v1/units/{sorId}/children": _get(
            "A unit's children",
            "The units directly below, by name then SOR-ID.",
            [_P_SOR_ID, _P_ACTIVE, _P_LIMIT, _P_CURSOR],
            _json(ref("UnitPage"), "One page of children."),
            tag="units",
            errors=(_400, _404, _410, _503),
            op="getChildren",
        ),
        "/api/v1/units/{sorId}/ancestors": _get(
            "A unit's ancestors",
            "Parent, grandparent … owner (nearest first).",
            [_P_SOR_ID],
            _json(ref("Ancestors"), "The ancestors."),
            tag="units",
            op="getAncestors",
        ),
        "/api/v1/units/{sorId}/subtree": _get(
            "A unit's subtree",
            "The unit and every unit below it, depth first (ordered by tree path).",
            [
                _P_SOR_ID,
                _P_ACTIVE,
                _param(
                    "max_depth",
                    "query",
                    "Only units at most this many levels below (0: the unit alone).",
                    {"type": "integer", "minimum": 0},
                ),
                _P_LIMIT,
                _P_CURSOR,
            ],
            _json(ref("UnitPage"), "One page of the subtree."),
            tag="units",
            errors=(_400, _404, _410, _503),
            op="getSubtree",
        ),
        "/api/v1/routing": _get(
            "Where to send a message",
            "The unit's effective location number (own or inherited) and whether it accepts "
            "messageType; else the nearest own or ancestor's number that does; else route=null "
            "with a reason (still 200). Without messageType: the effective number and every "
            "type it accepts.",
            [
                _param("sorId", "query", "The unit's SOR-ID.", SOR_ID, required=True),
                _param(
                    "messageType",
                    "query",
                    "A MedCom message type URN from the message-type code list.",
                    STR,
                ),
            ],
            _json(ref("Routing"), "The route, or route=null and the reason."),
            tag="routing",
            op="getRouting",
        ),
        "/api/v1/shak/{code}": _get(
            "Units by SHAK code",
            "The units carrying the SHAK code (as of the publication, or as_of).",
            [_param("code", "path", "A SHAK code (4, 6 or 7 characters).", STR), _P_AS_OF],
            _json(ref("ShakMapping"), "The units with that code."),
            tag="mappings",
            op="getShak",
        ),
        "/api/v1/ean/{gln}": _get(
            "A location number by GLN",
            "The location number (EAN/GLN) and the unit owning it (as of the publication, or "
            "as_of).",
            [_param("gln", "path", "A 13-digit GLN.", STR), _P_AS_OF],
            _json(ref("EanMapping"), "The location number and its owner."),
            tag="mappings",
            op="getEan",
        ),
        "/api/v1/changes": _get(
            "The change feed",
            "Events with seq > since, oldest first; gap-free sequence, never expires.",
            [
                _param(
                    "since",
                    "query",
                    "Last seq seen (default 0).",
                    {"type": "integer", "minimum": 0},
                ),
                _param(
                    "limit",
                    "query",
                    "Events per page (default 100).",
                    {"type": "integer", "minimum": 1, "maximum": 1000},
                ),
            ],
            _json(ref("Changes"), "A page of events."),
            tag="feed",
            errors=(_400, _503),
            op="getChanges",
        ),
        "/api/v1/publications": _get(
            "Publications",
            "The publications this service keeps, newest first.",
            [],
            _json(ref("Publications"), "The publications."),
            tag="publications",
            errors=(_503,),
            op="listPublications",
        ),
        "/api/v1/publications/latest": _get(
            "The latest manifest",
            "The current publication's manifest.",
            [],
            _json(ref("Manifest"), "The manifest."),
            tag="publications",
            errors=(_503,),
            op="getLatestPublication",
        ),
        "/api/v1/publications/{number}": _get(
            "A publication's manifest",
            "The manifest of a kept publication.",
            [_param("number", "path", "Publication number.", {"type": "integer", "minimum": 1})],
            _json(ref("Manifest"), "The manifest."),
            tag="publications",
            op="getPublication",
        ),
        "/api/v1/publications/{number}/files/{name}": _get(
            "Download a publication file",
            "The file as published, with Content-Length, ETag (its SHA-256), Repr-Digest and "
            "Digest headers; Range requests are honoured; Cache-Control immutable. Files: "
            "sortree.xml (SorTree XML 1.0.0, public: owners marked as personal data are "
            "withheld with their units, counted in the manifest's `withheld`), "
            "sortree-complete.xml (every unit and field: needs a token with the scope "
            "lookup:personal-data, answered Cache-Control: private, no-store), sor-csv.zip, "
            "fhir-organization.ndjson, fhir-location.ndjson, fhir-endpoint.ndjson, units.json.",
            [
                _param("number", "path", "Publication number.", {"type": "integer", "minimum": 1}),
                _param("name", "path", "File name as listed in the manifest.", STR),
            ],
            {
                "description": "The file (206 with a Range header).",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            },
            tag="publications",
            errors=(_400, _401, _403, _404, _503),
            op="getPublicationFile",
        ),
        "/api/v1/openapi.json": _get(
            "This description",
            "The OpenAPI 3.1 description of the API.",
            [],
            _json({"type": "object"}, "OpenAPI 3.1."),
            tag="meta",
            errors=(_400,),
            op="getOpenApi",
        ),
        "/api/v1/docs": _get(
            "Documentation page",
            "This description as an HTML page (no external resources).",
            [],
            {"description": "HTML.", "content": {"text/html": {"schema": STR}}},
            tag="meta",
            errors=(_400,),
            op="getDocs",
        ),
        "/healthz": {
            "get": {
                "operationId": "getHealth",
                "tags": ["operations"],
                "summary": "Health",
                "description": "200 with the publication served and its age; 503 without one.",
                "parameters": [],
                "responses": {
                    "200": _json(ref("Health"), "Serving."),
                    "503": _json(ref("Health"), "No publication."),
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "getMetrics",
                "tags": ["operations"],
                "summary": "Prometheus metrics",
                "description": "Requests by route and status, latency histogram, publication "
                "number and age, per worker process (label pid).",
                "parameters": [],
                "responses": {
                    "200": {
                        "description": "Prometheus text format 0.0.4.",
                        "content": {"text/plain": {"schema": STR}},
                    }
                },
            }
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the REST API."""
    problems = "\n".join(
        f"* `{slug}` ({status}): {text}" for slug, (status, _, text) in PROBLEM_TYPES.items()
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OpenSOR lookup API",
            "version": "1",
            "description": "Read access to the current publication of the healthcare "
            "organisation register: units, search, message routing, code mappings, the change "
            "feed and the publication files. Every response carries an ETag (send "
            "If-None-Match for a 304) and Cache-Control. Errors are RFC 9457 problem "
            "documents:\n" + problems,
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": name}
            for name in (
                "units",
                "routing",
                "mappings",
                "feed",
                "publications",
                "meta",
                "operations",
            )
        ],
        "paths": _paths(),
        "components": {"schemas": SCHEMAS},
    }
