"""The municipalities, each with health administration, nursing homes, home care, rehabilitation.

Municipalities own location numbers at institution level only; their units inherit them. Each
institution is one cluster. Its history: nursing homes replaced by a new one that takes over
their units, teams and sub-units moved between units of the same institution, units closed,
new teams opening after the reference date, renames.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from opensor.domain.demo.builders import INSTITUTION_TYPES, OWNER_TYPES, UNIT_TYPES, slug
from opensor.domain.demo.context import Context
from opensor.domain.demo.names import (
    HEALTH_ADMINISTRATION_SUBUNITS,
    HEALTH_ADMINISTRATION_UNITS,
    HOME_CARE_AREAS,
    HOME_CARE_TEAMS,
    NURSING_HOME_SUPPORT_UNITS,
    NURSING_HOME_UNITS,
    PLACE_NAMES,
    REHABILITATION_UNITS,
)
from opensor.domain.demo.plan import DemoKind, DemoUnit
from opensor.domain.demo.regional import REGION_START
from opensor.domain.demo.sampling import Selector, Splitter, apportion, pick_names
from opensor.domain.demo.tree import Cluster, Node
from opensor.domain.geography import Municipality
from opensor.domain.records import Contact

__all__ = ["generate_municipalities", "municipality_owner_name"]

_ADMINISTRATIVE = frozenset(
    {"Visitationen", "Demenskoordination", "Forebyggelse og Sundhedsfremme", "Rådgivningen"}
)


def municipality_owner_name(municipality: Municipality) -> str:
    """The official name of a municipality as an owner (``"Københavns Kommune"`` …)."""
    special = {"0101": "Københavns Kommune", "0400": "Bornholms Regionskommune"}
    return special.get(municipality.code, f"{municipality.name} Kommune")


class _Counts:
    """The plan's splitters and selectors of the municipal sector."""

    def __init__(self, ctx: Context) -> None:
        rng, p = ctx.rng, ctx.plan
        self.admin_units = Splitter(rng, p.health_admin_units, p.municipalities, lo=1)
        self.admin_subunits = Splitter(rng, p.health_admin_subunits, p.health_admin_units)
        self.admin_location = Selector(rng, p.health_admin_location_numbers, p.municipalities)
        self.nursing_units = Splitter(rng, p.nursing_home_units, p.nursing_homes)
        self.nursing_location = Selector(rng, p.nursing_home_location_numbers, p.nursing_homes)
        self.nursing_successor = Selector(
            rng, p.nursing_home_successors, p.nursing_home_location_numbers
        )
        self.districts = Splitter(rng, p.home_care_districts, p.home_care, lo=1)
        self.teams = Splitter(rng, p.home_care_teams, p.home_care_districts)
        self.home_care_location = Selector(rng, p.home_care_location_numbers, p.home_care)
        self.rehabilitation_units = Splitter(rng, p.rehabilitation_units, p.rehabilitation)
        self.rehabilitation_location = Selector(
            rng, p.rehabilitation_location_numbers, p.rehabilitation
        )

    def check(self) -> None:
        if not all(getattr(self, name).done for name in vars(self)):
            raise RuntimeError("the municipal sector did not follow the plan")


def _choose(ctx: Context, count: int) -> list[Municipality]:
    """``count`` municipalities, at least one per region, by code."""
    danish = list(ctx.places.danish)
    if count >= len(danish):
        return danish
    chosen: list[Municipality] = []
    for region_code in sorted(ctx.places.regions):
        chosen.append(ctx.rng.choice([m for m in danish if m.region_code == region_code]))
    rest = [m for m in danish if m not in chosen]
    chosen.extend(ctx.rng.sample(rest, max(0, count - len(chosen))))
    return sorted(chosen, key=lambda m: m.code)


