"""Reads behind the maintainers' pages: the units in a user's scope, a unit's page data.

"In scope" follows the roles: a region maintainer sees the trees of the owners whose
jurisdiction is that region, a municipality maintainer its municipality's owners, a practice
user its own owner's tree and the authority every owner. The owners are found first (a few
rows: the regional and municipal owners, or one practice), then their trees are walked down
level by level with one ``parent_id IN (…)`` query per level, so the cost grows with the size
of the user's own trees, not with the register.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q

from opensor.domain.records import Level, UnitRecord
from opensor.domain.responsibility import OWNER_TYPE_SECTORS, RoleKind, Sector
from opensor.register.accounts.actors import Actor
from opensor.register.audit.models import AuditEvent
from opensor.register.maintenance.placement import owner_jurisdiction
from opensor.register.units.mapping import UNIT_VERSION_FIELDS, unit_record_from_row
from opensor.register.units.models import LocationNumberVersion, UnitVersion
from opensor.register.units.selectors import MAX_DEPTH

__all__ = [
    "PAGE_SIZE",
    "ScopePage",
    "TreeNode",
    "audit_trail",
    "children_of",
    "last_publication",
    "pending_versions",
    "scope_owner_ids",
    "scope_roots",
    "scope_search",
    "scope_unit_ids",
]

PAGE_SIZE = 50
"""Owners per page of the authority's list (it sees the whole register)."""
SEARCH_LIMIT = 50
"""Search results shown at most."""
_CHUNK = 2000
"""At most this many ids in one ``IN (…)`` list (well under SQLite's variable limit)."""

_TREE_FIELDS = ("unit_id", "level", "name", "shak", "parent_id", "valid_from", "valid_to")


@dataclass(frozen=True)
class TreeNode:
    """One unit in a tree listing: enough to show and link it."""

    sor_id: int
    level: str
    name: str
    shak: str | None
    parent_sor_id: int | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TreeNode:
        """A node from a ``UnitVersion`` values row of :data:`_TREE_FIELDS`."""
        return cls(row["unit_id"], row["level"], row["name"], row["shak"], row["parent_id"])


@dataclass(frozen=True)
class ScopePage:
    """The roots of a user's trees on one page, and whether more pages follow."""

    roots: list[TreeNode]
    page: int
    has_next: bool
    total: int


def _owners_of_sector(sectors: Iterable[Sector], day: date) -> list[UnitRecord]:
    codes = [code for code, sector in OWNER_TYPE_SECTORS.items() if sector in set(sectors)]
    rows = (
        UnitVersion.objects.valid_on(day)
        .filter(level=Level.OWNER.value, owner_type__in=codes)
        .values(*UNIT_VERSION_FIELDS)
    )
    return [unit_record_from_row(row) for row in rows]


def scope_owner_ids(actor: Actor, day: date) -> list[int] | None:
    """The owners whose trees the actor maintains or requests for; ``None`` means every owner."""
    if actor.is_authority:
        return None
    owners: set[int] = set()
    regions = {r.scope for r in actor.roles if r.kind is RoleKind.REGION}
    municipalities = {r.scope for r in actor.roles if r.kind is RoleKind.MUNICIPALITY}
    for role in actor.roles:
        if role.kind is RoleKind.PRACTICE and role.scope:
            owners.add(int(role.scope))
    if regions:
        for owner in _owners_of_sector([Sector.REGION], day):
            if owner_jurisdiction(owner, Sector.REGION)[0] in regions:
                owners.add(owner.sor_id)
    if municipalities:
        for owner in _owners_of_sector([Sector.MUNICIPALITY], day):
            if owner_jurisdiction(owner, Sector.MUNICIPALITY)[1] in municipalities:
                owners.add(owner.sor_id)
    return sorted(owners)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def scope_unit_ids(owner_ids: list[int], day: date) -> set[int]:
    """Every unit valid on ``day`` in the trees of ``owner_ids`` (the owners included)."""
    found = set(
        UnitVersion.objects.valid_on(day)
        .filter(unit_id__in=owner_ids)
        .values_list("unit_id", flat=True)
    )
    level = sorted(found)
    for _ in range(MAX_DEPTH):
        if not level:
            break
        below: list[int] = []
        for chunk in _chunks(level):
            below.extend(
                UnitVersion.objects.valid_on(day)
                .filter(parent_id__in=chunk)
                .values_list("unit_id", flat=True)
            )
        level = sorted(set(below) - found)
        found.update(level)
    return found


