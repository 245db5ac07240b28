"""Who maintains what: roles, the closed permission vocabulary and the responsibility rules.

The register's rules (DESIGN §3 "Who maintains what") decide, for every unit and location
number, which party keeps it current — its *steward*:

* a region keeps its own organisational units (OE) and the location numbers those OEs own,
  but not its hospitals (SI) nor the region owner itself;
* a municipality keeps its own OEs, never location numbers;
* the national authority keeps everything else: owners, the regions' and municipalities' SIs,
  every municipal location number, state and private organisations at every level;
* a practice (a private owner and its units) keeps nothing directly: it *requests* changes,
  which the authority's case workers decide.

A write is allowed when the caller holds a role whose scope matches the steward of what it
writes. This module is pure: the register supplies a :class:`Placement` (where the unit sits:
level, sector and jurisdiction of its owner) and asks :func:`decide`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from opensor.domain import geography
from opensor.domain.errors import DomainError
from opensor.domain.records import Level

__all__ = [
    "OWNER_TYPE_SECTORS",
    "Decision",
    "Permission",
    "Placement",
    "Role",
    "RoleError",
    "RoleKind",
    "Sector",
    "Steward",
    "decide",
    "location_steward",
    "unit_steward",
]


class Sector(StrEnum):
    """The kind of owner at the root of a unit's tree (from the owner's ``owner_type``)."""

    REGION = "region"
    MUNICIPALITY = "municipality"
    STATE = "state"
    PRIVATE = "private"


OWNER_TYPE_SECTORS: dict[str, Sector] = {
    "550881000005103": Sector.REGION,
    "547211000005108": Sector.MUNICIPALITY,
    "398070004": Sector.STATE,
    "550891000005100": Sector.PRIVATE,
}
"""SNOMED CT owner types (code list ``owner_type``) and the sector each one means."""


class RoleKind(StrEnum):
    """The kinds of role a user or API client can hold."""

    AUTHORITY = "authority"
    """The national authority's case workers: stewards of everything regions and
    municipalities do not keep; they decide practices' change requests."""
    REGION = "region"
    """A region's maintainers (scope: the 4-digit region code, e.g. ``1084``)."""
    MUNICIPALITY = "municipality"
    """A municipality's maintainers (scope: the 4-digit municipality code, e.g. ``0101``)."""
    PRACTICE = "practice"
    """A private practice's users (scope: the SOR-ID of its owner); they file requests only."""


class RoleError(DomainError):
    """A role written as text could not be understood."""


_SCOPED = {RoleKind.REGION, RoleKind.MUNICIPALITY, RoleKind.PRACTICE}


@dataclass(frozen=True, slots=True)
class Role:
    """One role with its scope.

    Written ``authority``, ``region:1084``, ``municipality:0101`` or ``practice:<SOR-ID>``
    (the SOR-ID of the practice's owner).
    """

    kind: RoleKind
    scope: str | None = None

    @classmethod
    def parse(cls, text: str) -> Role:
        """Read a role from its text form; raises :class:`RoleError` naming the problem."""
        kind_text, _, scope = text.strip().partition(":")
        try:
            kind = RoleKind(kind_text.lower())
        except ValueError:
            names = ", ".join(k.value for k in RoleKind)
            raise RoleError(f"unknown role {kind_text!r}: use one of {names}") from None
        if kind in _SCOPED and not scope:
            raise RoleError(f"the role {kind.value} needs a scope, e.g. {_EXAMPLES[kind]}")
        if kind not in _SCOPED and scope:
            raise RoleError(f"the role {kind.value} is national and takes no scope")
        if kind is RoleKind.REGION or kind is RoleKind.MUNICIPALITY:
            if not (scope.isdigit() and len(scope) <= 4):
                raise RoleError(f"{kind.value} scope must be a 4-digit code, got {scope!r}")
            scope = scope.zfill(4)
        if kind is RoleKind.PRACTICE and not scope.isdigit():
            raise RoleError(f"practice scope must be the owner's SOR-ID, got {scope!r}")
        return cls(kind, scope or None)

    def __str__(self) -> str:
        return self.kind.value if self.scope is None else f"{self.kind.value}:{self.scope}"

    @property
    def label_da(self) -> str:
        """The role in Danish, for maintainers' screens ("Region Sjælland (1085)")."""
        return _label_da(self.kind, self.scope)


