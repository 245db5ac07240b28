"""Reads of change requests.

The case workers' queue, a practice's own requests, one request with its history and its
difference against the current register, and the units a practice may file requests about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from opensor.domain.records import LocationNumberRecord, UnitRecord, record_to_dict
from opensor.domain.responsibility import Permission, RoleKind
from opensor.register.accounts.actors import Actor
from opensor.register.codes.selectors import code_lists
from opensor.register.maintenance.errors import Forbidden, NotFound, ServiceError
from opensor.register.maintenance.recording import require
from opensor.register.requests.labels import field_label, shown
from opensor.register.requests.models import ChangeRequest, RequestEvent
from opensor.register.requests.services import may_follow
from opensor.register.requests.targets import proposal, target_resolve
from opensor.register.units.mapping import UNIT_VERSION_FIELDS, unit_record_from_row
from opensor.register.units.models import UnitVersion
from opensor.register.units.selectors import location_number_owned_on

__all__ = [
    "DiffRow",
    "RequestView",
    "practice_owner_ids",
    "practice_units",
    "request_queue",
    "request_view",
    "requests_of",
]

Kind = ChangeRequest.Kind


def request_queue(actor: Actor, status: str | None = None) -> QuerySet[ChangeRequest]:
    """The case workers' queue: open requests (or those of ``status``), oldest first."""
    require(actor, Permission.REQUEST_DECIDE, None)
    rows = ChangeRequest.objects.select_related("requester").order_by("id")
    if status:
        return rows.filter(status=status)
    return rows.filter(status__in=ChangeRequest.OPEN)


def practice_owner_ids(actor: Actor) -> list[int]:
    """The SOR-IDs of the private owners whose practice the actor belongs to."""
    return sorted(
        int(role.scope)
        for role in actor.roles
        if role.kind is RoleKind.PRACTICE and role.scope is not None
    )


def requests_of(actor: Actor) -> QuerySet[ChangeRequest]:
    """The requests the actor filed or its practice filed, newest first."""
    mine = Q(owner_sor_id__in=practice_owner_ids(actor))
    if actor.user_id is not None:
        mine |= Q(requester_id=actor.user_id)
    return ChangeRequest.objects.filter(mine).select_related("requester").order_by("-id")


@dataclass(frozen=True)
class DiffRow:
    """One field of a request: its value in the register now and the value requested."""

    field: str
    label: str
    current: str
    requested: str

    @property
    def changes(self) -> bool:
        """Whether the requested value differs from the current one."""
        return self.current != self.requested

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON."""
        return {
            "field": self.field,
            "label_da": self.label,
            "current": self.current,
            "requested": self.requested,
        }


@dataclass(frozen=True)
class RequestView:
    """A request with its history, its diff against the register and the subject's version.

    ``etag`` is the current version tag of what approval would change; a case worker approves
    with it (``If-Match``). ``problems`` are what the register would refuse today.
    """

    request: ChangeRequest
    events: list[RequestEvent]
    diff: list[DiffRow]
    etag: str
    subject_name: str
    problems: list[dict[str, str]] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The request as JSON (the API's request document)."""
        return {
            **request_summary(self.request),
            "subject_name": self.subject_name,
            "etag": self.etag,
            "diff": [row.as_dict() for row in self.diff],
            "problems": self.problems,
            "note": self.note,
            "events": [
                {
                    "at": event.at.isoformat(),
                    "actor": event.actor,
                    "action": event.action,
                    "action_da": event.get_action_display(),
                    "note": event.note,
                }
                for event in self.events
            ],
        }


def request_summary(request: ChangeRequest) -> dict[str, Any]:
    """The fields of a request every listing shows, as JSON."""
    return {
        "id": request.pk,
        "kind": request.kind,
        "kind_da": request.get_kind_display(),
        "status": request.status,
        "status_da": request.get_status_display(),
        "requester": request.requester.get_username(),
        "owner_sor_id": request.owner_sor_id,
        "target_sor_id": request.target_sor_id,
        "target_gln": request.target_gln or None,
        "level": request.level or None,
        "payload": request.payload,
        "effective": request.effective.isoformat() if request.effective else None,
        "filed_etag": request.filed_etag,
        "result_id": request.result_id or None,
        "decided_by": request.decided_by or None,
        "created_at": request.created_at.isoformat(),
        "updated_at": request.updated_at.isoformat(),
    }


