"""State owners and their institutions, and the health services of Greenland and the Faroes.

Greenland's and the Faroe Islands' public health services are owned by their home-rule
governments, registered here with owner type *stat*; they have no CVR number (neither is in
the Danish business register) and no region. Their location numbers carry no region code.
"""

from __future__ import annotations

from collections.abc import Iterator

from opensor.domain.demo.builders import INSTITUTION_TYPES, OWNER_TYPES, UNIT_TYPES
from opensor.domain.demo.context import Context
from opensor.domain.demo.names import (
    FAROE_HOSPITALS,
    FAROE_OWNER,
    GREENLAND_INSTITUTIONS,
    GREENLAND_OWNER,
    GREENLAND_UNITS,
    STATE_INSTITUTIONS,
    STATE_OWNERS,
    STATE_UNITS,
)
from opensor.domain.demo.plan import DemoKind, DemoUnit
from opensor.domain.demo.regional import REGION_START
from opensor.domain.demo.sampling import Selector, Splitter, pick_names
from opensor.domain.demo.tree import Cluster, Node
from opensor.domain.records import Address

__all__ = ["generate_faroe_islands", "generate_greenland", "generate_state"]


def generate_state(ctx: Context) -> Iterator[DemoUnit]:
    """The state owners with their institutions and units, parents first."""
    rng, places, plan = ctx.rng, ctx.places, ctx.plan
    owners: list[Node] = []
    for name in STATE_OWNERS[: plan.state_owners]:
        cluster = Cluster()
        owners.append(
            ctx.node(
                cluster,
                DemoKind.STATE_OWNER,
                {
                    "name": name,
                    "owner_type": OWNER_TYPES["state"],
                    "postal_address": places.address(rng, "0101"),
                    "contact": places.contact(rng, name, "DK", "1084"),
                    "cvr": ctx.ids.cvr(),
                },
                start=REGION_START,
                parent=None,
                depth=0,
                municipality="0101",
            )
        )
        yield from cluster.emit(ctx.history)
    units = Splitter(rng, plan.state_units, plan.state_institutions)
    locations = Selector(rng, plan.state_location_numbers, plan.state_institutions)
    for index in range(plan.state_institutions):
        template = index % len(STATE_INSTITUTIONS)
        owner_index, name, institution_type, municipality = STATE_INSTITUTIONS[template]
        owner = owners[owner_index] if owner_index < len(owners) else owners[0]
        if index >= len(STATE_INSTITUTIONS):
            elsewhere = places.pick_municipality(rng)
            municipality = elsewhere.code
            name = f"{name}, {elsewhere.name}"
        region_code = places.region_of(municipality)
        cluster = Cluster()
        institution = ctx.node(
            cluster,
            DemoKind.STATE_INSTITUTION,
            {
                "name": name,
                "institution_type": institution_type,
                "postal_address": places.address(rng, municipality),
                "contact": places.contact(rng, name, "DK", region_code),
            },
            start=ctx.start_between(REGION_START, ctx.ref - 1000),
            parent=owner,
            depth=0,
            municipality=municipality,
        )
        if locations.take():
            ctx.own_location(institution, "state", region_code)
        for unit_name in pick_names(rng, STATE_UNITS[template], units.next()):
            ctx.node(
                cluster,
                DemoKind.STATE_UNIT,
                {"name": unit_name, "unit_type": UNIT_TYPES["clinical"]},
                start=ctx.child_start(institution),
                parent=institution,
                depth=1,
                municipality=municipality,
            )
        yield from _finish(ctx, cluster)
    if not (units.done and locations.done):
        raise RuntimeError("the state sector did not follow the plan")


def _finish(ctx: Context, cluster: Cluster) -> Iterator[DemoUnit]:
    for node in cluster.nodes[1:]:
        ctx.history.close_some(node, 0.02)
    ctx.rename_some(cluster)
    yield from cluster.emit(ctx.history)


def _home_rule_owner(
    ctx: Context, name: str, country: str, address: Address, municipality: str | None
) -> tuple[Cluster, Node]:
    cluster = Cluster()
    owner = ctx.node(
        cluster,
        DemoKind.STATE_OWNER,
        {
            "name": name,
            "owner_type": OWNER_TYPES["state"],
            "postal_address": address,
            "contact": ctx.places.contact(ctx.rng, name, country, None),
        },
        start=REGION_START,
        parent=None,
        depth=0,
        municipality=municipality,
    )
    return cluster, owner


