"""The OpenAPI 3.1 description of the write API (``/api/v1/register/openapi.json``).

It documents every endpoint, the bearer-token scheme, ``If-Match``/``ETag``, the problem JSON
of every error and the closed permission vocabulary; the change-request endpoints are merged
in from :mod:`opensor.register.requests.api_spec`.
"""

from __future__ import annotations

from typing import Any

from opensor import __version__
from opensor.domain.responsibility import Permission

__all__ = ["openapi_document"]

BASE = "/api/v1/register"

DESCRIPTION = """\
The register's write API: every change a maintainer can make in the web UI under `/manage/`,
as token-authenticated JSON. Create a token with `sor token create NAME` and send it as
`Authorization: Bearer <token>`.

**Order of checks.** A call is refused, in this order, when: the token is missing or invalid
(401); the caller acts outside its scope (403, before anything else is examined — even a
malformed body out of scope gets 403); the resource does not exist (404); a parameter is
malformed (400, naming it); the write does not say which version it is based on (428: send
`If-Match` with the `ETag` of your last read); that version is no longer current (412, with
the current `ETag`); a field is invalid (422, `errors` names each field); the write contradicts
the register (409, e.g. closing a unit with open children). Every error is RFC 9457
`application/problem+json` with a Danish `detail_da` beside the English `detail`.

**Versions.** Every read and write answers with an `ETag`; every write needs `If-Match`.
Send `Prefer: return=minimal` to leave the resource out of a write's answer.

**Dates.** `effective` (YYYY-MM-DD, default today) is the first day a change holds; it may lie
in the future. Changes are visible to maintainers at once and to consumers of the lookup
service after the next publication (`sor publish`).

**Permissions** (closed vocabulary; roles `authority`, `region:<code>`,
`municipality:<code>`, `practice:<owner SOR-ID>`):

{permissions}
"""


def _permissions() -> str:
    return "\n".join(f"* `{p.value}` — {p.label_da}" for p in Permission)


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


ERRORS = {
    "400": _problem("A parameter is malformed (`errors` names each)."),
    "401": _problem("No valid bearer token."),
    "403": _problem("Outside the caller's scope."),
    "404": _problem("Unknown unit or location number."),
    "405": _problem("Method not allowed."),
    "409": _problem("Conflicts with the register's state."),
    "412": _problem("Stale If-Match; the current ETag is in the ETag header."),
    "415": _problem("The body is not application/json."),
    "422": _problem("Invalid fields (`errors` names each)."),
    "428": _problem("If-Match missing."),
    "503": {
        **_problem(
            "The database is unavailable for the moment (`database-unavailable`); nothing was "
            "changed unless a retry with the same If-Match answers 412. Retry after the "
            "seconds in Retry-After."
        ),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}

SOR_ID = {
    "name": "sorId",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[1-9][0-9]{10,17}$"},
    "description": "SOR-ID (check digit verified).",
}
GLN = {
    "name": "gln",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]{13}$"},
    "description": "EAN location number (GLN, check digit verified).",
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": "The ETag of the version the write is based on (`*` for any).",
}
PREFER = {
    "name": "Prefer",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "enum": ["return=minimal", "return=representation"]},
}
AS_OF = {
    "name": "as_of",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "format": "date"},
    "description": "The date to read as of (default today).",
}
ETAG = {"ETag": {"schema": {"type": "string"}, "description": "The resource's new version."}}
PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
    {"name": "before", "in": "query", "schema": {"type": "integer"}, "description": "Event id."},
    {"name": "request_id", "in": "query", "schema": {"type": "string"}},
]
EFFECTIVE = {"type": "string", "format": "date", "description": "First day the change holds."}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": properties,
                    "required": required,
                    "additionalProperties": False,
                }
            }
        },
    }


def _ok(schema: str, description: str, status: str = "200") -> dict[str, Any]:
    return {
        status: {
            "description": description,
            "headers": ETAG,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }
    }


