"""The demo register generator: a complete, valid, deterministic register of any scale.

:func:`generate_demo` streams :class:`~opensor.domain.demo.plan.DemoUnit` objects, parents
first (an owner before its institutions, an institution before its units, a unit before its
sub-units, and every parent a unit ever had before it), in this order: regions with their
hospitals and emergency services, municipalities, state owners, Greenland, the Faroe Islands,
private practices, pharmacies. It holds one small cluster of units at a time, so memory stays
flat whatever the scale.

The same ``(scale, seed, reference_date)`` always gives exactly the same register: every
choice is drawn from one :class:`random.Random` seeded with ``seed``. The reference date is
"today" of the demo: history lies before it, and a few changes (renames, closures, new units)
are dated after it.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from types import MappingProxyType

from opensor.domain.demo.context import Context
from opensor.domain.demo.municipal import generate_municipalities
from opensor.domain.demo.other import generate_faroe_islands, generate_greenland, generate_state
from opensor.domain.demo.plan import DemoKind, DemoSummary, DemoUnit, _plan
from opensor.domain.demo.private import generate_pharmacies, generate_practices
from opensor.domain.demo.regional import generate_regions

__all__ = ["EARLIEST_REFERENCE_DATE", "generate_demo", "summarize"]

EARLIEST_REFERENCE_DATE = date(2010, 1, 1)
"""The earliest reference date: the demo's history starts with the regions on 2007-01-01."""

_SECTORS = (
    generate_regions,
    generate_municipalities,
    generate_state,
    generate_greenland,
    generate_faroe_islands,
    generate_practices,
    generate_pharmacies,
)


def generate_demo(scale: float = 1.0, seed: int = 1, *, reference_date: date) -> Iterator[DemoUnit]:
    """Generate a demo register, one unit with its whole history at a time, parents first.

    Args:
        scale: 1.0 gives about 50,000 units (see :func:`~opensor.domain.demo.plan.demo_plan`
            for the exact counts); at most :data:`~opensor.domain.demo.plan.MAX_SCALE`.
        seed: The seed of the random generator.
        reference_date: The demo's "today".

    Raises:
        ValueError: ``scale`` out of range, or ``reference_date`` before
            :data:`EARLIEST_REFERENCE_DATE`.

    """
    plan = _plan(scale)
    if reference_date < EARLIEST_REFERENCE_DATE:
        raise ValueError(
            f"reference_date must be {EARLIEST_REFERENCE_DATE} or later, got {reference_date}"
        )
    return _generate(Context(random.Random(seed), reference_date, plan))


def _generate(ctx: Context) -> Iterator[DemoUnit]:
    for sector in _SECTORS:
        yield from sector(ctx)


def summarize(units: Iterable[DemoUnit], scale: float) -> DemoSummary:
    """Count generated units by kind and their location numbers, as :func:`demo_plan` does."""
    kinds: Counter[DemoKind] = Counter()
    glns: set[str] = set()
    for unit in units:
        kinds[unit.kind] += 1
        glns.update(number.gln for number in unit.location_numbers)
    counts = {kind: kinds[kind] for kind in DemoKind}
    return DemoSummary(scale, MappingProxyType(counts), len(glns))
