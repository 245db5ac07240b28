"""What every maintenance write shares.

The permission check, the version check, the change set and the audit events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from opensor.domain.codelists import CodeLists
from opensor.domain.records import LocationNumberRecord, UnitRecord, record_to_dict
from opensor.domain.responsibility import Permission, Placement
from opensor.register.accounts.actors import Actor
from opensor.register.audit.models import AuditEvent, ChangeSet
from opensor.register.codes.selectors import code_lists
from opensor.register.maintenance.errors import (
    Forbidden,
    PreconditionFailed,
    PreconditionRequired,
)
from opensor.register.maintenance.versions import Timeline
from opensor.register.prepared import insert

__all__ = ["Write", "WriteResult", "check_version", "effective_day", "require", "snapshot"]


def effective_day(effective: date | None) -> date:
    """The day a write takes effect: the one given, else today (Copenhagen time)."""
    return effective or timezone.localdate()


def snapshot(record: UnitRecord | LocationNumberRecord | None) -> dict[str, Any] | None:
    """A record as the JSON the audit trail keeps (``None`` stays ``None``)."""
    return record_to_dict(record) if record is not None else None


def require(actor: Actor, permission: Permission, placement: Placement | None) -> None:
    """Raise :class:`Forbidden` unless the actor's roles grant ``permission`` there."""
    decision = actor.may(permission, placement)
    if not decision:
        raise Forbidden(
            f"{permission.value} refused: {decision.reason_en}",
            f"{permission.label_da} afvist: {decision.reason_da}",
        )


def _bare(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def check_version(if_match: str | None, timeline: Timeline) -> str:
    """Check the ``If-Match`` of a write against the timeline's current tag; return the tag.

    ``None`` raises :class:`PreconditionRequired` (428); a tag other than the current one
    (or ``*``) raises :class:`PreconditionFailed` (412) carrying the current tag.
    """
    current = timeline.etag()
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "state the version the write is based on in If-Match (the ETag of your last read)",
            "angiv den version, ændringen bygger på (If-Match med ETag fra seneste læsning)",
        )
    tags = {_bare(tag) for tag in if_match.split(",")}
    if "*" not in tags and current not in tags:
        raise PreconditionFailed(
            f"the version {if_match} is no longer current (now {current}): read again and retry",
            f"versionen {if_match} er ikke længere den gældende (nu {current}); hent og prøv igen",
            current,
        )
    return current


@dataclass(frozen=True)
class WriteResult:
    """What a write did: the resource it addressed, its new version tag, the change set."""

    target_type: str
    target_id: str
    etag: str
    change_set_id: int
    effective_from: date | None
    changed: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


class Write:
    """One maintenance operation in progress: its change set and its audit events.

    Create it inside the service's transaction after the permission and version checks.
    """

    def __init__(
        self, actor: Actor, permission: Permission, note: str = "", target: object = None
    ) -> None:
        self.actor = actor
        self.permission = permission
        self.at: datetime = timezone.now()
        self.today: date = timezone.localdate()
        summary: dict[str, Any] = {"operation": permission.value, "request_id": actor.request_id}
        if target is not None:
            summary["target"] = target
        # The change set commits with the write or not at all, so it is finished when made.
        self.change_set = insert(
            ChangeSet(
                kind=ChangeSet.Kind.SERVICE,
                actor=actor.username,
                source=f"{actor.client} {permission.value}"[:500],
                summary=summary,
                finished_at=self.at,
            )
        )
        self.note = note
        self._codes: CodeLists | None = None

    @property
    def codes(self) -> CodeLists:
        """The code lists in force (bundled plus the authority's additions)."""
        if self._codes is None:
            self._codes = code_lists()
        return self._codes

    def audit(
        self,
        target_type: str,
        target_id: object,
        *,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        effective_from: date | None,
        changed: list[str] | tuple[str, ...] = (),
        operation: Permission | None = None,
    ) -> None:
        """Record one audit event of this write."""
        insert(
            AuditEvent(
                change_set=self.change_set,
                recorded_at=self.at,
                actor=self.actor.username,
                roles=self.actor.roles_text[:500],
                client=self.actor.client[:150],
                request_id=self.actor.request_id[:100],
                operation=(operation or self.permission).value,
                target_type=target_type,
                target_id=str(target_id),
                effective_from=effective_from,
                before=before,
                after=after,
                changed=list(changed),
                note=self.note,
            )
        )

    def finish(self, **summary: Any) -> None:
        """Add to the change set's summary (nothing is written when nothing is new)."""
        merged = {**self.change_set.summary, **summary}
        if merged != self.change_set.summary:
            self.change_set.summary = merged
            self.change_set.save(update_fields=["summary"])