def _write(
    summary: str,
    permission: Permission,
    body: dict[str, Any],
    *,
    result: str = "UnitWriteResult",
    parameters: list[dict[str, Any]] | None = None,
    needs_if_match: bool = True,
    status: str = "200",
) -> dict[str, Any]:
    codes = ["400", "401", "403", "404", "409", "415", "422", "503"]
    if needs_if_match:
        codes += ["412", "428"]
    return {
        "summary": summary,
        "description": f"Permission: `{permission.value}` ({permission.label_da}).",
        "parameters": [*(parameters or []), *([IF_MATCH] if needs_if_match else []), PREFER],
        "requestBody": body,
        "responses": {**_ok(result, "Written.", status), **{c: ERRORS[c] for c in codes}},
    }


def _read(summary: str, schema: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": parameters,
        "responses": {
            **_ok(schema, "Found."),
            **{c: ERRORS[c] for c in ("400", "401", "404", "503")},
        },
    }


def _audit(summary: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "summary": summary,
        "description": f"Permission: `{Permission.AUDIT_READ.value}`.",
        "parameters": [*parameters, *PAGING],
        "responses": {
            "200": {
                "description": "Events, newest first.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/AuditPage"}}
                },
            },
            **{c: ERRORS[c] for c in ("400", "401", "403", "404", "503")},
        },
    }


def _paths() -> dict[str, Any]:
    unit = f"{BASE}/units/{{sorId}}"
    location = f"{BASE}/locations/{{gln}}"
    changes = {"changes": {"$ref": "#/components/schemas/Changes"}, "effective": EFFECTIVE}
    return {
        f"{BASE}/units": {
            "post": _write(
                "Create a unit",
                Permission.UNIT_CREATE,
                _body(
                    {
                        "level": {"type": "string", "enum": ["IE", "SI", "OE"]},
                        "parent": {"type": "string", "description": "Parent SOR-ID (not for IE)."},
                        "values": {"$ref": "#/components/schemas/Changes"},
                        "effective": EFFECTIVE,
                    },
                    ["level", "values"],
                ),
                needs_if_match=False,
                status="201",
            )
        },
        unit: {
            "get": _read("The effective unit", "Unit", [SOR_ID, AS_OF]),
            "patch": _write(
                "Change a unit's attributes",
                Permission.UNIT_UPDATE,
                _body(changes, ["changes"]),
                parameters=[SOR_ID],
            ),
        },
        f"{unit}/move": {
            "post": _write(
                "Move a unit under a new parent",
                Permission.UNIT_MOVE,
                _body({"parent": {"type": "string"}, "effective": EFFECTIVE}, ["parent"]),
                parameters=[SOR_ID],
            )
        },
        f"{unit}/close": {
            "post": _write(
                "Close a unit",
                Permission.UNIT_CLOSE,
                _body(
                    {
                        "effective": EFFECTIVE,
                        "children": {"type": "string", "enum": ["refuse", "close", "move"]},
                        "move_children_to": {"type": "string"},
                    },
                    [],
                ),
                parameters=[SOR_ID],
            )
        },
        f"{unit}/reopen": {
            "post": _write(
                "Reopen a closed unit",
                Permission.UNIT_REOPEN,
                _body({"effective": EFFECTIVE}, []),
                parameters=[SOR_ID],
            )
        },
        f"{unit}/successor": {
            "post": _write(
                "Record the unit's successor",
                Permission.UNIT_SUCCESSOR,
                _body({"successor": {"type": "string"}, "effective": EFFECTIVE}, ["successor"]),
                parameters=[SOR_ID],
            )
        },
        f"{unit}/audit": {"get": _audit("The audit trail of a unit", [SOR_ID])},
        f"{BASE}/locations": {
            "post": _write(
                "Register a location number",
                Permission.LOCATION_CREATE,
                _body(
                    {
                        "gln": {"type": "string"},
                        "owner": {"type": "string", "description": "Owning unit's SOR-ID."},
                        "values": {"$ref": "#/components/schemas/Changes"},
                        "effective": EFFECTIVE,
                    },
                    ["gln", "owner"],
                ),
                result="LocationWriteResult",
                needs_if_match=False,
                status="201",
            )
        },
        location: {
            "get": _read("A location number", "Location", [GLN, AS_OF]),
            "patch": _write(
                "Change a location number or its message types",
                Permission.LOCATION_UPDATE,
                _body(changes, ["changes"]),
                result="LocationWriteResult",
                parameters=[GLN],
            ),
        },
        f"{location}/move": {
            "post": _write(
                "Give a location number to another unit",
                Permission.LOCATION_MOVE,
                _body({"owner": {"type": "string"}, "effective": EFFECTIVE}, ["owner"]),
                result="LocationWriteResult",
                parameters=[GLN],
            )
        },
        f"{location}/close": {
            "post": _write(
                "Close a location number",
                Permission.LOCATION_CLOSE,
                _body({"effective": EFFECTIVE}, []),
                result="LocationWriteResult",
                parameters=[GLN],
            )
        },
        f"{location}/audit": {"get": _audit("The audit trail of a location number", [GLN])},
        f"{BASE}/audit": {
            "get": _audit(
                "The writes of one user (the authority: anyone's; others: their own)",
                [{"name": "actor", "in": "query", "schema": {"type": "string"}}],
            )
        },
    }


