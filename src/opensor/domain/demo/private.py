"""Private practices (GP, specialist, dentist, physiotherapy, chiropractor) and pharmacies.

A practice is owned either by one named practitioner (a sole proprietorship: every unit of it
is personal data and the owner has no CVR number) or by a company with a CVR number, whose
practice lists its practitioners as units below the provider-number unit. The owner holds the
location number that the practice and its units inherit. History: a sole practice taken over
by a new practitioner (the practice moves to the new owner, the old one closes), practices and
practitioners closing, new practitioners joining after the reference date, renames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from opensor.domain.demo.builders import INSTITUTION_TYPES, OWNER_TYPES, slug
from opensor.domain.demo.context import Context
from opensor.domain.demo.names import FAROE_TOWNS, FIRST_NAMES, SPECIALIST_CLINICS, SURNAMES
from opensor.domain.demo.plan import DemoKind, DemoUnit, PracticePlan
from opensor.domain.demo.sampling import Selector, Splitter
from opensor.domain.demo.tree import Cluster, Node
from opensor.domain.records import Address, Speciality

__all__ = ["generate_pharmacies", "generate_practices"]

_EARLIEST = date(1980, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class _Style:
    institution_type: str
    profile: str
    title: str
    names: tuple[str, ...]
    speciality: str | None


_STYLES = {
    DemoKind.GP_PRACTICE: _Style(
        "gp", "gp", "Læge",
        ("Lægerne {street}", "Lægehuset {town}", "Lægeklinikken {town}", "Lægerne i {town}"),
        "408443003",
    ),
    DemoKind.SPECIALIST_PRACTICE: _Style(
        "specialist", "specialist", "Speciallæge", ("{clinic} {town}", "{clinic}, {street}"), None
    ),
    DemoKind.DENTAL_PRACTICE: _Style(
        "dentist", "dentist", "Tandlæge",
        ("Tandlægerne {street}", "Tandklinikken {town}", "{town} Tandlægecenter"),
        "394812008",
    ),
    DemoKind.PHYSIOTHERAPY_CLINIC: _Style(
        "physiotherapy", "therapy", "Fysioterapeut",
        ("{town} Fysioterapi", "Fysioterapien {street}", "Klinik for Fysioterapi {town}"),
        None,
    ),
    DemoKind.CHIROPRACTIC_CLINIC: _Style(
        "chiropractor", "therapy", "Kiropraktor",
        ("Kiropraktisk Klinik {town}", "{town} Kiropraktik"),
        None,
    ),
}  # fmt: skip


def _person(ctx: Context) -> str:
    rng = ctx.rng
    if rng.random() < 0.2:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def generate_practices(ctx: Context) -> Iterator[DemoUnit]:
    """Every private practice of the plan, each owner first."""
    for plan in ctx.plan.practices:
        yield from _practices(ctx, plan)


def _practices(ctx: Context, plan: PracticePlan) -> Iterator[DemoUnit]:
    rng = ctx.rng
    if plan.takeovers and plan.location_numbers != plan.practices:
        raise ValueError("takeovers are planned only where every owner has a location number")
    sole = Selector(rng, plan.sole, plan.practices)
    location = Selector(rng, plan.location_numbers, plan.practices)
    faroese = Selector(rng, plan.faroese, plan.practices)
    takeover = Selector(rng, plan.takeovers, plan.sole)
    practitioners = Splitter(
        rng, plan.practitioners, plan.practices - plan.sole, lo=plan.min_practitioners
    )
    for _ in range(plan.practices):
        is_sole = sole.take()
        yield from _practice(
            ctx,
            plan.kind,
            sole=is_sole,
            own_location=location.take(),
            faroese=faroese.take(),
            taken_over=is_sole and takeover.take(),
            practitioners=0 if is_sole else practitioners.next(),
        )
    if not all(s.done for s in (sole, location, faroese, takeover, practitioners)):
        raise RuntimeError(f"the {plan.kind} practices did not follow the plan")


def _place(ctx: Context, faroese: bool) -> tuple[Address, str | None, str | None]:
    """An address, its municipality and its region."""
    if faroese:
        town, lat, lon = ctx.rng.choice(FAROE_TOWNS)
        address, municipality = ctx.places.town_address(ctx.rng, "FO", town, lat, lon)
        return address, municipality, None
    found = ctx.places.pick_municipality(ctx.rng)
    return ctx.places.address(ctx.rng, found.code), found.code, found.region_code


def _practice(
    ctx: Context,
    kind: DemoKind,
    *,
    sole: bool,
    own_location: bool,
    faroese: bool,
    taken_over: bool,
    practitioners: int,
) -> Iterator[DemoUnit]:
    rng, places, history = ctx.rng, ctx.places, ctx.history
    style = _STYLES[kind]
    address, municipality, region_code = _place(ctx, faroese)
    country = address.country or "DK"
    start = ctx.start_between(_EARLIEST, ctx.ref - 400)
    speciality_code, clinic = style.speciality, ""
    if kind is DemoKind.SPECIALIST_PRACTICE:
        speciality_code, clinic = rng.choice(SPECIALIST_CLINICS)
    specialities: tuple[Speciality, ...] = ()
    if speciality_code is not None:
        specialities = (ctx.codes.speciality(speciality_code),)
        if kind is DemoKind.SPECIALIST_PRACTICE and rng.random() < 0.2:
            further = rng.choice([c for c in ctx.codes.specialities if c != speciality_code])
            specialities += (ctx.codes.speciality(further, main=False),)
    cluster = Cluster()
    person = _person(ctx)
    if sole:
        owner_fields = _sole_owner(ctx, person, address, country, region_code)
        practice_name = f"{style.title} {person}"
    else:
        template = rng.choice(style.names)
        practice_name = template.format(street=address.street_name, town=address.district,
                                        clinic=clinic)  # fmt: skip
        owner_fields = {
            "name": f"{practice_name} {rng.choice(('ApS', 'I/S'))}",
            "owner_type": OWNER_TYPES["private"],
            "postal_address": address,
            "contact": places.contact(rng, practice_name, country, region_code),
            "cvr": ctx.ids.cvr(),
        }
    owner = ctx.node(
        cluster,
        DemoKind.PRIVATE_OWNER,
        owner_fields,
        start=start,
        parent=None,
        depth=0,
        municipality=municipality,
    )
    if own_location:
        ctx.own_location(owner, style.profile, region_code)
    practice = ctx.node(
        cluster,
        kind,
        {
            "name": practice_name,
            "institution_type": INSTITUTION_TYPES[style.institution_type],
            "personal_data": sole,
        },
        start=start,
        parent=owner,
        depth=1,
        municipality=municipality,
    )
    provider = ctx.node(
        cluster,
        DemoKind.PROVIDER_NUMBER_UNIT,
        {
            "name": person if sole else practice_name,
            "provider_number": ctx.ids.provider_number(),
            "specialities": specialities,
            "personal_data": sole,
        },
        start=start,
        parent=practice,
        depth=2,
        municipality=municipality,
    )
    staff = [
        ctx.node(
            cluster,
            DemoKind.PRACTITIONER,
            {"name": _person(ctx), "specialities": specialities[:1]},
            start=ctx.child_start(provider, future=0.01, same=0.3),
            parent=provider,
            depth=3,
            municipality=municipality,
        )
        for _ in range(practitioners)
    ]
    if taken_over:
        _take_over(ctx, cluster, owner, practice, provider, style, region_code)
    else:
        history.close_some(owner, 0.02)
    for practitioner in staff:
        history.close_some(practitioner, 0.03)
    if not sole:
        if history.want("renamed", 0.03):
            history.rename(practice, ctx.renamed(practice.name()))
        if history.want("future_rename", 0.003):
            history.rename(practice, ctx.renamed(practice.name()), future=True)
    yield from cluster.emit(history)


def _sole_owner(
    ctx: Context, person: str, address: Address, country: str, region_code: str | None
) -> dict[str, Any]:
    email = ctx.rng.random() < 0.5
    return {
        "name": person,
        "owner_type": OWNER_TYPES["private"],
        "postal_address": address,
        "contact": ctx.places.contact(
            ctx.rng, person, country, region_code, email=email, website=False,
            domain=f"{slug(person)}.dk",
        ),
        "personal_data": True,
    }  # fmt: skip


def _take_over(
    ctx: Context,
    cluster: Cluster,
    owner: Node,
    practice: Node,
    provider: Node,
    style: _Style,
    region_code: str | None,
) -> None:
    """A new practitioner takes the practice over: a new owner, the old one closes."""
    history = ctx.history
    lo = practice.start + 400
    day = history.day(lo, max(lo, ctx.ref - 30))
    person = _person(ctx)
    address = owner.fields["postal_address"]
    new_owner = ctx.node(
        cluster,
        DemoKind.PRIVATE_OWNER,
        _sole_owner(ctx, person, address, address.country or "DK", region_code),
        start=day,
        parent=None,
        depth=0,
        municipality=owner.municipality,
    )
    ctx.own_location(new_owner, style.profile, region_code)
    owner.end = day
    practice.parents.append((day, new_owner))
    practice.changes.append((day, {"name": f"{style.title} {person}"}))
    provider.changes.append((day, {"name": person}))
    for node in (owner, new_owner, practice, provider):
        node.involved = True
    history.counts.update(("moved", "renamed", "takeover"))


def generate_pharmacies(ctx: Context) -> Iterator[DemoUnit]:
    """Every pharmacy with its branches, owner first."""
    rng, places, plan = ctx.rng, ctx.places, ctx.plan
    branches = Splitter(rng, plan.pharmacy_branches, plan.pharmacies)
    branch_location = Selector(rng, plan.branch_location_numbers, plan.pharmacy_branches)
    for _ in range(plan.pharmacies):
        municipality = places.pick_municipality(rng)
        region_code = municipality.region_code
        address = places.address(rng, municipality.code)
        name = f"{address.district} Apotek"
        number = ctx.ids.pharmacy_number()
        cluster = Cluster()
        owner = ctx.node(
            cluster,
            DemoKind.PRIVATE_OWNER,
            {
                "name": name,
                "owner_type": OWNER_TYPES["private"],
                "postal_address": address,
                "contact": places.contact(rng, name, "DK", region_code),
                "cvr": ctx.ids.cvr(),
            },
            start=ctx.start_between(_EARLIEST, ctx.ref - 400),
            parent=None,
            depth=0,
            municipality=municipality.code,
        )
        ctx.own_location(owner, "pharmacy", region_code)
        sites: list[tuple[DemoKind, str, dict[str, Any]]] = [(DemoKind.PHARMACY, name, {})]
        for _ in range(branches.next()):
            branch_address = places.address(rng, municipality.code, near=address)
            branch_name = f"{branch_address.district} Apotek"
            if branch_address.district == address.district:
                branch_name = f"{name}, filial {branch_address.street_name}"
            sites.append(
                (DemoKind.PHARMACY_BRANCH, branch_name, {"postal_address": branch_address})
            )
        for index, (kind, site_name, extra) in enumerate(sites, start=1):
            main = kind is DemoKind.PHARMACY
            site = ctx.node(
                cluster,
                kind,
                {
                    "name": site_name,
                    "institution_type": INSTITUTION_TYPES[
                        "pharmacy" if main else "pharmacy_branch"
                    ],
                    **extra,
                },
                start=owner.start if main else ctx.child_start(owner),
                parent=owner,
                depth=1,
                municipality=municipality.code,
            )
            if not main and branch_location.take():
                ctx.own_location(site, "pharmacy", region_code)
            ctx.node(
                cluster,
                DemoKind.PHARMACY_UNIT,
                {"name": site_name, "pharmacy_id": f"{number},{index}"},
                start=site.start,
                parent=site,
                depth=2,
                municipality=municipality.code,
            )
            if not main:
                ctx.history.close_some(site, 0.03)
        ctx.rename_some(cluster, 0.01)
        yield from cluster.emit(ctx.history)
    if not (branches.done and branch_location.done):
        raise RuntimeError("the pharmacies did not follow the plan")
