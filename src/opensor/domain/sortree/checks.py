"""Checks across the units of one SorTree file, beyond what the reader validates.

The reader refuses what breaks the schema (and check digits, and duplicate SOR-IDs); an import
also wants the data-quality rules of :mod:`opensor.domain.findings` applied to every unit, a
location number owned by two units refused, and references to units outside the file noted.
:class:`FileChecks` does that one unit at a time and collects the findings. It needs no
database: the code lists and the SHAK classification are handed to it, and whether a unit
referred to but not in the file is in the register is for the caller to ask
(:meth:`FileChecks.references_outside`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from opensor.domain.codelists import CodeEntry, CodeList, CodeLists
from opensor.domain.findings import (
    Finding,
    Severity,
    check_child_within_parent,
    check_unit_codes,
)
from opensor.domain.identifiers import SOR_NAMESPACE, SOR_PARTITION
from opensor.domain.records import LocationNumberRecord, UnitRecord
from opensor.domain.sortree.errors import SorTreeError

__all__ = ["CodeListsState", "FileChecks", "code_lists_from_state", "code_lists_state"]

_OUR_SUFFIX = SOR_NAMESPACE + SOR_PARTITION
_ITEM_DIVISOR = 10**10  # namespace (7 digits) + partition (2) + check digit (1)


CodeListsState = tuple[tuple[str, str, str, bool, tuple[CodeEntry, ...]], ...]
"""Code lists as plain data: (name, Danish label, English label, open, entries) per list."""


def code_lists_state(codes: CodeLists) -> CodeListsState:
    """``codes`` as plain data that pickle can copy (code lists hold read-only mappings)."""
    return tuple(
        (
            code_list.name,
            code_list.label_da,
            code_list.label_en,
            code_list.open,
            tuple(code_list.entries.values()),
        )
        for code_list in codes.lists()
    )


def code_lists_from_state(state: CodeListsState) -> CodeLists:
    """The code lists that :func:`code_lists_state` gave ``state`` of."""
    return CodeLists(
        CodeList(name, label_da, label_en, is_open, {entry.code: entry for entry in entries})
        for name, label_da, label_en, is_open, entries in state
    )


class FileChecks:
    """The checks of one file's units, in file order; see the module docstring.

    ``findings`` collects errors and warnings in the order found; ``failed`` says whether any
    is an error; ``units_read`` counts the units taken; ``max_item`` is the largest item number
    of a SOR-ID in the register's namespace (so that new SOR-IDs are issued past it).
    """

    def __init__(self, codes: CodeLists, shak_codes: Collection[str]) -> None:
        self.codes = codes
        self.shak_codes = shak_codes
        self.findings: list[Finding] = []
        self.failed = False
        self.units_read = 0
        self.max_item = 0
        self._seen_ids: set[int] = set()
        self._seen_glns: dict[str, int] = {}
        self._references: dict[int, tuple[int, int]] = {}
        # Most units share a handful of code combinations; each is checked once.
        self._known_good_codes: set[tuple[object, ...]] = set()

    def finding(self, severity: Severity, rule: str, message: str, **where: Any) -> None:
        """Add a finding (an error makes the file fail)."""
        self.findings.append(Finding(severity, rule, message, **where))
        if severity is Severity.ERROR:
            self.failed = True

    def error(self, error: SorTreeError) -> None:
        """Add what the reader refused, as an ``invalid-file`` error."""
        self.finding(
            Severity.ERROR, "invalid-file", error.message, sor_id=error.sor_id, line=error.line
        )

    def take(
        self,
        unit: UnitRecord,
        location: LocationNumberRecord | None,
        parent: UnitRecord | None,
        line: int,
    ) -> None:
        """Check one unit read from the file (with its own location number and its parent)."""
        self.units_read += 1
        sor_id = unit.sor_id
        self._seen_ids.add(sor_id)
        if str(sor_id)[-10:-1] == _OUR_SUFFIX:  # the reader has checked the SOR-ID
            item = sor_id // _ITEM_DIVISOR
            if item > self.max_item:
                self.max_item = item
        if parent is not None and (found := check_child_within_parent(unit, parent, line=line)):
            self.findings.append(found)
        codes_key = (unit.owner_type, unit.institution_type, unit.unit_type, unit.specialities)
        if codes_key not in self._known_good_codes:
            found_codes = list(check_unit_codes(unit, self.codes, line=line))
            if found_codes:
                self.findings.extend(found_codes)
            else:
                self._known_good_codes.add(codes_key)
        if unit.shak and self.shak_codes and unit.shak not in self.shak_codes:
            self.finding(
                Severity.WARNING,
                "unknown-shak-code",
                f"SHAK code {unit.shak} is not in the SHAK classification",
                sor_id=sor_id,
                line=line,
            )
        if unit.replaces or unit.replaced_by:
            for other in (*unit.replaces, *unit.replaced_by):
                self._references.setdefault(other, (sor_id, line))
        if location is not None:
            first_line = self._seen_glns.setdefault(location.gln, line)
            if first_line != line:
                self.finding(
                    Severity.ERROR,
                    "duplicate-gln",
                    f"location number {location.gln} is already owned by a unit on line "
                    f"{first_line}; a GLN belongs to one unit at a time",
                    sor_id=sor_id,
                    gln=location.gln,
                    line=line,
                )

    def references_outside(self) -> dict[int, tuple[int, int]]:
        """SOR-IDs that units replace or are replaced by but that are not in the file.

        Each maps to the first unit referring to it: ``(its SOR-ID, its line)``.
        """
        return {
            other: where for other, where in self._references.items() if other not in self._seen_ids
        }
