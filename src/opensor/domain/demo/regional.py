"""The five regions: their hospitals, departments and sections, and their emergency services.

Each hospital is one cluster (hospital → departments → sections). Its history: departments
replaced by a successor that takes over their sections, sections moved between departments
(and recoded under the new department's SHAK code), departments and sections closed, new
sections opening after the reference date, renames now and in the future.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from opensor.domain.demo.builders import INSTITUTION_TYPES, OWNER_TYPES, UNIT_TYPES, ShakBlock
from opensor.domain.demo.context import Context
from opensor.domain.demo.names import (
    DEPARTMENTS,
    HOSPITAL_UNITS,
    HOSPITALS,
    REGIONAL_SERVICE_UNITS,
    REGIONAL_SERVICES,
    SECTIONS,
)
from opensor.domain.demo.plan import REGION_WEIGHTS, DemoKind, DemoUnit
from opensor.domain.demo.sampling import Selector, Splitter, pick_distinct, pick_names
from opensor.domain.demo.tree import Cluster, Node

__all__ = ["REGION_SEATS", "REGION_START", "generate_regions"]

REGION_START = date(2007, 1, 1).toordinal()
"""The regions (and today's municipalities) exist since 1 January 2007."""
REGION_SEATS = {"1081": "0851", "1082": "0791", "1083": "0630", "1084": "0219", "1085": "0340"}
"""The municipality of each region's seat (Aalborg, Viborg, Vejle, Hillerød, Sorø)."""

_LABORATORIES = frozenset({"394596001", "408454008", "394915009", "421661004"})


class _Counts:
    """The plan's splitters and selectors of the regional sector."""

    def __init__(self, ctx: Context) -> None:
        rng, p = ctx.rng, ctx.plan
        hospitals = sum(p.hospitals)
        self.departments = Splitter(rng, p.departments, hospitals, lo=1, hi=80)
        self.sections = Splitter(rng, p.sections, p.departments, lo=0, hi=9)
        self.department_location = Selector(rng, p.department_location_numbers, p.departments)
        self.successor = Selector(
            rng, p.department_successors, p.departments - p.department_location_numbers
        )
        self.section_location = Selector(rng, p.section_location_numbers, p.sections)
        self.services = Splitter(rng, p.regional_services, len(p.hospitals))
        self.service_units = Splitter(rng, p.regional_service_units, p.regional_services)

    def check(self) -> None:
        parts = (self.departments, self.sections, self.department_location, self.successor)
        if not all(part.done for part in (*parts, self.section_location, self.services)):
            raise RuntimeError("the regional sector did not follow the plan")


def generate_regions(ctx: Context) -> Iterator[DemoUnit]:
    """Every region with its hospitals and emergency services, parents first."""
    counts = _Counts(ctx)
    for (region_code, _), hospitals in zip(REGION_WEIGHTS, ctx.plan.hospitals, strict=True):
        region = ctx.places.regions[region_code]
        seat = REGION_SEATS[region_code]
        cluster = Cluster()
        owner = ctx.node(
            cluster,
            DemoKind.REGION,
            {
                "name": region.name,
                "owner_type": OWNER_TYPES["region"],
                "postal_address": ctx.places.address(ctx.rng, seat),
                "contact": ctx.places.contact(ctx.rng, region.name, "DK", region_code),
                "cvr": ctx.ids.cvr(),
            },
            start=REGION_START,
            parent=None,
            depth=0,
            municipality=seat,
        )
        yield from cluster.emit(ctx.history)
        for name, municipality in _hospital_names(ctx, region_code, hospitals):
            yield from _hospital(ctx, counts, owner, region_code, name, municipality)
        for _ in range(counts.services.next()):
            yield from _service(ctx, counts, owner, region_code)
    counts.check()


def _hospital_names(ctx: Context, region_code: str, count: int) -> list[tuple[str, str]]:
    real = list(HOSPITALS[region_code])
    if count <= len(real):
        return real[:count]
    local = [m for m in ctx.places.danish if m.region_code == region_code]
    extra = [(f"Sygehus {m.name}", m.code) for m in local]
    names = real + extra
    round_ = 2
    while len(names) < count:
        names.extend((f"{name} {round_}", code) for name, code in real + extra)
        round_ += 1
    return names[:count]


def _hospital(
    ctx: Context, counts: _Counts, owner: Node, region_code: str, name: str, municipality: str
) -> Iterator[DemoUnit]:
    rng, history, places = ctx.rng, ctx.history, ctx.places
    cluster = Cluster()
    start = REGION_START if rng.random() < 0.7 else ctx.start_between(REGION_START, ctx.ref - 2000)
    block = ShakBlock(ctx.ids.hospital_shak(region_code))
    hospital = ctx.node(
        cluster,
        DemoKind.HOSPITAL,
        {
            "name": name,
            "institution_type": INSTITUTION_TYPES["hospital"],
            "shak": block.hospital,
            "postal_address": places.address(rng, municipality),
            "contact": places.contact(rng, name, "DK", region_code),
        },
        start=start,
        parent=owner,
        depth=0,
        municipality=municipality,
    )
    ctx.own_location(hospital, "hospital", region_code)
    count = counts.departments.next()
    templates = list(HOSPITAL_UNITS[:count]) + [
        (name + suffix, unit_type, speciality)
        for (name, unit_type, speciality), suffix in pick_distinct(
            rng, DEPARTMENTS, count - min(count, len(HOSPITAL_UNITS))
        )
    ]
    successors: list[Node] = []
    sections: list[Node] = []
    for dept_name, unit_type, speciality in templates:
        dept = ctx.node(
            cluster,
            DemoKind.DEPARTMENT,
            _department_fields(
                ctx, dept_name, unit_type, speciality, block.department(), region_code
            ),
            start=hospital.start
            if rng.random() < 0.7
            else ctx.start_between(hospital.start, ctx.ref - 400),
            parent=hospital,
            depth=1,
            municipality=municipality,
        )
        if counts.department_location.take():
            profile = "laboratory" if speciality in _LABORATORIES else "department"
            ctx.own_location(dept, profile, region_code, only_internal=0.1)
        elif counts.successor.take():
            successors.append(dept)
        for (section_name, section_kind), suffix in pick_distinct(
            rng, SECTIONS, counts.sections.next()
        ):
            section = ctx.node(
                cluster,
                DemoKind.SECTION,
                {
                    "name": section_name + suffix,
                    "unit_type": UNIT_TYPES["clinical"],
                    "shak": block.section(dept.fields["shak"]),
                    # OrganizationalUnitInformation: all three indicators or none
                    "patients_admitted": section_kind == "ward",
                    "ambulant_activity": section_kind == "outpatient",
                    "reporting_level": True,
                },
                start=ctx.child_start(dept, future=0.004, same=0.6),
                parent=dept,
                depth=2,
                municipality=municipality,
            )
            sections.append(section)
            if counts.section_location.take():
                ctx.own_location(section, "department", region_code)

    def recode(node: Node, parent: Node, day: int) -> None:
        node.changes.append((day, {"shak": block.section(parent.fields["shak"])}))

    for dept in successors:

        def make(day: int, old: Node = dept) -> Node:
            fields = dict(old.fields)
            fields.update(name=ctx.renamed(old.name()), shak=block.department())
            return ctx.node(
                cluster,
                DemoKind.DEPARTMENT,
                fields,
                start=day,
                parent=old.parent_at(day),
                depth=1,
                municipality=municipality,
            )

        history.successor(dept, make, recode)
    for section in sections:
        if history.want("moved", 0.02):
            history.move(cluster, section, recode)
    for node in cluster.nodes[1:]:
        if node.kind is DemoKind.SECTION:
            history.close_some(node, 0.015)
        elif node.fields["unit_type"] == UNIT_TYPES["clinical"]:
            history.close_some(node, 0.006)
    ctx.rename_some(cluster)
    yield from cluster.emit(history)


def _department_fields(
    ctx: Context, name: str, unit_type: str, speciality: str, shak: str, region_code: str | None
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": name,
        "unit_type": UNIT_TYPES[unit_type],
        "shak": shak,
        # LPR reports on sections; the department carries the group with no activity itself
        "ambulant_activity": False,
        "patients_admitted": False,
        "reporting_level": True,
        "specialities": (ctx.codes.speciality(speciality),) if speciality else (),
    }
    if ctx.rng.random() < 0.4:
        fields["contact"] = ctx.places.contact(
            ctx.rng, name, "DK", region_code, email=False, website=False
        )
    return fields


def _service(ctx: Context, counts: _Counts, owner: Node, region_code: str) -> Iterator[DemoUnit]:
    rng, places = ctx.rng, ctx.places
    home = rng.choice([m for m in places.danish if m.region_code == region_code])
    name, institution_type = rng.choice(REGIONAL_SERVICES)
    region_name = places.regions[region_code].name
    cluster = Cluster()
    address = places.address(rng, home.code)
    service = ctx.node(
        cluster,
        DemoKind.REGIONAL_SERVICE,
        {
            "name": f"{name}, {region_name}",
            "institution_type": institution_type,
            "postal_address": address,
            "contact": places.contact(rng, name, "DK", region_code, email=False, website=False),
        },
        start=ctx.start_between(REGION_START, ctx.ref - 1500),
        parent=owner,
        depth=0,
        municipality=home.code,
    )
    ctx.own_location(service, "hospital", region_code)
    for unit_name in pick_names(rng, REGIONAL_SERVICE_UNITS, counts.service_units.next()):
        unit_address = places.address(rng, home.code, near=address)
        ctx.node(
            cluster,
            DemoKind.REGIONAL_SERVICE_UNIT,
            {
                "name": f"{unit_name} {unit_address.district}",
                "unit_type": UNIT_TYPES["clinical"],
                "postal_address": unit_address,
            },
            start=ctx.start_between(service.start, ctx.ref - 300),
            parent=service,
            depth=1,
            municipality=home.code,
        )
    for node in cluster.nodes[1:]:
        ctx.history.close_some(node, 0.02)
    ctx.rename_some(cluster)
    yield from cluster.emit(ctx.history)
