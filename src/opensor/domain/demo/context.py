"""The shared context of the sector builders, and the codes they take from the code lists."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from opensor.domain.codelists import CodeLists
from opensor.domain.demo.builders import Identifiers, Places, renamed
from opensor.domain.demo.plan import DemoKind, _Plan
from opensor.domain.demo.tree import Cluster, History, LocationPlan, Node
from opensor.domain.records import Level, Speciality

__all__ = ["Codes", "Context"]

NORTH_ATLANTIC_REGION_CODE = "1084"
"""SorTree requires a region code on every location number, but Greenland and the Faroe
Islands have no Danish region: their demo location numbers are given Region Hovedstaden's,
the region of the state administration that handles them (a demo choice, not a SOR rule)."""

# Kinds whose names are real (places, hospitals, authorities) or a person's: never renamed.
_REAL_NAMES = frozenset(
    {
        DemoKind.REGION,
        DemoKind.MUNICIPALITY,
        DemoKind.STATE_OWNER,
        DemoKind.PRIVATE_OWNER,
        DemoKind.HOSPITAL,
        DemoKind.STATE_INSTITUTION,
        DemoKind.GREENLAND_INSTITUTION,
        DemoKind.FAROE_HOSPITAL,
        DemoKind.PRACTITIONER,
    }
)


# Message types by profile, as fragments of their URNs (see codelist_message_type.csv).
_MESSAGE_PROFILES: dict[str, tuple[str, ...]] = {
    "gp": ("dis01", "rpt01", "dis91", "xdis91", "carecommunication:3.0", "acknowledgement",
           "ctl03", "bin02"),
    "hospital": ("ref01", "bin02", "dis91", "xdis91", "carecommunication:3.0",
                 "acknowledgement", "ctl01", "ctl02"),
    "department": ("ref01", "bin02", "carecommunication:3.0", "acknowledgement"),
    "laboratory": ("rpt01", "dis91", "acknowledgement", "ctl03"),
    "municipal": ("hospitalnotification", "carecommunication:3.0", "homecareobservation:2.0",
                  "dis01", "xdis91", "acknowledgement"),
    "specialist": ("ref01", "bin02", "rpt01", "dis91", "carecommunication:3.0",
                   "acknowledgement"),
    "dentist": ("dis91", "xdis91", "carecommunication:3.0", "acknowledgement"),
    "therapy": ("ref01", "carecommunication:3.0", "acknowledgement"),
    "pharmacy": ("dis91", "carecommunication:3.0", "acknowledgement"),
    "state": ("dis91", "carecommunication:3.0", "rpt01", "acknowledgement"),
}  # fmt: skip
_EDELIVERY = "100097"
_NEWER_MESSAGE = "carecommunication:4.0"
_CHANGE_EARLIEST = date(2021, 1, 1).toordinal()


def _matches(code: str, fragment: str) -> bool:
    return code.endswith(":" + fragment) or f":{fragment}:" in code


class Codes:
    """Codes taken from the bundled code lists: specialities, message types, suppliers."""

    def __init__(self, lists: CodeLists | None = None) -> None:
        lists = lists or CodeLists.bundled()
        types = list(lists.get("speciality_type"))
        self.main = next(e.code for e in types if e.name_en.lower().startswith("main"))
        self.further = next(e.code for e in types if e.code != self.main)
        self.specialities = tuple(e.code for e in lists.get("speciality") if e.active)
        messages = [e.code for e in lists.get("message_type") if e.active]
        self.profiles: dict[str, tuple[str, ...]] = {
            name: tuple(
                code for fragment in fragments for code in messages if _matches(code, fragment)
            )
            for name, fragments in _MESSAGE_PROFILES.items()
        }
        self.newer_message = next((c for c in messages if _matches(c, _NEWER_MESSAGE)), None)
        self.system_types = tuple(e.code for e in lists.get("system_type"))
        self.system_suppliers = tuple(e.code for e in lists.get("system_supplier"))
        suppliers = [e.code for e in lists.get("communication_supplier")]
        unknown = {e.code for e in lists.get("communication_supplier") if e.name_en == "Unknown"}
        self.edelivery = _EDELIVERY if _EDELIVERY in suppliers else None
        self.net_operators = tuple(
            c for c in suppliers if c not in unknown and c != self.edelivery
        ) or tuple(suppliers)
        self.edi_administrators = tuple(e.code for e in lists.get("edi_administrator"))

    def speciality(self, code: str, *, main: bool = True) -> Speciality:
        """A speciality of ``code``, main or further."""
        return Speciality(code=code, type=self.main if main else self.further)

    def location(
        self,
        rng: random.Random,
        gln: str,
        profile: str,
        region_code: str | None,
        start: int,
        ref: int,
        *,
        only_internal: float = 0.0,
    ) -> LocationPlan:
        """A location number with the message types of ``profile``.

        A quarter of them change later: a new net operator and a newer message type.
        """
        offered = self.profiles[profile]
        kept = tuple(c for i, c in enumerate(offered) if i == 0 or rng.random() < 0.85)
        fields: dict[str, Any] = {
            "only_internal": rng.random() < only_internal,
            "non_active": rng.random() < 0.02,
            "system_supplier": rng.choice(self.system_suppliers),
            "system_type": rng.choice(self.system_types),
            "communication_supplier": rng.choice(self.net_operators),
            "region_code": region_code or NORTH_ATLANTIC_REGION_CODE,
            "edi_administrator": rng.choice(self.edi_administrators),
            "message_types": kept,
        }
        change = None
        lo = max(start + 180, _CHANGE_EARLIEST)
        if rng.random() < 0.25 and lo < ref + 60:
            changed: dict[str, Any] = {}
            if self.edelivery is not None:
                changed["communication_supplier"] = self.edelivery
            if self.newer_message is not None and self.newer_message not in kept:
                changed["message_types"] = (*kept, self.newer_message)
            if changed:
                change = (rng.randint(lo, ref + 60), changed)
        return LocationPlan(gln, fields, change)


class Context:
    """What the sector builders share: random generator, plan, history, ids, places, codes."""

    def __init__(self, rng: random.Random, reference_date: date, plan: _Plan) -> None:
        self.rng = rng
        self.plan = plan
        self.history = History(rng, reference_date)
        self.ref = self.history.ref
        self.ids = Identifiers(rng)
        self.places = Places()
        self.codes = Codes()

    def node(
        self,
        cluster: Cluster | None,
        kind: DemoKind,
        fields: dict[str, Any],
        *,
        start: int,
        parent: Node | None,
        depth: int,
        municipality: str | None,
    ) -> Node:
        """A new unit with a fresh SOR-ID, added to ``cluster``.

        Institutions are their own geographical location (relation 1, as in real extracts);
        an organisational unit is at its parent's location (2) unless it has an address.
        """
        if kind.level is not Level.OWNER:
            own = fields.get("postal_address") is not None or kind.level is Level.INSTITUTION
            fields.setdefault("geographical_parent_relation", 1 if own else 2)
        node = Node(cluster, self.ids.sor_id(), kind, fields, start, parent, depth, municipality)
        if cluster is not None:
            cluster.add(node)
        return node

    def own_location(
        self, node: Node, profile: str, region_code: str | None, *, only_internal: float = 0.0
    ) -> None:
        """Give ``node`` a location number of its own for its whole life."""
        node.location = self.codes.location(
            self.rng,
            self.ids.gln(),
            profile,
            region_code,
            node.start,
            self.ref,
            only_internal=only_internal,
        )

    def start_between(self, lo: int, hi: int) -> int:
        """A start day in ``[lo, hi]`` (``lo`` if the range is empty)."""
        return self.history.day(lo, hi)

    def renamed(self, name: str) -> str:
        """A plausible new name for a unit called ``name``."""
        return renamed(name, self.rng)

    def rename_some(self, cluster: Cluster, rate: float = 0.045) -> None:
        """Rename a few units of ``cluster``, some of them after the reference date.

        Call it after every other event of the cluster, so renames fall inside the units' lives.
        """
        history = self.history
        for node in cluster.nodes:
            if node.kind in _REAL_NAMES:
                continue
            if history.want("renamed", rate):
                history.rename(node, self.renamed(node.name()))
            if history.want("future_rename", rate / 10):
                history.rename(node, self.renamed(node.name()), future=True)

    def child_start(self, parent: Node, *, future: float = 0.0, same: float = 0.5) -> int:
        """A start day for a new child of ``parent``: often the parent's, else later.

        With probability ``future`` (only for units that get no children) it opens after the
        reference date.
        """
        if future and self.history.want("future_new", future):
            return max(parent.start, self.history.future_start())
        if self.rng.random() < same:
            return parent.start
        return self.start_between(parent.start, self.ref - 200)
