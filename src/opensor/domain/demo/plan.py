"""What a demo register of a given scale holds: the kinds of unit and how many of each.

:func:`demo_plan` works the numbers out from the scale alone, without generating anything, so a
caller can announce ("generating 50,458 units") and check what :func:`generate_demo` then
yields: the generator follows the plan exactly (every count in :class:`DemoSummary` is met
for any seed).

Scale 1.0 is "real scale", about 50,000 units (DESIGN "Size"); every count is multiplied by the
scale and rounded, with at least one of each kind, so scale 0.01 is a small but complete
register. The five regions and (from scale 1) the 98 municipalities are real and do not grow;
what lies below them does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from opensor.domain.records import Level, LocationNumberRecord, UnitRecord

__all__ = [
    "MAX_SCALE",
    "DemoKind",
    "DemoSummary",
    "DemoUnit",
    "PracticePlan",
    "demo_plan",
]

MAX_SCALE = 50.0
"""The largest scale: the demo blocks of SOR-IDs, GLNs and provider numbers hold that much."""


class DemoKind(StrEnum):
    """What a demo unit is, finer than its level (used for counting and for tests)."""

    REGION = "region"
    MUNICIPALITY = "municipality"
    STATE_OWNER = "state_owner"
    PRIVATE_OWNER = "private_owner"
    HOSPITAL = "hospital"
    REGIONAL_SERVICE = "regional_service"
    HEALTH_ADMINISTRATION = "health_administration"
    NURSING_HOME = "nursing_home"
    HOME_CARE = "home_care"
    REHABILITATION = "rehabilitation"
    STATE_INSTITUTION = "state_institution"
    GREENLAND_INSTITUTION = "greenland_institution"
    FAROE_HOSPITAL = "faroe_hospital"
    GP_PRACTICE = "gp_practice"
    SPECIALIST_PRACTICE = "specialist_practice"
    DENTAL_PRACTICE = "dental_practice"
    PHYSIOTHERAPY_CLINIC = "physiotherapy_clinic"
    CHIROPRACTIC_CLINIC = "chiropractic_clinic"
    PHARMACY = "pharmacy"
    PHARMACY_BRANCH = "pharmacy_branch"
    DEPARTMENT = "department"
    SECTION = "section"
    REGIONAL_SERVICE_UNIT = "regional_service_unit"
    MUNICIPAL_UNIT = "municipal_unit"
    MUNICIPAL_SUBUNIT = "municipal_subunit"
    STATE_UNIT = "state_unit"
    GREENLAND_UNIT = "greenland_unit"
    FAROE_UNIT = "faroe_unit"
    PROVIDER_NUMBER_UNIT = "provider_number_unit"
    PRACTITIONER = "practitioner"
    PHARMACY_UNIT = "pharmacy_unit"

    @property
    def level(self) -> Level:
        """The SOR level of units of this kind."""
        if self in _OWNER_KINDS:
            return Level.OWNER
        if self in _UNIT_KINDS:
            return Level.UNIT
        return Level.INSTITUTION


_OWNER_KINDS = frozenset(
    {DemoKind.REGION, DemoKind.MUNICIPALITY, DemoKind.STATE_OWNER, DemoKind.PRIVATE_OWNER}
)
_UNIT_KINDS = frozenset(
    {
        DemoKind.DEPARTMENT,
        DemoKind.SECTION,
        DemoKind.REGIONAL_SERVICE_UNIT,
        DemoKind.MUNICIPAL_UNIT,
        DemoKind.MUNICIPAL_SUBUNIT,
        DemoKind.STATE_UNIT,
        DemoKind.GREENLAND_UNIT,
        DemoKind.FAROE_UNIT,
        DemoKind.PROVIDER_NUMBER_UNIT,
        DemoKind.PRACTITIONER,
        DemoKind.PHARMACY_UNIT,
    }
)


@dataclass(frozen=True, slots=True)
class DemoUnit:
    """One demo unit: its whole valid-time history and the location numbers it owns.

    ``versions`` are ordered by ``valid_from`` and contiguous (each version's ``valid_to`` is
    the next one's ``valid_from``; the last is open or closed). ``location_numbers`` holds every
    version of each location number the unit owns itself. ``kind`` says what the unit is and
    ``municipality`` the code of the municipality it lies in (``None`` on the Faroe Islands,
    whose municipalities are not modelled).
    """

    versions: tuple[UnitRecord, ...]
    location_numbers: tuple[LocationNumberRecord, ...]
    kind: DemoKind
    municipality: str | None = None

    @property
    def sor_id(self) -> int:
        """The unit's SOR-ID."""
        return self.versions[0].sor_id

    @property
    def current(self) -> UnitRecord:
        """The unit's last version."""
        return self.versions[-1]


@dataclass(frozen=True, slots=True)
class PracticePlan:
    """The numbers of one kind of private practice (GP, specialist, dentist …)."""

    kind: DemoKind
    practices: int
    sole: int
    """Practices owned by one named practitioner (sole proprietorships: personal data)."""
    practitioners: int
    """Practitioner units below the companies' practices."""
    min_practitioners: int
    takeovers: int
    """Sole practices taken over by a new practitioner (an extra owner each)."""
    location_numbers: int
    """Practice owners with a location number of their own (new owners of a takeover add one)."""
    faroese: int


def _scaled(base: float, scale: float) -> int:
    return max(1, round(base * scale))


def _share(total: int, fraction: float) -> int:
    """``round(total * fraction)``, but at least 1 and at most ``total - 1`` when total ≥ 2."""
    if total < 2:
        return total
    return min(total - 1, max(1, round(total * fraction)))


def _apportion(total: int, weights: tuple[int, ...]) -> tuple[int, ...]:
    """Split ``total`` by ``weights`` (largest remainder), at least 1 each."""
    extra = total - len(weights)
    whole = sum(weights)
    raw = [extra * w / whole for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: extra - sum(counts)]:
        counts[i] += 1
    return tuple(1 + c for c in counts)


@dataclass(frozen=True, slots=True)
class _Plan:
    """Every count the generator follows (internal; :class:`DemoSummary` is the public view)."""

    scale: float
    hospitals: tuple[int, ...]
    departments: int
    department_location_numbers: int
    department_successors: int
    sections: int
    section_location_numbers: int
    regional_services: int
    regional_service_units: int
    municipalities: int
    health_admin_units: int
    health_admin_subunits: int
    health_admin_location_numbers: int
    nursing_homes: int
    nursing_home_units: int
    nursing_home_location_numbers: int
    nursing_home_successors: int
    home_care: int
    home_care_districts: int
    home_care_teams: int
    home_care_location_numbers: int
    rehabilitation: int
    rehabilitation_units: int
    rehabilitation_location_numbers: int
    state_owners: int
    state_institutions: int
    state_units: int
    state_location_numbers: int
    greenland_institutions: int
    greenland_units: int
    greenland_location_numbers: int
    faroe_hospitals: int
    faroe_units: int
    faroe_location_numbers: int
    practices: tuple[PracticePlan, ...]
    pharmacies: int
    pharmacy_branches: int
    branch_location_numbers: int


# Hospitals per region (weights for splitting the hospital count), by region code.
REGION_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("1081", 6),
    ("1082", 9),
    ("1083", 8),
    ("1084", 8),
    ("1085", 7),
)