def generate_municipalities(ctx: Context) -> Iterator[DemoUnit]:
    """Every municipality of the plan with its institutions and units, parents first."""
    rng, places, plan = ctx.rng, ctx.places, ctx.plan
    counts = _Counts(ctx)
    chosen = _choose(ctx, plan.municipalities)
    weights = [len(places.postcodes_of(m.code)) * rng.uniform(0.7, 1.3) for m in chosen]
    nursing = apportion(plan.nursing_homes, weights)
    home_care = apportion(plan.home_care, weights)
    rehabilitation = apportion(plan.rehabilitation, weights)
    for index, municipality in enumerate(chosen):
        name = municipality_owner_name(municipality)
        domain = f"{slug(municipality.name)}.dk"
        cluster = Cluster()
        owner = ctx.node(
            cluster,
            DemoKind.MUNICIPALITY,
            {
                "name": name,
                "owner_type": OWNER_TYPES["municipality"],
                "postal_address": places.address(rng, municipality.code, street="Rådhuspladsen"),
                "contact": places.contact(rng, name, "DK", municipality.region_code, domain=domain),
                "cvr": ctx.ids.cvr(),
            },
            start=REGION_START,
            parent=None,
            depth=0,
            municipality=municipality.code,
        )
        yield from cluster.emit(ctx.history)
        yield from _health_administration(ctx, counts, owner, domain)
        for _ in range(nursing[index]):
            yield from _nursing_home(ctx, counts, owner)
        for area in pick_names(rng, HOME_CARE_AREAS, home_care[index]):
            yield from _home_care(ctx, counts, owner, area)
        for _ in range(rehabilitation[index]):
            yield from _rehabilitation(ctx, counts, owner)
    counts.check()


def _institution(
    ctx: Context,
    cluster: Cluster,
    owner: Node,
    kind: DemoKind,
    fields: dict[str, Any],
    *,
    start: int | None = None,
) -> Node:
    municipality = owner.municipality or ""
    region_code = ctx.places.region_of(municipality)
    fields.setdefault("postal_address", ctx.places.address(ctx.rng, municipality))
    fields.setdefault(
        "contact",
        ctx.places.contact(ctx.rng, fields["name"], "DK", region_code, website=False),
    )
    if start is None:
        start = (
            owner.start if ctx.rng.random() < 0.5 else ctx.start_between(owner.start, ctx.ref - 700)
        )
    return ctx.node(
        cluster, kind, fields, start=start, parent=owner, depth=0, municipality=municipality
    )


def _units(
    ctx: Context,
    cluster: Cluster,
    parent: Node,
    names: Sequence[tuple[str, str]],
    kind: DemoKind,
    *,
    address_rate: float = 0.0,
    future: float = 0.0,
) -> list[Node]:
    """Organisational units below ``parent``: ``(name, unit type key)`` each."""
    units = []
    for name, unit_type in names:
        fields: dict[str, Any] = {"name": name, "unit_type": UNIT_TYPES[unit_type]}
        if ctx.rng.random() < address_rate:
            near = parent.fields.get("postal_address")
            fields["postal_address"] = ctx.places.address(
                ctx.rng, parent.municipality or "", near=near
            )
        units.append(
            ctx.node(
                cluster,
                kind,
                fields,
                start=ctx.child_start(parent, future=future),
                parent=parent,
                depth=parent.depth + 1,
                municipality=parent.municipality,
            )
        )
    return units


def _close_some(ctx: Context, nodes: Sequence[Node], rate: float) -> None:
    for node in nodes:
        ctx.history.close_some(node, rate)


def _health_administration(
    ctx: Context, counts: _Counts, owner: Node, domain: str
) -> Iterator[DemoUnit]:
    rng = ctx.rng
    cluster = Cluster()
    name = f"Sundhed og Omsorg, {owner.fields['name']}"
    region_code = ctx.places.region_of(owner.municipality or "")
    phone = ctx.places.phone(rng, "DK", region_code)
    admin = _institution(
        ctx,
        cluster,
        owner,
        DemoKind.HEALTH_ADMINISTRATION,
        {
            "name": name,
            "institution_type": INSTITUTION_TYPES["health_administration"],
            "contact": Contact(phone=phone, email=f"sundhed@{domain}"),
        },
        start=owner.start,
    )
    if counts.admin_location.take():
        ctx.own_location(admin, "municipal", region_code)
    unit_names = pick_names(rng, HEALTH_ADMINISTRATION_UNITS, counts.admin_units.next())
    units = _units(
        ctx,
        cluster,
        admin,
        [(n, "administrative" if n in _ADMINISTRATIVE else "clinical") for n in unit_names],
        DemoKind.MUNICIPAL_UNIT,
        address_rate=0.4,
    )
    subunits = []
    for unit in units:
        names = pick_names(rng, HEALTH_ADMINISTRATION_SUBUNITS, counts.admin_subunits.next())
        subunits += _units(
            ctx,
            cluster,
            unit,
            [(n, "clinical") for n in names],
            DemoKind.MUNICIPAL_SUBUNIT,
            future=0.004,
        )
    for subunit in subunits:
        if ctx.history.want("moved", 0.03):
            ctx.history.move(cluster, subunit)
    _close_some(ctx, units + subunits, 0.015)
    ctx.rename_some(cluster)
    yield from cluster.emit(ctx.history)


