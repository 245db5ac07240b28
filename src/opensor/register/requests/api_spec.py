"""The OpenAPI description of the change-request endpoints, merged into the write API's."""

from typing import Any

__all__ = ["REQUEST_PATHS", "REQUEST_SCHEMAS"]

BASE = "/api/v1/register/requests"

_REF = "#/components/schemas/"
_PROBLEM = {
    "description": "Refused (RFC 9457 problem JSON; 422 lists each invalid field in `errors`)",
    "content": {"application/problem+json": {"schema": {"$ref": f"{_REF}Problem"}}},
}
_ID = {
    "name": "requestId",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
    "description": "The request's number",
}


def _document(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"ETag": {"schema": {"type": "string"}, "description": "subject's version"}},
        "content": {"application/json": {"schema": {"$ref": f"{_REF}ChangeRequestDocument"}}},
    }


def _listing(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"{_REF}ChangeRequestList"}}},
    }


def _errors(*codes: str) -> dict[str, Any]:
    return dict.fromkeys(codes, _PROBLEM)


def _body(schema: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"{_REF}{schema}"}}},
    }


def _step(summary: str, body: str | None, *errors: str, **extra: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "tags": ["change requests"],
        "summary": summary,
        "parameters": [_ID, *extra.pop("parameters", [])],
        "responses": {"200": _document("The request after the step"), **_errors(*errors)},
        **extra,
    }
    if body:
        operation["requestBody"] = _body(body)
    return {"post": operation}


REQUEST_PATHS: dict[str, Any] = {
    f"{BASE}/": {
        "get": {
            "tags": ["change requests"],
            "summary": "The caller's requests (those its practice filed), newest first",
            "operationId": "listMyRequests",
            "responses": {"200": _listing("The requests"), **_errors("401")},
        },
        "post": {
            "tags": ["change requests"],
            "summary": "File a change request (practice users, for their own owner's units)",
            "operationId": "fileRequest",
            "requestBody": _body("ChangeRequestFiling"),
            "responses": {
                "201": _document("The request, filed"),
                **_errors("400", "401", "403", "404", "415", "422"),
            },
        },
    },
    f"{BASE}/queue": {
        "get": {
            "tags": ["change requests"],
            "summary": "The case workers' queue: open requests, oldest first (authority only)",
            "operationId": "listRequestQueue",
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"$ref": f"{_REF}ChangeRequestStatus"},
                    "description": "Show requests of this status instead of the open ones",
                }
            ],
            "responses": {"200": _listing("The queue"), **_errors("401", "403")},
        }
    },
    f"{BASE}/{{requestId}}": {
        "get": {
            "tags": ["change requests"],
            "summary": "One request with its history and its diff against the current register",
            "operationId": "getRequest",
            "parameters": [_ID],
            "responses": {"200": _document("The request"), **_errors("401", "403", "404")},
        }
    },
    f"{BASE}/{{requestId}}/ask-info": _step(
        "Ask the requester for more information (authority)",
        "RequestMessage",
        "401",
        "403",
        "404",
        "409",
        "422",
    ),
    f"{BASE}/{{requestId}}/answer": _step(
        "Answer the case worker, optionally with corrected values (requester's practice)",
        "RequestAnswer",
        "401",
        "403",
        "404",
        "409",
        "422",
    ),
    f"{BASE}/{{requestId}}/approve": _step(
        "Approve: apply the change as one audited write (authority)",
        None,
        "401",
        "403",
        "404",
        "409",
        "412",
        "422",
        "428",
        parameters=[
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "The `etag` of the request document the case worker read "
                "(required unless the request creates something new)",
            }
        ],
    ),
    f"{BASE}/{{requestId}}/reject": _step(
        "Reject with a reason (authority)",
        "RequestRejection",
        "401",
        "403",
        "404",
        "409",
        "422",
    ),
    f"{BASE}/{{requestId}}/withdraw": _step(
        "Withdraw an open request (requester's practice)", None, "401", "403", "404", "409"
    ),
}
"""OpenAPI ``paths`` entries, keyed from the server root (``/api/v1/register/requests``)."""

_KINDS = [
    "unit_create",
    "unit_update",
    "unit_close",
    "location_create",
    "location_update",
    "location_close",
]

REQUEST_SCHEMAS: dict[str, Any] = {
    "ChangeRequestKind": {"type": "string", "enum": _KINDS},
    "ChangeRequestStatus": {
        "type": "string",
        "enum": ["submitted", "needs_info", "approved", "rejected", "withdrawn"],
    },
    "ChangeRequestFiling": {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": {"$ref": f"{_REF}ChangeRequestKind"},
            "target_sor_id": {
                "type": "integer",
                "description": "The unit to change or close; the parent of a new unit; the unit "
                "to own a new location number",
            },
            "target_gln": {"type": "string", "description": "The location number (GLN)"},
            "level": {
                "type": "string",
                "enum": ["SI", "OE"],
                "description": "Level of a new unit (default: SI under an owner, else OE)",
            },
            "payload": {
                "type": "object",
                "description": "The values in the change format (field names of the unit or "
                "location number; an attribute group replaces the group)",
            },
            "effective": {"type": "string", "format": "date"},
            "note": {"type": "string", "maxLength": 4000},
        },
        "additionalProperties": False,
    },
    "RequestMessage": {
        "type": "object",
        "required": ["message"],
        "properties": {"message": {"type": "string", "maxLength": 4000}},
    },
    "RequestAnswer": {
        "type": "object",
        "properties": {
            "message": {"type": "string", "maxLength": 4000},
            "payload": {"type": "object", "description": "Corrected values (replace all)"},
        },
    },
    "RequestRejection": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "maxLength": 4000}},
    },
    "ChangeRequestSummary": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"$ref": f"{_REF}ChangeRequestKind"},
            "kind_da": {"type": "string"},
            "status": {"$ref": f"{_REF}ChangeRequestStatus"},
            "status_da": {"type": "string"},
            "requester": {"type": "string"},
            "owner_sor_id": {"type": "integer"},
            "target_sor_id": {"type": "integer"},
            "target_gln": {"type": ["string", "null"]},
            "level": {"type": ["string", "null"]},
            "payload": {"type": "object"},
            "effective": {"type": ["string", "null"], "format": "date"},
            "filed_etag": {"type": "string"},
            "result_id": {"type": ["string", "null"]},
            "decided_by": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "ChangeRequestList": {
        "type": "object",
        "properties": {
            "requests": {"type": "array", "items": {"$ref": f"{_REF}ChangeRequestSummary"}}
        },
    },
    "ChangeRequestDocument": {
        "allOf": [
            {"$ref": f"{_REF}ChangeRequestSummary"},
            {
                "type": "object",
                "properties": {
                    "subject_name": {"type": "string"},
                    "etag": {"type": "string", "description": "Send as If-Match to approve"},
                    "diff": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "label_da": {"type": "string"},
                                "current": {"type": "string"},
                                "requested": {"type": "string"},
                            },
                        },
                    },
                    "problems": {"type": "array", "items": {"type": "object"}},
                    "note": {"type": "string"},
                    "events": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "at": {"type": "string", "format": "date-time"},
                                "actor": {"type": "string"},
                                "action": {"type": "string"},
                                "action_da": {"type": "string"},
                                "note": {"type": "string"},
                            },
                        },
                    },
                },
            },
        ]
    },
}
"""OpenAPI ``components.schemas`` entries the paths refer to (``Problem`` is the API's own)."""