# (kind, practices, sole fraction, practitioners per company practice, min, location-number
# fraction) at scale 1.
_PRACTICES: tuple[tuple[DemoKind, int, float, float, int, float], ...] = (
    (DemoKind.GP_PRACTICE, 2000, 0.5, 2.9, 2, 1.0),
    (DemoKind.SPECIALIST_PRACTICE, 1100, 0.6, 2.0, 1, 0.9),
    (DemoKind.DENTAL_PRACTICE, 2200, 0.5, 2.4, 1, 0.6),
    (DemoKind.PHYSIOTHERAPY_CLINIC, 1400, 0.4, 3.0, 1, 0.5),
    (DemoKind.CHIROPRACTIC_CLINIC, 300, 0.6, 2.0, 1, 0.3),
)


def _plan(scale: float) -> _Plan:
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"scale must be above 0 and at most {MAX_SCALE}, got {scale!r}")

    def n(base: float) -> int:
        return _scaled(base, scale)

    hospitals = _apportion(max(5, round(60 * scale)), tuple(w for _, w in REGION_WEIGHTS))
    departments = max(sum(hospitals), n(1500))
    department_gln = round(0.3 * departments)
    municipalities = min(98, max(5, round(98 * scale)))
    nursing_homes = n(1000)
    nursing_gln = max(1, round(0.8 * nursing_homes))
    home_care = n(400)
    practices = []
    for kind, count, sole_fraction, per_company, least, gln_fraction in _PRACTICES:
        total = n(count)
        sole = _share(total, sole_fraction)
        companies = total - sole
        practitioners = max(least * companies, round(per_company * companies))
        takeovers = min(sole, max(1, round(0.03 * sole))) if kind is DemoKind.GP_PRACTICE else 0
        faroese = min(total, n(12)) if kind is DemoKind.GP_PRACTICE else 0
        practices.append(
            PracticePlan(
                kind=kind,
                practices=total,
                sole=sole,
                practitioners=practitioners,
                min_practitioners=least,
                takeovers=takeovers,
                location_numbers=max(1, round(gln_fraction * total)),
                faroese=faroese,
            )
        )
    state_institutions = n(20)
    greenland_institutions = n(10)
    faroe_hospitals = n(3)
    branches = n(250)
    return _Plan(
        scale=scale,
        hospitals=hospitals,
        departments=departments,
        department_location_numbers=department_gln,
        department_successors=min(departments - department_gln, max(1, round(0.01 * departments))),
        sections=n(5200),
        section_location_numbers=round(0.02 * n(5200)),
        regional_services=n(10),
        regional_service_units=n(50),
        municipalities=municipalities,
        health_admin_units=max(municipalities, n(900)),
        health_admin_subunits=n(900),
        health_admin_location_numbers=max(1, round(0.9 * municipalities)),
        nursing_homes=nursing_homes,
        nursing_home_units=n(3500),
        nursing_home_location_numbers=nursing_gln,
        nursing_home_successors=min(nursing_gln, max(1, round(0.02 * nursing_homes))),
        home_care=home_care,
        home_care_districts=max(home_care, n(1200)),
        home_care_teams=n(2800),
        home_care_location_numbers=max(1, round(0.9 * home_care)),
        rehabilitation=n(250),
        rehabilitation_units=n(600),
        rehabilitation_location_numbers=max(1, round(0.7 * n(250))),
        state_owners=min(3, max(1, round(3 * scale))),
        state_institutions=state_institutions,
        state_units=n(80),
        state_location_numbers=max(1, round(0.7 * state_institutions)),
        greenland_institutions=greenland_institutions,
        greenland_units=n(50),
        greenland_location_numbers=max(1, round(0.8 * greenland_institutions)),
        faroe_hospitals=faroe_hospitals,
        faroe_units=n(24),
        faroe_location_numbers=max(1, round(0.8 * faroe_hospitals)),
        practices=tuple(practices),
        pharmacies=n(330),
        pharmacy_branches=branches,
        branch_location_numbers=round(0.3 * branches),
    )


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """How many units of each kind, and how many location numbers, a demo register holds."""

    scale: float
    units: Mapping[DemoKind, int]
    location_numbers: int

    @property
    def total_units(self) -> int:
        """All units, at every level."""
        return sum(self.units.values())

    def by_level(self) -> dict[Level, int]:
        """Units per SOR level."""
        result = dict.fromkeys(Level, 0)
        for kind, count in self.units.items():
            result[kind.level] += count
        return result


