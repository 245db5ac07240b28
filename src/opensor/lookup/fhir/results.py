"""What a FHIR interaction answers: a status, JSON bytes and headers; and FHIR errors.

The interactions (read, search, history, capabilities) are plain functions returning a
:class:`FhirResult`, so the HTTP routes and the batch interaction share them. Every error is
a :class:`FhirError` that renders as an ``OperationOutcome`` naming what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opensor.domain.fhir import operation_outcome
from opensor.lookup.responses import dump_json

__all__ = [
    "FHIR_JSON",
    "FhirError",
    "FhirResult",
    "dumps",
    "reason_phrase",
]

FHIR_JSON = "application/fhir+json; charset=utf-8"
"""The media type of every answer."""

_PHRASES = {
    200: "OK",
    201: "Created",
    204: "No Content",
    304: "Not Modified",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    410: "Gone",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def reason_phrase(status: int) -> str:
    """``"404 Not Found"``: the status line FHIR puts in ``Bundle.entry.response.status``."""
    return f"{status} {_PHRASES.get(status, '')}".strip()


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON bytes (as :func:`opensor.lookup.responses.dump_json`)."""
    return dump_json(value)


@dataclass
class FhirResult:
    """The answer of one interaction: status, body (JSON bytes) and extra headers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class FhirError(Exception):
    """A request FHIR answers with an ``OperationOutcome`` and an error status.

    ``code`` is the FHIR issue type; ``expression`` names the search parameter or element at
    fault.
    """

    def __init__(
        self, status: int, code: str, diagnostics: str, *, expression: str | None = None
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.expression = expression

    def outcome(self) -> dict[str, Any]:
        """The ``OperationOutcome`` of this error."""
        return operation_outcome(self.code, self.diagnostics, expression=self.expression)

    def result(self) -> FhirResult:
        """The error as an interaction result."""
        return FhirResult(self.status, dumps(self.outcome()))

    @classmethod
    def bad_parameter(cls, name: str, value: str, reason: str) -> FhirError:
        """A 400 for a malformed search parameter, naming it and saying what is allowed."""
        return cls(400, "invalid", f"search parameter {name}={value!r}: {reason}", expression=name)

    @classmethod
    def not_found(cls, resource_type: str, resource_id: str, why: str = "") -> FhirError:
        """A 404 for an unknown resource."""
        text = f"{resource_type}/{resource_id} does not exist"
        return cls(404, "not-found", text + (f": {why}" if why else ""))
