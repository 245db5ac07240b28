"""Exporting the register as SorTree XML 1.0.0, as of a date.

The tree of units valid on the date is laid out depth-first (parents before children) from a
light skeleton of ``(SOR-ID, parent)`` pairs; the versions themselves are fetched and written in
chunks, so memory stays modest at 500,000 units. ``ToDate`` is written only where the unit
really closes: a version that merely ends because a later version (a rename, a move, a
future-dated change) follows is exported as open, as SOR's own extracts do.

The **public** file (the publication's ``sortree.xml``) carries no personal field of a unit
marked as personal data (:mod:`opensor.domain.personal`). SorTree requires an owner's telephone
number, so an owner marked as personal data that has one cannot be written without a personal
field: it is *withheld*, with every unit below it, and the result lists them. A marked unit
below an owner that is not marked loses its personal fields (and its contact block when no
telephone number is left, as SorTree requires one in it). The complete file can be written in
the same pass (``complete_path``).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.utils import timezone

from opensor.domain.findings import Finding, Severity
from opensor.domain.personal import public_record
from opensor.domain.records import Contact, LocationNumberRecord, UnitRecord
from opensor.domain.sortree import write_sortree, write_sortree_pair
from opensor.domain.sortree.pair import PairItem
from opensor.register.units.mapping import (
    LOCATION_VERSION_FIELDS,
    UNIT_VERSION_FIELDS,
    location_record_from_row,
    unit_record_from_row,
)
from opensor.register.units.models import LocationNumberVersion, UnitVersion

__all__ = [
    "ExportEmpty",
    "ExportResult",
    "owner_withheld_from_public",
    "sortree_export",
    "tree_order_on",
]

_CHUNK = 1000


class ExportEmpty(Exception):
    """No unit can be exported on the date asked for (SorTree needs at least one owner)."""


@dataclass
class ExportResult:
    """What an export wrote, the units it could not place and those it withheld.

    ``units`` and ``location_numbers`` count what ``path`` holds. For a public export,
    ``withheld_owners`` are the SOR-IDs of the owners left out of it because they are marked
    as personal data and SorTree requires their telephone number, and ``withheld_units`` every
    SOR-ID left out for that reason (those owners and every unit below them), in file order;
    ``complete_path`` and ``complete_units`` describe the complete file written in the same pass.
    """

    path: str
    as_of: date
    units: int = 0
    location_numbers: int = 0
    findings: list[Finding] = field(default_factory=list)
    withheld_owners: list[int] = field(default_factory=list)
    withheld_units: list[int] = field(default_factory=list)
    complete_path: str | None = None
    complete_units: int = 0


def tree_order_on(day: date) -> tuple[list[int], list[int]]:
    """SOR-IDs of the units valid on ``day`` in depth-first pre-order, and the orphans.

    Orphans are units whose parent is not valid on that day (real data has them); they cannot
    be placed in a tree as of that date.
    """
    children: dict[int | None, list[int]] = defaultdict(list)
    valid: set[int] = set()
    rows = UnitVersion.objects.valid_on(day).values_list("unit_id", "parent_id")
    for unit_id, parent_id in rows.iterator(chunk_size=10_000):
        children[parent_id].append(unit_id)
        valid.add(unit_id)
    order: list[int] = []
    stack = sorted(children.get(None, ()), reverse=True)
    while stack:
        unit_id = stack.pop()
        order.append(unit_id)
        stack.extend(sorted(children.get(unit_id, ()), reverse=True))
    placed = set(order)
    orphans = sorted(unit_id for unit_id in valid if unit_id not in placed)
    return order, orphans


def _versions_in_order(
    order: list[int], day: date
) -> Iterator[tuple[UnitRecord, LocationNumberRecord | None]]:
    for start in range(0, len(order), _CHUNK):
        chunk = order[start : start + _CHUNK]
        rows = UnitVersion.objects.valid_on(day).filter(unit_id__in=chunk)
        units = {r["unit_id"]: unit_record_from_row(r) for r in rows.values(*UNIT_VERSION_FIELDS)}
        continued = set(
            UnitVersion.objects.current()
            .filter(unit_id__in=chunk, valid_from__gt=day)
            .values_list("unit_id", "valid_from")
        )
        numbers: dict[int, LocationNumberRecord] = {}
        ln_rows = LocationNumberVersion.objects.valid_on(day).filter(owner_id__in=chunk)
        for row in ln_rows.order_by("location_number_id").values(*LOCATION_VERSION_FIELDS):
            numbers.setdefault(row["owner_id"], location_record_from_row(row))
        for unit_id in chunk:
            unit = units[unit_id]
            if (
                unit.validity.valid_to is not None
                and (unit_id, unit.validity.valid_to) in continued
            ):
                unit = unit.with_changes(validity=dataclasses.replace(unit.validity, valid_to=None))
            number = numbers.get(unit_id)
            if number is not None and number.validity is not None:
                number = _open_if_continued(number, day)
            yield unit, number


def owner_withheld_from_public(personal_data: bool, contact: Contact | None) -> bool:
    """Whether an owner is left out of the public SorTree file (with every unit below it).

    SorTree requires an owner's telephone number; an owner marked as personal data that has
    one cannot be written without that personal field.
    """
    return personal_data and contact is not None and contact.phone is not None


def _withheld_owners_on(day: date) -> tuple[set[int], int]:
    """SOR-IDs of the owners valid on ``day`` withheld from the public file, and all owners."""
    withheld: set[int] = set()
    owners = 0
    rows = UnitVersion.objects.valid_on(day).filter(parent__isnull=True)
    for unit_id, personal_data, contact in rows.values_list(
        "unit_id", "personal_data", "contact"
    ).iterator(chunk_size=10_000):
        owners += 1
        if owner_withheld_from_public(personal_data, Contact(**contact) if contact else None):
            withheld.add(unit_id)
    return withheld, owners


def _public_sortree(unit: UnitRecord) -> UnitRecord:
    """``unit`` for the public SorTree file: without its personal fields.

    SorTree requires a telephone number in ``VirtualAddressInformation``, so a unit whose
    contact is left without one is written without contact (its website, the only public
    contact field, is in the other files). Owners that would lose their telephone number are
    not written at all (:func:`owner_withheld_from_public`).
    """
    public = public_record(unit)
    if public is unit or public.contact is None or public.contact.phone is not None:
        return public
    return dataclasses.replace(public, contact=None)


def _open_if_continued(number: LocationNumberRecord, day: date) -> LocationNumberRecord:
    validity = number.validity
    assert validity is not None
    if validity.valid_to is None:
        return number
    follows = (
        LocationNumberVersion.objects.current()
        .filter(
            location_number_id=number.gln,
            owner_id=number.owner_sor_id,
            valid_from=validity.valid_to,
        )
        .exists()
    )
    if not follows:
        return number
    return number.with_changes(validity=dataclasses.replace(validity, valid_to=None))


def sortree_export(
    *,
    path: Path,
    as_of: date,
    created_at: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    public: bool = False,
    complete_path: Path | None = None,
) -> ExportResult:
    """Write the register as of ``as_of`` to ``path`` as SorTree XML (atomically replaced).

    With ``public`` (the publication's file) units marked as personal data are written
    without their personal fields (:func:`opensor.domain.personal.public_record`), and owners
    that SorTree cannot write without one are withheld with their subtrees (listed in the
    result). ``complete_path`` (only with ``public``) also writes the complete file, with
    every field, in the same pass over the register.

    Units that cannot be placed in the tree on that date are not written and are reported
    as findings, never dropped silently. :class:`ExportEmpty` is raised, and nothing written,
    when no unit is valid on the date or, for a public file, every owner is withheld.
    """
    if complete_path is not None and not public:
        raise ValueError("complete_path is written beside a public file: pass public=True")
    result = ExportResult(path=str(path), as_of=as_of)
    order, orphans = tree_order_on(as_of)
    for orphan in orphans:
        result.findings.append(
            Finding(
                Severity.WARNING,
                "parent-not-valid-on-date",
                f"not exported: its parent is not valid on {as_of}",
                sor_id=orphan,
            )
        )
    total = len(order)
    if not total:
        placed = f"; {len(orphans)} units are valid but not placed" if orphans else ""
        raise ExportEmpty(
            f"no units are valid on {as_of} in a complete tree{placed}: "
            "a SorTree file needs at least one owner"
        )
    withheld: set[int] = set()
    if public:
        withheld, owners = _withheld_owners_on(as_of)
        if len(withheld) == owners:
            raise ExportEmpty(
                f"all {owners} owners valid on {as_of} are marked as personal data with a "
                "telephone number, which SorTree requires: the public SorTree file would "
                "hold no owner"
            )

    def items() -> Iterator[PairItem]:
        withholding = False
        for done, (unit, number) in enumerate(_versions_in_order(order, as_of), start=1):
            if unit.parent_sor_id is None:
                withholding = unit.sor_id in withheld
                if withholding:
                    result.withheld_owners.append(unit.sor_id)
            if withholding:
                result.withheld_units.append(unit.sor_id)
            elif number is not None:
                result.location_numbers += 1
            if progress is not None and (done % 500 == 0 or done == total):
                progress(done, total)
            if not public:
                yield unit, number, unit
            else:
                yield unit, number, (None if withholding else _public_sortree(unit))

    moment = created_at or timezone.now()
    partial = path.with_name(path.name + ".partial")
    complete_partial = (
        complete_path.with_name(complete_path.name + ".partial") if complete_path else None
    )
    try:
        if complete_path is not None and complete_partial is not None:
            counts = write_sortree_pair(
                complete_partial, partial, items(), created_at=moment, snapshot_date=as_of
            )
            result.units, result.complete_units = counts.public, counts.complete
            result.complete_path = str(complete_path)
            complete_partial.replace(complete_path)
        else:
            result.units = write_sortree(
                partial,
                ((shown, number) for _, number, shown in items() if shown is not None),
                created_at=moment,
                snapshot_date=as_of,
            )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
        if complete_partial is not None:
            complete_partial.unlink(missing_ok=True)
    return result