_EXAMPLES = {
    RoleKind.REGION: "region:1084",
    RoleKind.MUNICIPALITY: "municipality:0101",
    RoleKind.PRACTICE: "practice:<owner's SOR-ID>",
}
_ROLE_LABELS_DA = {
    RoleKind.AUTHORITY: "myndigheden (Sundhedsdatastyrelsen)",
    RoleKind.REGION: "region",
    RoleKind.MUNICIPALITY: "kommune",
    RoleKind.PRACTICE: "praksis under ejer",
}


def _label_da(kind: RoleKind, scope: str | None) -> str:
    """A role or steward in Danish, with the region's or municipality's name where known."""
    if scope is None:
        return _ROLE_LABELS_DA[kind]
    try:
        if kind is RoleKind.REGION:
            return f"{geography.region(scope).name} ({scope})"
        if kind is RoleKind.MUNICIPALITY:
            return f"{geography.municipality(scope).name} Kommune ({scope})"
    except DomainError:
        pass
    return f"{_ROLE_LABELS_DA[kind]} {scope}"


class Permission(StrEnum):
    """The closed vocabulary of permissions, ``scope:resource:action``."""

    UNIT_CREATE = "register:unit:create"
    UNIT_UPDATE = "register:unit:update"
    UNIT_MOVE = "register:unit:move"
    UNIT_CLOSE = "register:unit:close"
    UNIT_REOPEN = "register:unit:reopen"
    UNIT_SUCCESSOR = "register:unit:successor"
    LOCATION_CREATE = "register:location:create"
    LOCATION_UPDATE = "register:location:update"
    LOCATION_MOVE = "register:location:move"
    LOCATION_CLOSE = "register:location:close"
    REQUEST_FILE = "register:request:file"
    REQUEST_DECIDE = "register:request:decide"
    AUDIT_READ = "register:audit:read"

    @property
    def label_da(self) -> str:
        """What the permission allows, in Danish."""
        return _PERMISSION_LABELS_DA[self]

    @property
    def on_location(self) -> bool:
        """Whether the permission concerns a location number (else a unit or the register)."""
        return self.value.split(":")[1] == "location"


_PERMISSION_LABELS_DA = {
    Permission.UNIT_CREATE: "Opret enhed",
    Permission.UNIT_UPDATE: "Ret enhedens oplysninger",
    Permission.UNIT_MOVE: "Flyt enhed i træet",
    Permission.UNIT_CLOSE: "Luk enhed",
    Permission.UNIT_REOPEN: "Genåbn enhed",
    Permission.UNIT_SUCCESSOR: "Registrér efterfølger",
    Permission.LOCATION_CREATE: "Opret lokationsnummer",
    Permission.LOCATION_UPDATE: "Ret lokationsnummer og meddelelsestyper",
    Permission.LOCATION_MOVE: "Flyt lokationsnummer til anden enhed",
    Permission.LOCATION_CLOSE: "Luk lokationsnummer",
    Permission.REQUEST_FILE: "Indsend ændringsanmodning",
    Permission.REQUEST_DECIDE: "Behandl ændringsanmodninger",
    Permission.AUDIT_READ: "Læs revisionsspor",
}

