"""The ``CapabilityStatement`` (``GET /fhir/metadata``): exactly what the FHIR API does.

It is generated from the same tables the interactions use (the search parameters of
:data:`~opensor.lookup.fhir.search.SPECS`, the includes of
:mod:`~opensor.lookup.fhir.interactions`), so it cannot claim more than works.
"""

from __future__ import annotations

from typing import Any

from opensor import __version__ as opensor_version
from opensor.domain.fhir.systems import FHIR_VERSION
from opensor.lookup.fhir.interactions import EMPTY_TYPES, include_values
from opensor.lookup.fhir.specs import SPECS

__all__ = ["capability_statement"]

_STANDARD = "http://hl7.org/fhir/SearchParameter/"
_STANDARD_NAMES = {
    ("Organization", "identifier"),
    ("Organization", "name"),
    ("Organization", "type"),
    ("Organization", "active"),
    ("Organization", "partof"),
    ("Organization", "endpoint"),
    ("Location", "identifier"),
    ("Location", "name"),
    ("Location", "type"),
    ("Location", "status"),
    ("Location", "partof"),
    ("Location", "organization"),
    ("Location", "endpoint"),
    ("Location", "near"),
    ("Endpoint", "identifier"),
    ("Endpoint", "status"),
    ("Endpoint", "organization"),
    ("Endpoint", "payload-type"),
    ("Endpoint", "connection-type"),
}

_STRICT = (
    "Search is strict: an unknown search parameter, modifier or _include value is refused with "
    "400 and an OperationOutcome naming it (as with Prefer: handling=strict). Paging: _count "
    "(default 50, at most 1000) and the next link, which carries the whole search state in "
    "its query string (_cursor is the last id of the page); Bundle.total is exact."
)
_HISTORY = (
    "History (IHE mCSD ITI-91) comes from the publication's change feed: newest first, "
    "_since with or without a time zone (UTC when none), _count (default 100, at most 1000); "
    "meta.lastUpdated of a version is when it was published; a closure is a DELETE entry."
)


def _definition(resource_type: str, name: str) -> str | None:
    if name in ("_id", "_lastUpdated"):
        return (
            f"{_STANDARD}Resource-{name[1:]}"
            if name == "_id"
            else f"{_STANDARD}Resource-lastUpdated"
        )
    if (resource_type, name) in _STANDARD_NAMES:
        return f"{_STANDARD}{resource_type}-{name}"
    return None


def _resource(resource_type: str) -> dict[str, Any]:
    spec = SPECS[resource_type]
    params = []
    for name, (kind, documentation) in spec.definitions.items():
        param: dict[str, Any] = {"name": name, "type": kind, "documentation": documentation}
        definition = _definition(resource_type, name)
        if definition:
            param["definition"] = definition
        params.append(param)
    includes, revincludes = include_values(resource_type)
    resource: dict[str, Any] = {
        "type": resource_type,
        "interaction": [
            {"code": code} for code in ("read", "search-type", "history-instance", "history-type")
        ],
        "versioning": "versioned",
        "readHistory": False,
        "updateCreate": False,
        "searchParam": params,
    }
    if includes:
        resource["searchInclude"] = includes
    if revincludes:
        resource["searchRevInclude"] = revincludes
    return resource


def _empty(resource_type: str) -> dict[str, Any]:
    return {
        "type": resource_type,
        "documentation": "The register holds no such resources: searches and the history "
        "answer empty Bundles, reads 404.",
        "interaction": [
            {"code": code} for code in ("read", "search-type", "history-instance", "history-type")
        ],
        "searchParam": [
            {"name": "_id", "type": "token", "definition": f"{_STANDARD}Resource-id"},
            {
                "name": "_lastUpdated",
                "type": "date",
                "definition": f"{_STANDARD}Resource-lastUpdated",
            },
        ],
    }


def capability_statement(date: str, base: str) -> dict[str, Any]:
    """The statement; ``date`` is the publication's time, ``base`` the FHIR base URL."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "OpenSOR",
        "kind": "instance",
        "software": {"name": "OpenSOR", "version": opensor_version},
        "implementation": {
            "description": "OpenSOR lookup service: the published register as FHIR R4 "
            "(IHE mCSD Care Services Selective Supplier subset; identifiers per DK Core)",
            "url": base,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": f"{_STRICT} {_HISTORY}",
                "resource": [
                    *(_resource(name) for name in SPECS),
                    *(_empty(name) for name in EMPTY_TYPES),
                ],
                "interaction": [{"code": "batch"}],
            }
        ],
    }