def _nursing_home(ctx: Context, counts: _Counts, owner: Node) -> Iterator[DemoUnit]:
    rng = ctx.rng
    region_code = ctx.places.region_of(owner.municipality or "")
    cluster = Cluster()
    place = rng.choice(PLACE_NAMES)
    name = rng.choice((f"Plejehjemmet {place}", f"Plejecenter {place}", place))
    home = _institution(
        ctx,
        cluster,
        owner,
        DemoKind.NURSING_HOME,
        {"name": name, "institution_type": INSTITUTION_TYPES["nursing_home"]},
    )
    successor = False
    if counts.nursing_location.take():
        ctx.own_location(home, "municipal", region_code)
        successor = counts.nursing_successor.take()
    names = pick_names(rng, NURSING_HOME_UNITS, counts.nursing_units.next())
    units = _units(
        ctx,
        cluster,
        home,
        [(n, NURSING_HOME_SUPPORT_UNITS.get(n, "clinical")) for n in names],
        DemoKind.MUNICIPAL_UNIT,
    )
    if successor:

        def make(day: int) -> Node:
            fields = dict(home.fields)
            fields["name"] = ctx.renamed(home.name())
            fields["postal_address"] = ctx.places.address(
                rng, owner.municipality or "", near=home.fields["postal_address"]
            )
            new = ctx.node(
                cluster,
                DemoKind.NURSING_HOME,
                fields,
                start=day,
                parent=owner,
                depth=0,
                municipality=owner.municipality,
            )
            ctx.own_location(new, "municipal", region_code)
            return new

        ctx.history.successor(home, make)
    elif rng.random() < 0.01:
        ctx.history.close(home, future=rng.random() < 0.2)
    _close_some(ctx, units, 0.015)
    ctx.rename_some(cluster)
    yield from cluster.emit(ctx.history)


def _home_care(ctx: Context, counts: _Counts, owner: Node, area: str) -> Iterator[DemoUnit]:
    rng = ctx.rng
    cluster = Cluster()
    care = _institution(
        ctx,
        cluster,
        owner,
        DemoKind.HOME_CARE,
        {"name": f"Hjemmesygeplejen {area}", "institution_type": INSTITUTION_TYPES["home_care"]},
    )
    if counts.home_care_location.take():
        ctx.own_location(care, "municipal", ctx.places.region_of(owner.municipality or ""))
    towns = sorted({p.name for p in ctx.places.postcodes_of(owner.municipality or "")})
    district_names = pick_names(rng, [f"Distrikt {t}" for t in towns], counts.districts.next())
    districts = _units(
        ctx,
        cluster,
        care,
        [(n, "clinical") for n in district_names],
        DemoKind.MUNICIPAL_UNIT,
        address_rate=0.6,
    )
    teams = []
    for district in districts:
        names = pick_names(rng, HOME_CARE_TEAMS, counts.teams.next())
        teams += _units(
            ctx,
            cluster,
            district,
            [(n, "clinical") for n in names],
            DemoKind.MUNICIPAL_SUBUNIT,
            future=0.004,
        )
    for team in teams:
        if ctx.history.want("moved", 0.04):
            ctx.history.move(cluster, team)
    _close_some(ctx, districts + teams, 0.015)
    ctx.rename_some(cluster)
    yield from cluster.emit(ctx.history)


def _rehabilitation(ctx: Context, counts: _Counts, owner: Node) -> Iterator[DemoUnit]:
    rng = ctx.rng
    cluster = Cluster()
    place = rng.choice(PLACE_NAMES)
    centre = _institution(
        ctx,
        cluster,
        owner,
        DemoKind.REHABILITATION,
        {
            "name": rng.choice((f"Genoptræningscenter {place}", f"Træningscenter {place}")),
            "institution_type": INSTITUTION_TYPES["rehabilitation"],
        },
    )
    if counts.rehabilitation_location.take():
        ctx.own_location(centre, "municipal", ctx.places.region_of(owner.municipality or ""))
    names = pick_names(
        rng, [n for n, _ in REHABILITATION_UNITS], counts.rehabilitation_units.next()
    )
    types = dict(REHABILITATION_UNITS)
    units = _units(
        ctx,
        cluster,
        centre,
        [(n, types.get(n, "clinical")) for n in names],
        DemoKind.MUNICIPAL_UNIT,
    )
    _close_some(ctx, units, 0.015)
    ctx.rename_some(cluster)
    yield from cluster.emit(ctx.history)