def generate_greenland(ctx: Context) -> Iterator[DemoUnit]:
    """Greenland's health service: hospital and health centres, with their units."""
    rng, places, plan = ctx.rng, ctx.places, ctx.plan
    _, town, _, lat, lon = GREENLAND_INSTITUTIONS[0]
    address, municipality = places.town_address(rng, "GL", town, lat, lon)
    cluster, owner = _home_rule_owner(ctx, GREENLAND_OWNER, "GL", address, municipality)
    yield from cluster.emit(ctx.history)
    units = Splitter(rng, plan.greenland_units, plan.greenland_institutions)
    locations = Selector(rng, plan.greenland_location_numbers, plan.greenland_institutions)
    for index in range(plan.greenland_institutions):
        name, town, institution_type, lat, lon = GREENLAND_INSTITUTIONS[
            index % len(GREENLAND_INSTITUTIONS)
        ]
        if index >= len(GREENLAND_INSTITUTIONS):
            name = f"{name} {index // len(GREENLAND_INSTITUTIONS) + 1}"
        address, municipality = places.town_address(rng, "GL", town, lat, lon)
        yield from _institution(
            ctx, owner, DemoKind.GREENLAND_INSTITUTION, DemoKind.GREENLAND_UNIT,
            name, institution_type, address, municipality, units.next(), locations.take(),
        )  # fmt: skip
    if not (units.done and locations.done):
        raise RuntimeError("the Greenland sector did not follow the plan")


def generate_faroe_islands(ctx: Context) -> Iterator[DemoUnit]:
    """The Faroese hospitals with their units."""
    rng, places, plan = ctx.rng, ctx.places, ctx.plan
    _, town, lat, lon = FAROE_HOSPITALS[0]
    address, municipality = places.town_address(rng, "FO", town, lat, lon)
    cluster, owner = _home_rule_owner(ctx, FAROE_OWNER, "FO", address, municipality)
    yield from cluster.emit(ctx.history)
    units = Splitter(rng, plan.faroe_units, plan.faroe_hospitals)
    locations = Selector(rng, plan.faroe_location_numbers, plan.faroe_hospitals)
    for index in range(plan.faroe_hospitals):
        name, town, lat, lon = FAROE_HOSPITALS[index % len(FAROE_HOSPITALS)]
        if index >= len(FAROE_HOSPITALS):
            name = f"{name} {index // len(FAROE_HOSPITALS) + 1}"
        address, municipality = places.town_address(rng, "FO", town, lat, lon)
        yield from _institution(
            ctx, owner, DemoKind.FAROE_HOSPITAL, DemoKind.FAROE_UNIT,
            name, INSTITUTION_TYPES["hospital"], address, municipality, units.next(),
            locations.take(),
        )  # fmt: skip
    if not (units.done and locations.done):
        raise RuntimeError("the Faroe sector did not follow the plan")


def _institution(
    ctx: Context,
    owner: Node,
    kind: DemoKind,
    unit_kind: DemoKind,
    name: str,
    institution_type: str,
    address: Address,
    municipality: str | None,
    unit_count: int,
    own_location: bool,
) -> Iterator[DemoUnit]:
    country = address.country or "DK"
    cluster = Cluster()
    institution = ctx.node(
        cluster,
        kind,
        {
            "name": name,
            "institution_type": institution_type,
            "postal_address": address,
            "contact": ctx.places.contact(ctx.rng, name, country, None),
        },
        start=ctx.start_between(owner.start, ctx.ref - 1000),
        parent=owner,
        depth=0,
        municipality=municipality,
    )
    if own_location:
        ctx.own_location(institution, "hospital", None)
    for unit_name in pick_names(ctx.rng, GREENLAND_UNITS, unit_count):
        ctx.node(
            cluster,
            unit_kind,
            {"name": unit_name, "unit_type": UNIT_TYPES["clinical"]},
            start=ctx.child_start(institution, future=0.004),
            parent=institution,
            depth=1,
            municipality=municipality,
        )
    yield from _finish(ctx, cluster)