UNIT_WRITES = frozenset(
    {
        Permission.UNIT_CREATE,
        Permission.UNIT_UPDATE,
        Permission.UNIT_MOVE,
        Permission.UNIT_CLOSE,
        Permission.UNIT_REOPEN,
        Permission.UNIT_SUCCESSOR,
    }
)
LOCATION_WRITES = frozenset(p for p in Permission if p.on_location)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a unit sits, as far as responsibility goes.

    ``sector`` comes from the owner at the root of the tree (``None`` when the owner's type is
    unknown); ``region_code`` and ``municipality_code`` are the jurisdiction of a regional or
    municipal owner (from its address); ``owner_sor_id`` is the root owner's SOR-ID.
    """

    level: Level
    sector: Sector | None
    owner_sor_id: int
    region_code: str | None = None
    municipality_code: str | None = None


@dataclass(frozen=True, slots=True)
class Steward:
    """The party that keeps a unit or location number current: a role kind and its scope."""

    kind: RoleKind
    scope: str | None = None

    def __str__(self) -> str:
        return self.kind.value if self.scope is None else f"{self.kind.value}:{self.scope}"

    @property
    def label_da(self) -> str:
        """The steward in Danish ("Køge Kommune (0259)", "myndigheden (Sundhedsdatastyrelsen)")."""
        return _label_da(self.kind, self.scope)


AUTHORITY = Steward(RoleKind.AUTHORITY)


def unit_steward(placement: Placement) -> Steward:
    """Who maintains a unit: its region or municipality for their own OEs, else the authority."""
    if placement.level is Level.UNIT:
        if placement.sector is Sector.REGION and placement.region_code:
            return Steward(RoleKind.REGION, placement.region_code)
        if placement.sector is Sector.MUNICIPALITY and placement.municipality_code:
            return Steward(RoleKind.MUNICIPALITY, placement.municipality_code)
    return AUTHORITY


def location_steward(owner: Placement) -> Steward:
    """Who maintains a location number: the region for numbers its OEs own, else the authority.

    Municipalities never maintain location numbers; the authority keeps every municipal one.
    """
    if owner.level is Level.UNIT and owner.sector is Sector.REGION and owner.region_code:
        return Steward(RoleKind.REGION, owner.region_code)
    return AUTHORITY


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to "may this role do that here?", with the reason in Danish and English."""

    allowed: bool
    reason_da: str
    reason_en: str

    def __bool__(self) -> bool:
        return self.allowed


def _steward_matches(role: Role, steward: Steward) -> bool:
    return role.kind is steward.kind and role.scope == steward.scope


def decide(
    roles: tuple[Role, ...], permission: Permission, placement: Placement | None
) -> Decision:
    """Whether any of ``roles`` grants ``permission`` on a unit placed at ``placement``.

    For unit writes ``placement`` is the unit's (for a new unit: where it will sit); for
    location-number writes it is the owning unit's. Register-wide permissions (deciding
    requests) take ``None``. Reading the audit trail of a unit is allowed to its steward and
    to the authority; filing a request to the practice that owns the unit.
    """
    if permission is Permission.REQUEST_DECIDE:
        if any(role.kind is RoleKind.AUTHORITY for role in roles):
            return Decision(True, "myndigheden behandler anmodninger", "the authority decides")
        return Decision(
            False,
            "kun myndighedens sagsbehandlere behandler anmodninger",
            "only the authority's case workers decide requests",
        )
    if placement is None:
        raise ValueError(f"{permission.value} needs the unit's placement")
    if permission is Permission.REQUEST_FILE:
        for role in roles:
            if (
                role.kind is RoleKind.PRACTICE
                and placement.sector is Sector.PRIVATE
                and role.scope == str(placement.owner_sor_id)
            ):
                return Decision(True, "enheden hører til praksissen", "the unit is the practice's")
        return Decision(
            False,
            f"anmodninger om enheder under ejer {placement.owner_sor_id} kan kun indsendes af "
            "den private ejers egne brugere",
            f"requests about units of owner {placement.owner_sor_id} can only be filed by "
            "that private owner's own users",
        )
    steward = location_steward(placement) if permission.on_location else unit_steward(placement)
    if permission is Permission.AUDIT_READ:
        for role in roles:
            if role.kind is RoleKind.AUTHORITY or _steward_matches(role, steward):
                return Decision(True, "læseadgang til revisionsspor", "may read the audit trail")
        return Decision(
            False,
            f"revisionssporet kan læses af myndigheden og af {steward.label_da}",
            f"the audit trail is readable by the authority and by {steward}",
        )
    for role in roles:
        if _steward_matches(role, steward):
            return Decision(True, f"{steward.label_da} vedligeholder", f"{steward} maintains it")
    what_da = "lokationsnummeret" if permission.on_location else "enheden"
    what_en = "location number" if permission.on_location else "unit"
    held_da = ", ".join(role.label_da for role in roles) or "ingen roller"
    held_en = ", ".join(str(role) for role in roles) or "no roles"
    return Decision(
        False,
        f"{what_da} vedligeholdes af {steward.label_da}; du er {held_da}",
        f"this {what_en} is maintained by {steward}; you hold {held_en}",
    )
