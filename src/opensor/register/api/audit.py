"""Reading the audit trail for the API: one page of events, newest first."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from opensor.domain.validation import FieldProblem
from opensor.register.api.params import InvalidParameters
from opensor.register.audit.models import AuditEvent

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "event_document", "page"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def event_document(event: dict[str, Any]) -> dict[str, Any]:
    """One audit event as JSON: who, when, through which client and request, before/after."""
    return {
        "id": event["id"],
        "change_set": event["change_set_id"],
        "recorded_at": event["recorded_at"].isoformat(),
        "actor": event["actor"],
        "roles": event["roles"],
        "client": event["client"],
        "request_id": event["request_id"],
        "operation": event["operation"],
        "target_type": event["target_type"],
        "target_id": event["target_id"],
        "effective_from": event["effective_from"] and event["effective_from"].isoformat(),
        "changed": event["changed"],
        "before": event["before"],
        "after": event["after"],
        "note": event["note"],
    }


def _positive(request: HttpRequest, name: str, default: int | None, largest: int) -> int | None:
    text = request.GET.get(name)
    if not text:
        return default
    if not text.isdigit() or not 0 < int(text) <= largest:
        raise InvalidParameters(
            [
                FieldProblem(
                    name,
                    f"{name} skal være et helt tal fra 1 til {largest}",
                    f"{name} must be a whole number from 1 to {largest}",
                )
            ]
        )
    return int(text)


def page(request: HttpRequest, **filters: str) -> dict[str, Any]:
    """Events matching ``filters`` (and ``?request_id=``), newest first.

    ``?limit=`` (default 100, at most 1000) and ``?before=<event id>`` page through them;
    the answer's ``next`` is the ``before`` of the next page (``null`` on the last one).
    """
    limit = _positive(request, "limit", DEFAULT_LIMIT, MAX_LIMIT) or DEFAULT_LIMIT
    before = _positive(request, "before", None, 2**62)
    events = AuditEvent.objects.filter(**filters)
    if request.GET.get("request_id"):
        events = events.filter(request_id=request.GET["request_id"])
    if before is not None:
        events = events.filter(id__lt=before)
    rows = list(events.order_by("-id").values()[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "events": [event_document(row) for row in rows],
        "next": rows[-1]["id"] if more else None,
    }
