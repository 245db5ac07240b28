"""Clusters of demo units, the history applied to them, and their emission as records.

The generator builds the register one small *cluster* at a time (a hospital with its
departments and sections, a nursing home with its units, a practice with its owner …), gives
it a history, yields it and forgets it. Every history event stays inside one cluster, which
is what lets each event keep the register's rules by construction:

* a unit moves only to another unit of the same kind at the same depth of its cluster, open
  at the move date, and both parents are emitted before it (a cluster is emitted depth by
  depth);
* a unit closes only with everything below it (children close no later than their parent);
* a successor starts the day its predecessor closes and takes over its children;
* a child's valid time lies inside its parent's at every version.

Dates are proleptic Gregorian ordinals (``date.toordinal()``) while building.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from operator import itemgetter
from typing import Any

from opensor.domain.demo.plan import DemoKind, DemoUnit
from opensor.domain.records import Level, LocationNumberRecord, UnitRecord, Validity

__all__ = ["Cluster", "History", "LocationPlan", "Node"]

_FIRST_DAY = itemgetter(0)


class LocationPlan:
    """A location number a unit owns for its whole life, with at most one later change."""

    __slots__ = ("change", "fields", "gln")

    def __init__(
        self, gln: str, fields: dict[str, Any], change: tuple[int, dict[str, Any]] | None
    ) -> None:
        self.gln = gln
        self.fields = fields
        self.change = change


class Node:
    """One unit while its cluster is built: attributes, valid time, parents over time."""

    __slots__ = (
        "changes",
        "children",
        "cluster",
        "depth",
        "end",
        "fields",
        "involved",
        "kind",
        "level",
        "location",
        "municipality",
        "parents",
        "replaced_by",
        "replaces",
        "sor_id",
        "start",
    )

    def __init__(
        self,
        cluster: Cluster | None,
        sor_id: int,
        kind: DemoKind,
        fields: dict[str, Any],
        start: int,
        parent: Node | None,
        depth: int,
        municipality: str | None,
    ) -> None:
        self.cluster = cluster
        self.sor_id = sor_id
        self.kind = kind
        self.level = kind.level
        self.fields = fields
        self.start = start
        self.end: int | None = None
        self.parents: list[tuple[int, Node]] = [(start, parent)] if parent is not None else []
        self.changes: list[tuple[int, dict[str, Any]]] = []
        self.children: list[Node] = []
        self.location: LocationPlan | None = None
        self.involved = False
        self.replaces: tuple[int, ...] = ()
        self.replaced_by: tuple[int, ...] = ()
        self.municipality = municipality
        self.depth = depth

    @property
    def parent(self) -> Node | None:
        """The parent now (after the last move)."""
        return self.parents[-1][1] if self.parents else None

    def parent_at(self, day: int) -> Node | None:
        """The parent on ``day``."""
        found = None
        for since, parent in self.parents:
            if since > day:
                break
            found = parent
        return found

    def subtree(self) -> Iterator[Node]:
        """The node itself and every node below it (as first built)."""
        yield self
        for child in self.children:
            yield from child.subtree()

    def name(self) -> str:
        """The unit's name as last changed."""
        name: str = self.fields["name"]
        for _, change in sorted(self.changes, key=_FIRST_DAY):
            name = change.get("name", name)
        return name


def _has_location_number(node: Node | None, day: int) -> bool:
    while node is not None:
        if node.location is not None:
            return True
        node = node.parent_at(day)
    return False


class Cluster:
    """A few units built, given a history and emitted together (parents first)."""

    __slots__ = ("nodes",)

    def __init__(self) -> None:
        self.nodes: list[Node] = []

    def add(self, node: Node) -> Node:
        """Take ``node`` in (its parent, if in this cluster, learns of the child)."""
        self.nodes.append(node)
        parent = node.parent
        if parent is not None and parent.cluster is self:
            parent.children.append(node)
        return node

    def emit(self, history: History) -> Iterator[DemoUnit]:
        """The cluster's units, depth by depth, each with its versions and location numbers."""
        for node in sorted(self.nodes, key=lambda n: n.depth):
            yield history.demo_unit(node)


