"""``sor check``: the register's integrity and data-quality report.

Errors are broken integrity that the register's own writes never produce (a wrong tree shape, a
cycle, overlapping versions, a GLN owned twice at once); warnings are the real-world
inconsistencies that imports keep as they are (a child outside its parent's validity, codes not
or no longer in their code list, SHAK codes outside the SHAK classification, replacements
pointing at unknown units). The same rules as the importer's are used, from the domain core.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from opensor.domain.findings import (
    Finding,
    Severity,
    check_location_number_codes,
    check_unit_codes,
)
from opensor.domain.records import Level, Validity
from opensor.register.codes.selectors import code_lists, shak_code_set
from opensor.register.units.exporting import tree_order_on
from opensor.register.units.mapping import (
    LOCATION_VERSION_FIELDS,
    UNIT_VERSION_FIELDS,
    location_record_from_row,
    unit_record_from_row,
)
from opensor.register.units.models import LocationNumberVersion, Unit, UnitVersion

__all__ = ["CheckReport", "register_check"]


@dataclass
class CheckReport:
    """The findings of a register check, with counts per rule."""

    as_of: date
    units: int = 0
    versions: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        """Findings that break the register's integrity."""
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """Data-quality findings kept as they are."""
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def counts_by_rule(self) -> dict[str, int]:
        """How many findings each rule produced."""
        return dict(Counter(f"{f.severity}:{f.rule}" for f in self.findings))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready report."""
        return {
            "as_of": self.as_of.isoformat(),
            "units": self.units,
            "versions": self.versions,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "by_rule": self.counts_by_rule(),
            "findings": [f.as_dict() for f in self.findings],
        }


def _lifetimes() -> dict[int, tuple[date, date | None]]:
    """Each unit's lifetime: its first version's start and its last version's end."""
    spans: dict[int, tuple[date, date | None]] = {}
    rows = UnitVersion.objects.current().values_list("unit_id", "valid_from", "valid_to")
    for unit_id, start, end in rows.order_by("unit_id", "valid_from").iterator(chunk_size=10_000):
        first = spans.get(unit_id, (start, end))[0]
        spans[unit_id] = (first, end)
    return spans


def _check_tree(report: CheckReport) -> Iterator[Finding]:
    levels = dict(Unit.objects.values_list("sor_id", "level").iterator(chunk_size=10_000))
    lifetimes = _lifetimes()
    edges = (
        UnitVersion.objects.current()
        .filter(parent__isnull=False)
        .values_list("unit_id", "level", "parent_id", "valid_from", "valid_to")
        .distinct()
    )
    reported: set[tuple[int, str]] = set()
    for unit_id, level, parent_id, start, end in edges.iterator(chunk_size=10_000):
        parent_level = Level(levels[parent_id])
        if parent_level not in Level(level).allowed_parent_levels:
            yield Finding(
                Severity.ERROR,
                "tree-shape",
                f"a {level} cannot sit under the {parent_level.value} {parent_id}",
                sor_id=unit_id,
            )
        parent_start, parent_end = lifetimes[parent_id]
        child = Validity(first_from=start, valid_from=start, valid_to=end)
        problem = None
        if start < parent_start:
            problem = f"version from {start} starts before its parent {parent_id} ({parent_start})"
        elif parent_end is not None and (end is None or end > parent_end):
            problem = (
                f"version from {child.valid_from} ends {end or 'open'}, after its parent "
                f"{parent_id} closes ({parent_end})"
            )
        if problem and (unit_id, "validity") not in reported:
            reported.add((unit_id, "validity"))
            yield Finding(
                Severity.WARNING, "child-outside-parent-validity", problem, sor_id=unit_id
            )
    order, orphans = tree_order_on(report.as_of)
    valid_today = set(order) | set(orphans)
    parents = dict(
        UnitVersion.objects.valid_on(report.as_of)
        .filter(unit_id__in=orphans[:10_000])
        .values_list("unit_id", "parent_id")
    )
    for orphan in orphans:
        parent_id = parents.get(orphan)
        if parent_id in valid_today:
            yield Finding(
                Severity.ERROR, "cycle", f"its ancestry loops on {report.as_of}", sor_id=orphan
            )