def scope_roots(actor: Actor, day: date, page: int = 1) -> ScopePage:
    """The owners at the roots of the actor's trees, sorted by name, one page at a time."""
    owner_ids = scope_owner_ids(actor, day)
    rows = UnitVersion.objects.valid_on(day).filter(level=Level.OWNER.value)
    if owner_ids is not None:
        rows = rows.filter(unit_id__in=owner_ids)
    total = rows.count()
    page = max(1, page)
    start = (page - 1) * PAGE_SIZE
    selected = rows.order_by("name", "unit_id").values(*_TREE_FIELDS)[start : start + PAGE_SIZE]
    return ScopePage(
        roots=[TreeNode.from_row(row) for row in selected],
        page=page,
        has_next=start + PAGE_SIZE < total,
        total=total,
    )


def children_of(sor_id: int, day: date) -> list[TreeNode]:
    """The units directly under ``sor_id`` on ``day``, sorted by name."""
    rows = (
        UnitVersion.objects.valid_on(day)
        .filter(parent_id=sor_id)
        .order_by("name", "unit_id")
        .values(*_TREE_FIELDS)
    )
    return [TreeNode.from_row(row) for row in rows]


def scope_search(actor: Actor, query: str, day: date) -> list[TreeNode]:
    """Units in the actor's scope whose name contains ``query``, or whose SOR-ID or SHAK is it.

    A SOR-ID matches exactly, a SHAK code by its beginning; at most :data:`SEARCH_LIMIT`.
    """
    query = query.strip()[:100]
    if not query:
        return []
    condition = Q(name__icontains=query)
    if query.isdigit():
        condition |= Q(shak__startswith=query)
        if len(query) <= 18:
            condition |= Q(unit_id=int(query))
    elif query[:1].isdigit():
        condition |= Q(shak__istartswith=query)
    rows = UnitVersion.objects.valid_on(day).filter(condition).order_by("name", "unit_id")
    owner_ids = scope_owner_ids(actor, day)
    if owner_ids is None:
        return [TreeNode.from_row(row) for row in rows.values(*_TREE_FIELDS)[:SEARCH_LIMIT]]
    allowed = scope_unit_ids(owner_ids, day)
    found: list[TreeNode] = []
    for row in rows.values(*_TREE_FIELDS).iterator(chunk_size=500):
        if row["unit_id"] in allowed:
            found.append(TreeNode.from_row(row))
            if len(found) >= SEARCH_LIMIT:
                break
    return found


def pending_versions(history: list[UnitRecord], day: date) -> list[UnitRecord]:
    """The versions of a unit that start after ``day`` (future-dated changes)."""
    return [record for record in history if record.validity.valid_from > day]


def unit_glns(sor_id: int) -> list[str]:
    """Every location number the unit owns or has owned (for its audit trail)."""
    return sorted(
        set(
            LocationNumberVersion.objects.filter(owner_id=sor_id).values_list(
                "location_number_id", flat=True
            )
        )
    )


def audit_trail(sor_id: int, limit: int = 50) -> list[AuditEvent]:
    """The newest audit events about a unit and the location numbers it owns or owned."""
    condition = Q(target_type="unit", target_id=str(sor_id))
    glns = unit_glns(sor_id)
    if glns:
        condition |= Q(target_type="location", target_id__in=glns)
    return list(AuditEvent.objects.filter(condition).order_by("-id")[:limit])


@dataclass(frozen=True)
class PublicationInfo:
    """The current publication: its number and when it was built (``None`` when unknown)."""

    number: int
    created_at: datetime | None


def last_publication() -> PublicationInfo | None:
    """The current publication of the store in ``SOR_HOME``, or ``None`` before the first."""
    from opensor.publication.store import PublicationStore, default_store_root

    try:
        current = PublicationStore(default_store_root()).current()
    except OSError:
        return None
    if current is None:
        return None
    created = current.manifest.get("created_at")
    try:
        at = datetime.fromisoformat(created) if isinstance(created, str) else None
    except ValueError:
        at = None
    return PublicationInfo(current.number, at)