class History:
    """The history events of the demo and their dates, drawn from one random generator.

    ``counts`` tallies the events made (``renamed``, ``moved``, ``closed``, ``successor``,
    ``future_new``, ``future_rename``, ``future_closed``). :meth:`want` says yes with a
    probability, and always while an event has not happened yet, so even a tiny register has
    every kind of history.
    """

    def __init__(self, rng: random.Random, reference_date: date) -> None:
        self.rng = rng
        self.ref = reference_date.toordinal()
        self.counts: Counter[str] = Counter()

    def want(self, event: str, probability: float) -> bool:
        """Whether to try ``event`` now."""
        return self.counts[event] == 0 or self.rng.random() < probability

    def day(self, lo: int, hi: int) -> int:
        """A random day in ``[lo, hi]`` (``lo`` when the range is empty)."""
        return lo if hi <= lo else self.rng.randint(lo, hi)

    def future_start(self) -> int:
        """The start of a unit that opens within the next months."""
        self.counts["future_new"] += 1
        return self.day(self.ref + 1, self.ref + 120)

    # -- events ---------------------------------------------------------------------------

    def rename(self, node: Node, name: str, *, future: bool = False) -> bool:
        """Give ``node`` a new name from a day in its life (after the reference date if future)."""
        end = node.end
        if future:
            lo, hi = max(self.ref + 1, node.start + 1), self.ref + 90
        else:
            lo, hi = node.start + 60, self.ref - 1
        if end is not None:
            hi = min(hi, end - 1)
        if hi < lo:
            return False
        node.changes.append((self.day(lo, hi), {"name": name}))
        self.counts["future_rename" if future else "renamed"] += 1
        return True

    def close(self, node: Node, *, future: bool = False) -> bool:
        """Close ``node`` and everything below it on one day.

        Refused (``False``) when any of them takes part in another event already.
        """
        below = list(node.subtree())
        if any(n.involved or n.end is not None for n in below):
            return False
        latest = max(n.start for n in below)
        if future:
            day = self.day(max(latest + 30, self.ref + 1), max(latest + 30, self.ref + 150))
        else:
            if latest + 30 > self.ref - 1:
                return False
            day = self.day(latest + 30, self.ref - 1)
        for n in below:
            n.end = day
            n.involved = True
        self._involve_ancestors(node)
        self.counts["future_closed" if future else "closed"] += 1
        return True

    def close_some(self, node: Node, rate: float) -> bool:
        """Close ``node`` (and what is below it) with probability ``rate``; some in the future."""
        if node.start > self.ref or not self.want("closed", rate):
            return False
        return self.close(node, future=self.want("future_closed", 0.12))

    def move(
        self,
        cluster: Cluster,
        node: Node,
        recode: Callable[[Node, Node, int], None] | None = None,
    ) -> bool:
        """Move ``node`` to another parent of the same kind in its cluster."""
        old = node.parent
        if old is None or old.cluster is not cluster or node.involved or node.end is not None:
            return False
        if node.start > self.ref - 120:
            return False
        options = [
            n
            for n in cluster.nodes
            if n is not old and n.kind is old.kind and n.depth == old.depth and n.end is None
        ]
        if not options:
            return False
        new = self.rng.choice(options)
        lo = max(node.start, new.start) + 60
        if lo > self.ref - 1:
            return False
        day = self.day(lo, self.ref - 1)
        node.parents.append((day, new))
        if recode is not None:
            recode(node, new, day)
        node.involved = old.involved = new.involved = True
        self._involve_ancestors(old)
        self._involve_ancestors(new)
        self.counts["moved"] += 1
        return True

    def successor(
        self,
        node: Node,
        make: Callable[[int], Node],
        recode: Callable[[Node, Node, int], None] | None = None,
    ) -> Node:
        """Close ``node`` and open its successor, built by ``make(day)``, the same day.

        The successor takes over ``node``'s children (``recode`` may give them new codes).
        """
        latest = max(n.start for n in node.subtree())
        lo = latest + 30
        day = self.day(lo, max(lo, self.ref - 1))
        new = make(day)
        node.end = day
        node.replaced_by = (new.sor_id,)
        new.replaces = (node.sor_id,)
        for child in node.children:
            child.parents.append((day, new))
            child.involved = True
            if recode is not None:
                recode(child, new, day)
        node.involved = new.involved = True
        self._involve_ancestors(node)
        self.counts["successor"] += 1
        return new

    @staticmethod
    def _involve_ancestors(node: Node) -> None:
        parent = node.parent
        while parent is not None and parent.cluster is node.cluster:
            parent.involved = True
            parent = parent.parent

    # -- emission -------------------------------------------------------------------------

    def _updated_at(self, valid_from: int, valid_to: int | None) -> date:
        basis = valid_to if valid_to is not None else valid_from
        day = basis - self.rng.randint(0, 20)
        if day > self.ref:
            day = self.ref - self.rng.randint(0, 10)
        return date.fromordinal(day)

    def demo_unit(self, node: Node) -> DemoUnit:
        """``node`` as a :class:`DemoUnit`."""
        end = node.end
        changes = sorted((c for c in node.changes if end is None or c[0] < end), key=_FIRST_DAY)
        days = sorted({node.start, *(d for d, _ in changes), *(d for d, _ in node.parents[1:])})
        fields = dict(node.fields)
        first_from = date.fromordinal(node.start)
        versions = []
        applied = 0
        for index, day in enumerate(days):
            while applied < len(changes) and changes[applied][0] <= day:
                fields.update(changes[applied][1])
                applied += 1
            valid_to = days[index + 1] if index + 1 < len(days) else end
            parent = node.parent_at(day)
            if node.level is Level.OWNER or node.location is not None:
                inherited = None
            else:
                inherited = _has_location_number(parent, day)
            last = index == len(days) - 1
            versions.append(
                UnitRecord(
                    sor_id=node.sor_id,
                    level=node.level,
                    validity=Validity(
                        first_from=first_from,
                        valid_from=date.fromordinal(day),
                        valid_to=date.fromordinal(valid_to) if valid_to is not None else None,
                        updated_at=self._updated_at(day, valid_to),
                    ),
                    parent_sor_id=parent.sor_id if parent is not None else None,
                    location_number_inherited=inherited,
                    replaces=node.replaces,
                    replaced_by=node.replaced_by if last else (),
                    **{**fields, "name": fit_name(fields["name"])},
                )
            )
        return DemoUnit(
            versions=tuple(versions),
            location_numbers=self._location_numbers(node),
            kind=node.kind,
            municipality=node.municipality,
        )

    def _location_numbers(self, node: Node) -> tuple[LocationNumberRecord, ...]:
        plan = node.location
        if plan is None:
            return ()
        end = node.end
        days = [node.start]
        if (
            plan.change is not None
            and node.start < plan.change[0]
            and (end is None or plan.change[0] < end)
        ):
            days.append(plan.change[0])
        first_from = date.fromordinal(node.start)
        records = []
        fields = dict(plan.fields)
        for index, day in enumerate(days):
            if index and plan.change is not None:
                fields.update(plan.change[1])
            valid_to = days[index + 1] if index + 1 < len(days) else end
            records.append(
                LocationNumberRecord(
                    gln=plan.gln,
                    owner_sor_id=node.sor_id,
                    validity=Validity(
                        first_from=first_from,
                        valid_from=date.fromordinal(day),
                        valid_to=date.fromordinal(valid_to) if valid_to is not None else None,
                        updated_at=self._updated_at(day, valid_to),
                    ),
                    **fields,
                )
            )
        return tuple(records)


MAX_NAME_LENGTH = 60
"""SorTree's EntityName holds at most 60 characters."""


def fit_name(name: str) -> str:
    """``name``, shortened at a word boundary to fit :data:`MAX_NAME_LENGTH` if it is longer."""
    if len(name) <= MAX_NAME_LENGTH:
        return name
    cut = name[: MAX_NAME_LENGTH + 1].rsplit(" ", 1)[0].rstrip(" ,-")
    return cut if cut else name[:MAX_NAME_LENGTH]
