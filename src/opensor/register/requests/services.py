"""The case work of change requests: file, ask for information, answer, decide, withdraw.

Each function is one service call in one transaction. Filing needs ``register:request:file``
on the placement of the request's subject (a practice's users for their own private owner's
units); asking, approving and rejecting need ``register:request:decide`` (the authority).
Approving applies the change through the maintenance services *as the case worker*, inside the
same transaction: if the register refuses it, nothing changes and the request stays open.
Every step records a :class:`~opensor.register.requests.models.RequestEvent` and queues a
notification in the outbox.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from opensor.domain.records import Level
from opensor.domain.responsibility import Permission, RoleKind
from opensor.domain.validation import FieldProblem
from opensor.register.accounts.actors import Actor
from opensor.register.audit.models import AuditEvent
from opensor.register.codes.selectors import code_lists
from opensor.register.maintenance import locations, units
from opensor.register.maintenance.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from opensor.register.maintenance.recording import WriteResult, require
from opensor.register.requests.models import ChangeRequest, Outbox, RequestEvent
from opensor.register.requests.outbox import notify
from opensor.register.requests.targets import Target, proposal, target_resolve

__all__ = [
    "MAX_NOTE_LENGTH",
    "may_follow",
    "request_answer",
    "request_approve",
    "request_ask_info",
    "request_file",
    "request_reject",
    "request_withdraw",
]

MAX_NOTE_LENGTH = 4000
Kind = ChangeRequest.Kind
Status = ChangeRequest.Status
Action = RequestEvent.Action


def may_follow(actor: Actor, request: ChangeRequest) -> bool:
    """Whether the actor is the requester or a user of the same practice."""
    if actor.user_id is not None and actor.user_id == request.requester_id:
        return True
    return any(
        role.kind is RoleKind.PRACTICE and role.scope == str(request.owner_sor_id)
        for role in actor.roles
    )


def _text(field: str, value: Any, *, required: bool, label_da: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationFailed(
            [FieldProblem(field, f"{label_da} skal udfyldes", f"{field} is required")]
        )
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationFailed(
            [
                FieldProblem(
                    field,
                    f"højst {MAX_NOTE_LENGTH} tegn",
                    f"at most {MAX_NOTE_LENGTH} characters",
                )
            ]
        )
    return text


def _locked(request_id: int) -> ChangeRequest:
    request = ChangeRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound(
            f"no change request #{request_id}", f"ændringsanmodning #{request_id} findes ikke"
        )
    return request


def _require_open(request: ChangeRequest) -> None:
    if not request.is_open:
        raise Conflict(
            f"request #{request.pk} is {request.status} already",
            f"anmodning #{request.pk} er allerede {request.get_status_display().lower()}",
        )


def _require_follower(actor: Actor, request: ChangeRequest) -> None:
    if not may_follow(actor, request):
        raise Forbidden(
            f"only the requester's practice may act on request #{request.pk}",
            f"kun den anmodende praksis kan handle på anmodning #{request.pk}",
        )


def _event(
    actor: Actor,
    request: ChangeRequest,
    action: str,
    note: str = "",
    payload: dict[str, Any] | None = None,
) -> None:
    RequestEvent.objects.create(
        request=request,
        actor=actor.username,
        client=actor.client[:150],
        action=action,
        note=note,
        payload=payload,
    )


def _title(request: ChangeRequest) -> str:
    subject = request.target_gln or request.target_sor_id
    return f"Ændringsanmodning #{request.pk} ({request.get_kind_display().lower()}, {subject})"


def _tell_requester(request: ChangeRequest, what: str, body: str) -> None:
    user = request.requester
    notify(
        user.get_username(),
        f"{_title(request)}: {what}",
        body,
        email=getattr(user, "email", "") or "",
        request=request,
    )


def _tell_authority(request: ChangeRequest, what: str, body: str) -> None:
    notify(Outbox.AUTHORITY, f"{_title(request)}: {what}", body, request=request)


def _checked(target: Target, payload: Any) -> dict[str, Any]:
    _, problems = proposal(target, payload, code_lists())
    if problems:
        raise ValidationFailed(problems)
    return dict(payload)


def _target_of(request: ChangeRequest, day: date) -> Target:
    return target_resolve(
        request.kind,
        day=day,
        target_sor_id=request.target_sor_id,
        target_gln=request.target_gln,
        level=request.level or None,
    )


@transaction.atomic
def request_file(
    actor: Actor,
    *,
    kind: str,
    target_sor_id: int | None = None,
    target_gln: str = "",
    level: str | None = None,
    payload: Any = None,
    effective: date | None = None,
    note: str = "",
) -> ChangeRequest:
    """File a change request; its values are validated at once (422 naming every field).

    ``kind`` is one of :class:`ChangeRequest.Kind`; ``target_sor_id`` the unit to change or
    close, the parent of a new unit, or the unit that is to own a new location number;
    ``target_gln`` the location number; ``payload`` the values in the change format of
    :mod:`opensor.domain.changes`; ``effective`` the day the change should take effect (the
    day of approval when left out).
    """
    day = effective or timezone.localdate()
    target = target_resolve(
        kind, day=day, target_sor_id=target_sor_id, target_gln=target_gln, level=level
    )
    require(actor, Permission.REQUEST_FILE, target.placement)
    if actor.user_id is None:
        raise Forbidden("requests are filed by a user", "anmodninger indsendes af en bruger")
    note = _text("note", note, required=False, label_da="bemærkningen")
    values = _checked(target, payload if payload is not None else {})
    request = ChangeRequest.objects.create(
        requester_id=actor.user_id,
        owner_sor_id=target.placement.owner_sor_id,
        kind=kind,
        target_sor_id=target.location.owner_sor_id if target.location else target.unit.sor_id,
        target_gln=target.gln,
        level=target.level.value if target.level else "",
        payload=values,
        effective=effective,
        filed_etag=target.etag,
    )
    _event(actor, request, Action.FILED, note, values)
    _tell_authority(
        request,
        "ny anmodning",
        f"{actor.username} har indsendt en anmodning, der venter på behandling."
        + (f"\n\nBemærkning: {note}" if note else ""),
    )
    return request


@transaction.atomic
def request_ask_info(actor: Actor, request_id: int, message: str) -> ChangeRequest:
    """Ask the requester for more information; the request waits for the answer."""
    require(actor, Permission.REQUEST_DECIDE, None)
    request = _locked(request_id)
    _require_open(request)
    message = _text("message", message, required=True, label_da="spørgsmålet")
    request.status = Status.NEEDS_INFO
    request.save(update_fields=["status", "updated_at"])
    _event(actor, request, Action.INFO_REQUESTED, message)
    _tell_requester(request, "flere oplysninger ønskes", message)
    return request


@transaction.atomic
def request_answer(
    actor: Actor, request_id: int, message: str, payload: Any = None
) -> ChangeRequest:
    """Answer the case worker (with new values if ``payload`` is given); back in the queue."""
    request = _locked(request_id)
    _require_follower(actor, request)
    _require_open(request)
    message = _text("message", message, required=payload is None, label_da="svaret")
    if payload is not None:
        day = request.effective or timezone.localdate()
        request.payload = _checked(_target_of(request, day), payload)
    request.status = Status.SUBMITTED
    request.save(update_fields=["status", "payload", "updated_at"])
    _event(
        actor, request, Action.ANSWERED, message, request.payload if payload is not None else None
    )
    _tell_authority(request, "svar fra anmoderen", message or "Anmoderen har rettet værdierne.")
    return request


def _apply(actor: Actor, request: ChangeRequest, if_match: str | None) -> WriteResult:
    kind, payload, effective = request.kind, request.payload, request.effective
    if kind == Kind.UNIT_CREATE:
        return units.unit_create(
            actor,
            level=Level(request.level),
            parent_sor_id=request.target_sor_id,
            values=payload,
            effective=effective,
        )
    if kind == Kind.UNIT_UPDATE:
        return units.unit_update(
            actor, request.target_sor_id, payload, if_match=if_match, effective=effective
        )
    if kind == Kind.UNIT_CLOSE:
        return units.unit_close(
            actor, request.target_sor_id, if_match=if_match, effective=effective
        )
    if kind == Kind.LOCATION_CREATE:
        return locations.location_create(
            actor,
            request.target_gln,
            owner_sor_id=request.target_sor_id,
            values=payload,
            effective=effective,
        )
    if kind == Kind.LOCATION_UPDATE:
        return locations.location_update(
            actor, request.target_gln, payload, if_match=if_match, effective=effective
        )
    return locations.location_close(
        actor, request.target_gln, if_match=if_match, effective=effective
    )


def _applied(actor: Actor, request: ChangeRequest, if_match: str | None) -> WriteResult:
    try:
        return _apply(actor, request, if_match)
    except PreconditionRequired:
        raise PreconditionRequired(
            "approve with the version you saw: send the ETag of the request's diff in If-Match",
            "godkend med den version, du så: send forskellens ETag (If-Match)",
        ) from None
    except PreconditionFailed as error:
        raise PreconditionFailed(
            f"the register changed after you opened request #{request.pk} (now "
            f"{error.current_etag}): open it again and check the difference before approving",
            f"registeret er ændret, efter du åbnede anmodning #{request.pk}: åbn den igen og "
            "se forskellen, før du godkender",
            error.current_etag,
        ) from None


@transaction.atomic
def request_approve(actor: Actor, request_id: int, *, if_match: str | None) -> ChangeRequest:
    """Approve a request: apply it as the case worker, as one audited change.

    ``if_match`` is the version of the subject the case worker saw the diff against (the
    request page's ETag); a new unit needs none. If the register refuses the change (stale
    version, invalid values, a rule of the tree), the error is raised, nothing is changed and
    the request stays open.
    """
    require(actor, Permission.REQUEST_DECIDE, None)
    request = _locked(request_id)
    _require_open(request)
    before = request.status
    result = _applied(actor, request, if_match)
    now = timezone.now()
    request.status = Status.APPROVED
    request.result_id = result.target_id
    request.decided_by = actor.username
    request.decided_at = now
    request.save(update_fields=["status", "result_id", "decided_by", "decided_at", "updated_at"])
    AuditEvent.objects.create(
        change_set_id=result.change_set_id,
        recorded_at=now,
        actor=actor.username,
        roles=actor.roles_text[:500],
        client=actor.client[:150],
        request_id=actor.request_id[:100],
        operation=Permission.REQUEST_DECIDE.value,
        target_type=AuditEvent.Target.REQUEST,
        target_id=str(request.pk),
        effective_from=result.effective_from,
        before={"status": before},
        after={"status": request.status, "applied_to": f"{result.target_type}:{result.target_id}"},
        changed=["status"],
        note=f"godkendt og gennemført på {result.target_type} {result.target_id}",
    )
    _event(actor, request, Action.APPROVED, f"gennemført på {result.target_id}")
    _tell_requester(
        request,
        "godkendt",
        f"Ændringen er gennemført i registeret ({result.target_type} {result.target_id}). "
        "Den bliver synlig for opslagstjenesten ved næste offentliggørelse.",
    )
    return request


@transaction.atomic
def request_reject(actor: Actor, request_id: int, reason: str) -> ChangeRequest:
    """Reject a request; the reason is required and sent to the requester."""
    require(actor, Permission.REQUEST_DECIDE, None)
    request = _locked(request_id)
    _require_open(request)
    reason = _text("reason", reason, required=True, label_da="begrundelsen")
    request.status = Status.REJECTED
    request.decided_by = actor.username
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    _event(actor, request, Action.REJECTED, reason)
    _tell_requester(request, "afvist", f"Begrundelse: {reason}")
    return request


@transaction.atomic
def request_withdraw(actor: Actor, request_id: int) -> ChangeRequest:
    """Withdraw an open request (the requester's practice only)."""
    request = _locked(request_id)
    _require_follower(actor, request)
    _require_open(request)
    request.status = Status.WITHDRAWN
    request.save(update_fields=["status", "updated_at"])
    _event(actor, request, Action.WITHDRAWN)
    _tell_requester(request, "trukket tilbage", "Anmodningen er trukket tilbage.")
    return request