def _check_overlaps() -> Iterator[Finding]:
    rows = UnitVersion.objects.current().values_list("unit_id", "valid_from", "valid_to")
    previous: tuple[int, date | None] | None = None
    for unit_id, start, end in rows.order_by("unit_id", "valid_from").iterator(chunk_size=10_000):
        if previous is not None and previous[0] == unit_id:
            prev_end = previous[1]
            if prev_end is None or prev_end > start:
                yield Finding(
                    Severity.ERROR,
                    "overlapping-versions",
                    f"the version starting {start} overlaps the one before it",
                    sor_id=unit_id,
                )
        previous = (unit_id, end)
    owners: dict[str, list[tuple[date, date | None, int]]] = defaultdict(list)
    ln_rows = LocationNumberVersion.objects.current().values_list(
        "location_number_id", "valid_from", "valid_to", "owner_id"
    )
    for gln, start, end, owner in ln_rows.iterator(chunk_size=10_000):
        owners[gln].append((start, end, owner))
    for gln, periods in owners.items():
        periods.sort(key=lambda p: p[0])
        for (_, end_a, owner_a), (start_b, _, owner_b) in itertools.pairwise(periods):
            if end_a is None or end_a > start_b:
                yield Finding(
                    Severity.ERROR,
                    "gln-owned-twice",
                    f"owned by {owner_a} and by {owner_b} at the same time from {start_b}",
                    sor_id=owner_b,
                    gln=gln,
                )


def _check_codes_and_references() -> Iterator[Finding]:
    codes = code_lists()
    shak = shak_code_set()
    known = set(Unit.objects.values_list("sor_id", flat=True).iterator(chunk_size=10_000))
    seen: set[tuple[int, str]] = set()
    rows = UnitVersion.objects.current().values(*UNIT_VERSION_FIELDS)
    for row in rows.iterator(chunk_size=5_000):
        record = unit_record_from_row(row)
        findings = list(check_unit_codes(record, codes))
        if record.shak and shak and record.shak not in shak:
            findings.append(
                Finding(
                    Severity.WARNING,
                    "unknown-shak-code",
                    f"SHAK code {record.shak} is not in the SHAK classification",
                    sor_id=record.sor_id,
                )
            )
        for other in (*record.replaces, *record.replaced_by):
            if other not in known:
                findings.append(
                    Finding(
                        Severity.WARNING,
                        "replacement-unknown",
                        f"replaces or is replaced by SOR-ID {other}, not in the register",
                        sor_id=record.sor_id,
                    )
                )
        for finding in findings:
            key = (record.sor_id, finding.message)
            if key not in seen:
                seen.add(key)
                yield finding
    ln_rows = LocationNumberVersion.objects.current().values(*LOCATION_VERSION_FIELDS)
    for row in ln_rows.iterator(chunk_size=5_000):
        number = location_record_from_row(row)
        for finding in check_location_number_codes(number, codes):
            key = (number.owner_sor_id, f"{number.gln} {finding.message}")
            if key not in seen:
                seen.add(key)
                yield finding


def register_check(*, as_of: date, progress: Callable[[str], None] | None = None) -> CheckReport:
    """Check the whole register; tree and cycles are checked as of ``as_of``."""
    report = CheckReport(as_of=as_of)
    report.units = Unit.objects.count()
    report.versions = UnitVersion.objects.current().count()
    steps: list[tuple[str, Callable[[], Iterator[Finding]]]] = [
        ("tree shape, validity and cycles", lambda: _check_tree(report)),
        ("overlapping versions and GLN ownership", _check_overlaps),
        ("codes and references", _check_codes_and_references),
    ]
    for name, step in steps:
        if progress is not None:
            progress(name)
        report.findings.extend(step())
    return report
