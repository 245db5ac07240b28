"""Findings: the errors and warnings that imports and register checks report.

An *error* makes an import refuse the whole file; a *warning* is a real-world inconsistency
that is kept as it is and reported (DESIGN: imports keep such data, ``sor check`` lists it).
The data-quality rules that produce warnings live here so that the importer and ``sor check``
apply exactly the same ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from opensor.domain.codelists import CodeListName, CodeLists
from opensor.domain.errors import InvalidCode
from opensor.domain.records import LocationNumberRecord, UnitRecord, Validity

__all__ = [
    "Finding",
    "Severity",
    "check_child_within_parent",
    "check_location_number_codes",
    "check_unit_codes",
]


class Severity(StrEnum):
    """How serious a finding is."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, with where it is (SOR-ID, GLN, line) and a stable ``rule`` name."""

    severity: Severity
    rule: str
    message: str
    sor_id: int | None = None
    gln: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.sor_id is not None:
            where.append(f"SOR-ID {self.sor_id}")
        if self.gln is not None:
            where.append(f"GLN {self.gln}")
        prefix = ", ".join(where)
        return f"{self.severity}: {prefix + ': ' if prefix else ''}{self.message} [{self.rule}]"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (SOR-IDs as strings)."""
        return {
            "severity": self.severity.value,
            "rule": self.rule,
            "message": self.message,
            "sor_id": str(self.sor_id) if self.sor_id is not None else None,
            "gln": self.gln,
            "line": self.line,
        }


def _outside(child: Validity, parent: Validity) -> str | None:
    if child.first_from < parent.first_from:
        return f"starts {child.first_from} before its parent ({parent.first_from})"
    if parent.valid_to is not None and (child.valid_to is None or child.valid_to > parent.valid_to):
        child_end = child.valid_to or "open"
        return f"ends {child_end}, after its parent closes ({parent.valid_to})"
    return None


def check_child_within_parent(
    child: UnitRecord, parent: UnitRecord, *, line: int | None = None
) -> Finding | None:
    """Warn when a child's valid time is not inside its parent's (real exports break this)."""
    problem = _outside(child.validity, parent.validity)
    if problem is None:
        return None
    return Finding(
        Severity.WARNING,
        "child-outside-parent-validity",
        f"unit {problem}; parent SOR-ID {parent.sor_id}",
        sor_id=child.sor_id,
        line=line,
    )


_UNIT_CODE_FIELDS = (
    ("owner_type", CodeListName.OWNER_TYPE),
    ("institution_type", CodeListName.INSTITUTION_TYPE),
    ("unit_type", CodeListName.UNIT_TYPE),
)


def _code_finding(codes: CodeLists, list_name: str, code: str, **where: Any) -> Finding | None:
    try:
        codes.validate(list_name, code)
    except InvalidCode as error:
        return Finding(Severity.WARNING, "unknown-code", str(error), **where)
    return None


def check_unit_codes(
    record: UnitRecord, codes: CodeLists, *, line: int | None = None
) -> Iterator[Finding]:
    """Warn about every code of a unit that its code list does not hold (or has retired)."""
    where: dict[str, Any] = {"sor_id": record.sor_id, "line": line}
    for field_name, list_name in _UNIT_CODE_FIELDS:
        value = getattr(record, field_name)
        if value is not None and (finding := _code_finding(codes, list_name, value, **where)):
            yield finding
    for speciality in record.specialities:
        for list_name, value in (
            (CodeListName.SPECIALITY, speciality.code),
            (CodeListName.SPECIALITY_TYPE, speciality.type),
        ):
            if finding := _code_finding(codes, list_name, value, **where):
                yield finding


def check_location_number_codes(
    record: LocationNumberRecord, codes: CodeLists, *, line: int | None = None
) -> Iterator[Finding]:
    """Warn about every message type of a location number that is not in the code list."""
    where: dict[str, Any] = {"sor_id": record.owner_sor_id, "gln": record.gln, "line": line}
    for message_type in record.message_types:
        if finding := _code_finding(codes, CodeListName.MESSAGE_TYPE, message_type, **where):
            yield finding
