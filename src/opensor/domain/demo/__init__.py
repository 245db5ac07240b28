"""A generated demo register: realistic, valid and deterministic, from 500 to 500,000 units.

``generate_demo(scale, seed, reference_date=…)`` streams every unit with its whole history
and location numbers, parents first; ``demo_plan(scale)`` tells in advance how many units of
each kind that will be. See :mod:`opensor.domain.demo.generator`.
"""

from opensor.domain.demo.builders import GLN_PREFIX, SOR_ITEM_START
from opensor.domain.demo.generator import EARLIEST_REFERENCE_DATE, generate_demo, summarize
from opensor.domain.demo.plan import MAX_SCALE, DemoKind, DemoSummary, DemoUnit, demo_plan

__all__ = [
    "EARLIEST_REFERENCE_DATE",
    "GLN_PREFIX",
    "MAX_SCALE",
    "SOR_ITEM_START",
    "DemoKind",
    "DemoSummary",
    "DemoUnit",
    "demo_plan",
    "generate_demo",
    "summarize",
]