def _flat(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flat(f"{prefix}.{key}", inner))
        return flat
    return {prefix: value}


def _rows(
    fields: list[str], current: dict[str, Any] | None, requested: dict[str, Any] | None
) -> list[DiffRow]:
    rows = []
    for name in fields:
        before = _flat(name, (current or {}).get(name))
        after = _flat(name, (requested or {}).get(name))
        for key in sorted(set(before) | set(after), key=lambda k: (k.count("."), k)):
            old, new = before.get(key), after.get(key)
            if old in (None, "", []) and new in (None, "", []):
                continue
            rows.append(DiffRow(key, field_label(key), shown(old), shown(new)))
    return rows


def _diff(
    request: ChangeRequest,
    subject: UnitRecord | LocationNumberRecord | None,
    proposed: UnitRecord | LocationNumberRecord | None,
    day: date,
) -> list[DiffRow]:
    if request.kind in (Kind.UNIT_CLOSE, Kind.LOCATION_CLOSE):
        closing = request.effective.isoformat() if request.effective else "ved godkendelsen"
        return [DiffRow("valid_to", field_label("valid_to"), "åben", f"lukkes {closing}")]
    fields = list(request.payload)
    current = record_to_dict(subject) if subject is not None else None
    if request.kind in (Kind.UNIT_CREATE, Kind.LOCATION_CREATE):
        current = None
    requested = record_to_dict(proposed) if proposed is not None else request.payload
    return _rows(fields, current, requested)


def request_view(actor: Actor, request_id: int) -> RequestView:
    """One request as its requester's practice or a case worker sees it (403 for others)."""
    request = ChangeRequest.objects.select_related("requester").filter(pk=request_id).first()
    if request is None:
        raise NotFound(
            f"no change request #{request_id}", f"ændringsanmodning #{request_id} findes ikke"
        )
    if not (actor.may(Permission.REQUEST_DECIDE, None) or may_follow(actor, request)):
        raise Forbidden(
            f"request #{request_id} belongs to another practice",
            f"anmodning #{request_id} tilhører en anden praksis",
        )
    events = list(request.events.order_by("id"))
    day = request.effective or timezone.localdate()
    try:
        target = target_resolve(
            request.kind,
            day=day,
            target_sor_id=request.target_sor_id,
            target_gln=request.target_gln,
            level=request.level or None,
        )
    except ServiceError as error:
        diff = [DiffRow(key, field_label(key), "—", shown(v)) for key, v in request.payload.items()]
        return RequestView(request, events, diff, "", "", note=error.message_da)
    proposed, problems = proposal(target, request.payload, code_lists())
    subject: UnitRecord | LocationNumberRecord = target.location or target.unit
    shown_problems = [p.as_dict() for p in problems] if request.is_open else []
    return RequestView(
        request,
        events,
        _diff(request, subject, proposed, day),
        target.etag,
        target.unit.name,
        problems=shown_problems,
    )


@dataclass(frozen=True)
class PracticeUnit:
    """A unit of a practice, as the request forms list it."""

    record: UnitRecord
    depth: int
    gln: str | None

    @property
    def label(self) -> str:
        """The unit as one line: indented name and SOR-ID."""
        return f"{'— ' * self.depth}{self.record.name} ({self.record.sor_id})"


def practice_units(actor: Actor, day: date | None = None) -> list[PracticeUnit]:
    """The units of the actor's practices valid on ``day`` (today), as a depth-first tree."""
    day = day or timezone.localdate()
    result: list[PracticeUnit] = []

    def visit(rows: list[UnitRecord], depth: int) -> None:
        for record in sorted(rows, key=lambda r: r.name.casefold()):
            number = location_number_owned_on(record.sor_id, day)
            result.append(PracticeUnit(record, depth, number.gln if number else None))
            if depth < 8:
                visit(_children(record.sor_id, day), depth + 1)

    for owner_id in practice_owner_ids(actor):
        owner = UnitVersion.objects.valid_on(day).filter(unit_id=owner_id)
        visit([unit_record_from_row(r) for r in owner.values(*UNIT_VERSION_FIELDS)], 0)
    return result


def _children(sor_id: int, day: date) -> list[UnitRecord]:
    rows = UnitVersion.objects.valid_on(day).filter(parent_id=sor_id)
    return [unit_record_from_row(row) for row in rows.values(*UNIT_VERSION_FIELDS)]
