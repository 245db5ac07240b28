"""FHIR ``OperationOutcome`` resources for errors (pure)."""

from __future__ import annotations

from typing import Any

__all__ = ["operation_outcome"]


def operation_outcome(
    code: str, diagnostics: str, *, severity: str = "error", expression: str | None = None
) -> dict[str, Any]:
    """An ``OperationOutcome`` with one issue.

    ``code`` is a FHIR issue type (``not-found``, ``invalid``, ``not-supported``,
    ``processing``, ``transient`` …); ``diagnostics`` says what was wrong, in words a person
    can act on; ``expression`` names the offending element or search parameter.
    """
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}