def _schemas() -> dict[str, Any]:
    write_result = {
        "type": "object",
        "properties": {
            "target_type": {"type": "string", "enum": ["unit", "location"]},
            "target_id": {"type": "string"},
            "etag": {"type": "string"},
            "change_set_id": {"type": "integer"},
            "effective_from": {"type": ["string", "null"], "format": "date"},
            "changed": {"type": "array", "items": {"type": "string"}},
            "closed": {"type": "array", "items": {"type": "integer"}},
        },
        "required": ["target_type", "target_id", "etag", "change_set_id", "changed"],
    }
    field_problem = {
        "type": "object",
        "properties": {
            "field": {"type": "string", "description": "The invalid field (dotted path)."},
            "detail": {"type": "string", "description": "What is wrong, in English."},
            "detail_da": {"type": "string", "description": "What is wrong, in Danish."},
        },
        "required": ["field", "detail", "detail_da"],
    }
    return {
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details.",
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "detail_da": {"type": "string"},
                "instance": {"type": "string"},
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}},
            },
            "required": ["type", "title", "status", "detail"],
        },
        "FieldProblem": field_problem,
        "Changes": {
            "type": "object",
            "description": (
                "Fields in the change format: the attribute names of the unit or location "
                "record (name, unit_type, shak, provider_number, cvr, postal_address{…}, "
                "contact{phone,email,website,fax}, specialities[{code,type}], message_types[…], "
                "…). Only the fields given change; null clears an optional field."
            ),
            "additionalProperties": True,
        },
        "Unit": {
            "type": "object",
            "description": "The effective unit with the provenance of inherited values.",
            "additionalProperties": True,
        },
        "Location": {"type": "object", "additionalProperties": True},
        "UnitWriteResult": {
            "allOf": [
                write_result,
                {"properties": {"unit": {"$ref": "#/components/schemas/Unit"}}},
            ]
        },
        "LocationWriteResult": {
            "allOf": [
                write_result,
                {"properties": {"location": {"$ref": "#/components/schemas/Location"}}},
            ]
        },
        "AuditEvent": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "change_set": {"type": "integer"},
                "recorded_at": {"type": "string", "format": "date-time"},
                "actor": {"type": "string"},
                "roles": {"type": "string"},
                "client": {"type": "string"},
                "request_id": {"type": "string"},
                "operation": {"type": "string", "enum": [p.value for p in Permission]},
                "target_type": {"type": "string"},
                "target_id": {"type": "string"},
                "effective_from": {"type": ["string", "null"], "format": "date"},
                "changed": {"type": "array", "items": {"type": "string"}},
                "before": {"type": ["object", "null"]},
                "after": {"type": ["object", "null"]},
                "note": {"type": "string"},
            },
        },
        "AuditPage": {
            "type": "object",
            "properties": {
                "events": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEvent"}},
                "next": {"type": ["integer", "null"], "description": "`before` of the next page."},
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the write API (with the change-request endpoints)."""
    from opensor.register.requests.api_spec import REQUEST_PATHS, REQUEST_SCHEMAS

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OpenSOR register write API",
            "version": __version__,
            "description": DESCRIPTION.format(permissions=_permissions()),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {**_paths(), **REQUEST_PATHS},
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from `sor token create NAME`.",
                }
            },
            "schemas": {**_schemas(), **REQUEST_SCHEMAS},
        },
    }