def _summary(plan: _Plan) -> DemoSummary:
    k = DemoKind
    p = plan
    units: dict[DemoKind, int] = dict.fromkeys(DemoKind, 0)
    units[k.REGION] = len(p.hospitals)
    units[k.HOSPITAL] = sum(p.hospitals)
    units[k.DEPARTMENT] = p.departments + p.department_successors
    units[k.SECTION] = p.sections
    units[k.REGIONAL_SERVICE] = p.regional_services
    units[k.REGIONAL_SERVICE_UNIT] = p.regional_service_units
    units[k.MUNICIPALITY] = p.municipalities
    units[k.HEALTH_ADMINISTRATION] = p.municipalities
    units[k.NURSING_HOME] = p.nursing_homes + p.nursing_home_successors
    units[k.HOME_CARE] = p.home_care
    units[k.REHABILITATION] = p.rehabilitation
    units[k.MUNICIPAL_UNIT] = (
        p.health_admin_units + p.nursing_home_units + p.home_care_districts + p.rehabilitation_units
    )
    units[k.MUNICIPAL_SUBUNIT] = p.health_admin_subunits + p.home_care_teams
    units[k.STATE_OWNER] = p.state_owners + 2  # Greenland and the Faroe Islands
    units[k.STATE_INSTITUTION] = p.state_institutions
    units[k.STATE_UNIT] = p.state_units
    units[k.GREENLAND_INSTITUTION] = p.greenland_institutions
    units[k.GREENLAND_UNIT] = p.greenland_units
    units[k.FAROE_HOSPITAL] = p.faroe_hospitals
    units[k.FAROE_UNIT] = p.faroe_units
    for practice in p.practices:
        units[k.PRIVATE_OWNER] += practice.practices + practice.takeovers
        units[practice.kind] = practice.practices
        units[k.PROVIDER_NUMBER_UNIT] += practice.practices
        units[k.PRACTITIONER] += practice.practitioners
    units[k.PRIVATE_OWNER] += p.pharmacies
    units[k.PHARMACY] = p.pharmacies
    units[k.PHARMACY_BRANCH] = p.pharmacy_branches
    units[k.PHARMACY_UNIT] = p.pharmacies + p.pharmacy_branches
    location_numbers = (
        sum(p.hospitals)
        + p.department_location_numbers
        + p.section_location_numbers
        + p.regional_services
        + p.health_admin_location_numbers
        + p.nursing_home_location_numbers
        + p.nursing_home_successors
        + p.home_care_location_numbers
        + p.rehabilitation_location_numbers
        + p.state_location_numbers
        + p.greenland_location_numbers
        + p.faroe_location_numbers
        + sum(pp.location_numbers + pp.takeovers for pp in p.practices)
        + p.pharmacies
        + p.branch_location_numbers
    )
    return DemoSummary(plan.scale, MappingProxyType(units), location_numbers)


def demo_plan(scale: float = 1.0) -> DemoSummary:
    """The counts of a demo register of ``scale``, computed without generating it.

    Raises:
        ValueError: ``scale`` is not above 0 and at most :data:`MAX_SCALE`.

    """
    return _summary(_plan(scale))
