"""Reads of the protected channel for the authority's pages: requests, clients, the report.

Every selector that shows something the vendor did not write itself takes the actor and
refuses anyone but the national authority (:class:`~opensor.register.access.services.
AccessError`, status 403), so the web pages, their ``.json`` twins and any later API share
one permission rule:

* :func:`access_requests` — the queue, pending requests first (oldest first), then the
  decided ones (newest first);
* :func:`access_request_view` — one request with the clients it produced and its audit trail;
* :func:`api_clients`, :func:`api_client_of` — the credentials issued, live ones first;
* :func:`subject_report` — the data subject's report (:func:`~opensor.register.access.gdpr.
  gdpr_report`) read from the same access log as ``sor gdpr report``.

:func:`filed_request` is the vendor's own read: the receipt of a request it filed (the web
page holds a signed reference to it, so no login is needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from opensor.lookup.accesslog import default_log_path
from opensor.publication.store import default_store_root
from opensor.register.access.gdpr import NotPersonalData, gdpr_report
from opensor.register.access.models import AccessRequest, ApiClient
from opensor.register.access.services import AccessError, require_authority_to
from opensor.register.accounts.actors import Actor
from opensor.register.audit.models import AuditEvent
from opensor.register.units.selectors import unit_history

__all__ = [
    "AccessRequestView",
    "ReportUnavailable",
    "access_log_path",
    "access_request_view",
    "access_requests",
    "api_client_of",
    "api_clients",
    "filed_request",
    "require_authority",
    "subject_report",
]


def require_authority(actor: Actor) -> None:
    """Refuse (403) anyone but the national authority: the channel's data is the authority's."""
    require_authority_to(actor, "se adgangsanmodninger, API-klienter og indsigtsrapporter")


def access_requests(actor: Actor, status: str | None = None) -> QuerySet[AccessRequest]:
    """The access requests (of one status, if given): pending ones first, oldest first."""
    require_authority(actor)
    rows = AccessRequest.objects.all()
    if status:
        rows = rows.filter(status=status)
    pending = AccessRequest.Status.PENDING
    return rows.annotate(
        decided=Case(
            When(status=pending, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        # pending: the longest waiting first; decided: the latest decision first
        queue_order=Case(
            When(status=pending, then=F("id")), default=-F("id"), output_field=IntegerField()
        ),
    ).order_by("decided", "queue_order")


@dataclass(frozen=True)
class AccessRequestView:
    """One access request with the API clients it produced and its audit events."""

    request: AccessRequest
    clients: list[ApiClient]
    events: list[AuditEvent]


def access_request_view(actor: Actor, request_id: int) -> AccessRequestView:
    """The request ``request_id`` for the authority's detail page (404 when there is none)."""
    require_authority(actor)
    request = AccessRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise AccessError("not_found", f"ingen adgangsanmodning {request_id}", 404)
    clients = list(request.clients.order_by("id"))
    targets = [f"access-request:{request.pk}"] + [f"client:{c.client_id}" for c in clients]
    events = list(
        AuditEvent.objects.filter(
            target_type=AuditEvent.Target.ACCOUNT, target_id__in=targets
        ).order_by("id")
    )
    return AccessRequestView(request=request, clients=clients, events=events)


def api_clients(actor: Actor) -> QuerySet[ApiClient]:
    """Every API client with its request: live ones first, newest first."""
    require_authority(actor)
    return (
        ApiClient.objects.select_related("request")
        .annotate(
            revoked=Case(
                When(revoked_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("revoked", "-id")
    )


def api_client_of(actor: Actor, client_id: str) -> ApiClient:
    """One API client with its request (404 when there is none)."""
    require_authority(actor)
    client = ApiClient.objects.select_related("request").filter(client_id=client_id).first()
    if client is None:
        raise AccessError("not_found", f"ingen API-klient {client_id}", 404)
    return client


def filed_request(request_id: int) -> AccessRequest:
    """A request as its filer sees it on the receipt (the caller proved it filed it)."""
    request = AccessRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise AccessError("not_found", f"ingen adgangsanmodning {request_id}", 404)
    return request


def access_log_path() -> Path:
    """The access log the report reads: the default of ``sor gdpr report`` and the lookup.

    ``SOR_ACCESS_LOG``, else ``access-log.sqlite`` beside the publication store
    (``SOR_PUBLICATIONS``, else ``$SOR_HOME/publications``).
    """
    return default_log_path(default_store_root())


class ReportUnavailable(Exception):
    """There is no data subject's report for ``sor_id``: no such unit, or not personal data.

    ``name`` is the unit's latest name, ``None`` when the register has no unit ``sor_id``.
    """

    def __init__(self, sor_id: int, name: str | None, detail: str) -> None:
        super().__init__(detail)
        self.sor_id = sor_id
        self.name = name


def subject_report(actor: Actor, sor_id: int) -> dict[str, Any]:
    """The data subject's report of the personal-data unit ``sor_id`` (the authority only)."""
    require_authority(actor)
    try:
        return gdpr_report(sor_id, access_log=access_log_path())
    except NotPersonalData as error:
        history = unit_history(sor_id)
        raise ReportUnavailable(sor_id, history[-1].name if history else None, str(error)) from None
