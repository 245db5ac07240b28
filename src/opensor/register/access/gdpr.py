"""The data subject's report: everything the register holds about a sole proprietorship.

:func:`gdpr_report` gathers, for a unit marked as personal data and every unit below it
(``sor gdpr report SORID``):

* every version of each unit the register holds, and the change set that recorded it
  (import, demo or a maintainer's write; who, when, from which source);
* every audit event on the units (who changed what, through which client, before and after);
* the self-service change requests about them;
* every read of them through the protected channel (the access log: client, time, purpose),
  and the downloads of the complete SorTree file that held them (one log entry with unit ``*``
  per download: :mod:`opensor.register.access.complete_downloads` says which concern them);
* how to have data rectified (the change-request flow).

:func:`report_html` renders it as a printable, self-contained HTML page.
"""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from django.utils import timezone

from opensor.domain.records import record_to_dict
from opensor.lookup.accesslog import default_log_path, read_entries
from opensor.publication.store import PublicationStore, default_store_root
from opensor.register.access.complete_downloads import BY_PUBLICATION, complete_file_downloads
from opensor.register.audit.models import AuditEvent
from opensor.register.requests.models import ChangeRequest
from opensor.register.units.models import UnitVersion
from opensor.register.units.selectors import unit_history

__all__ = ["RECTIFICATION", "NotPersonalData", "gdpr_report", "report_html"]

RECTIFICATION = {
    "da": (
        "Er oplysningerne forkerte, kan praksissen selv anmode om rettelse gennem "
        "selvbetjeningen i registeret (/manage/requests/, en ændringsanmodning); myndighedens "
        "sagsbehandlere godkender eller afviser, og rettelsen bliver synlig ved næste "
        "offentliggørelse. Andre kan henvende sig til myndigheden."
    ),
    "en": (
        "If the data is wrong, the practice can ask for a correction through the register's "
        "self-service (/manage/requests/, a change request, see docs/self-service.md); the "
        "authority's case workers approve or reject it, and the correction is visible from the "
        "next publication. Others can write to the authority."
    ),
}


class NotPersonalData(Exception):
    """The unit is unknown or is not marked as personal data."""


def _subtree(sor_id: int) -> list[int]:
    """``sor_id`` and every unit that has ever been below it, breadth first."""
    found, frontier = [sor_id], [sor_id]
    while frontier:
        children = sorted(
            set(
                UnitVersion.objects.current()
                .filter(parent_id__in=frontier)
                .values_list("unit_id", flat=True)
            )
            - set(found)
        )
        found += children
        frontier = children
    return found


def gdpr_report(
    sor_id: int, *, access_log: Path | None = None, store: PublicationStore | None = None
) -> dict[str, Any]:
    """The report of the personal-data unit ``sor_id`` and the units below it.

    ``access_log`` and ``store`` default to those of ``sor serve`` (``SOR_ACCESS_LOG``, else
    beside the publication store; ``SOR_PUBLICATIONS``, else ``$SOR_HOME/publications``): the
    store tells which publications downloaded as a complete SorTree file held the units.
    """
    history = unit_history(sor_id)
    if not history:
        raise NotPersonalData(f"no unit has SOR-ID {sor_id}")
    if not any(record.personal_data for record in history):
        raise NotPersonalData(
            f"unit {sor_id} ({history[-1].name}) is not marked as personal data; the report "
            "covers sole proprietorships"
        )
    log_path = access_log or default_log_path(default_store_root())
    publications = store or PublicationStore(default_store_root())
    subtree = _subtree(sor_id)
    units = []
    for unit_id in subtree:
        ids = str(unit_id)
        versions = (
            UnitVersion.objects.filter(unit_id=unit_id)
            .select_related("recorded_by")
            .order_by("recorded_by_id", "valid_from")
        )
        recorded = [
            {
                "valid_from": v.valid_from.isoformat(),
                "valid_to": v.valid_to.isoformat() if v.valid_to else None,
                "recorded_at": v.recorded_at.isoformat() if v.recorded_at else None,
                "superseded_at": v.superseded_at.isoformat() if v.superseded_at else None,
                "change_set": {
                    "id": v.recorded_by_id,
                    "kind": v.recorded_by.kind,
                    "actor": v.recorded_by.actor,
                    "source": v.recorded_by.source,
                },
            }
            for v in versions
        ]
        events = [
            {
                "recorded_at": e.recorded_at.isoformat(),
                "actor": e.actor,
                "roles": e.roles,
                "client": e.client,
                "operation": e.operation,
                "effective_from": e.effective_from.isoformat() if e.effective_from else None,
                "changed": e.changed,
                "before": e.before,
                "after": e.after,
            }
            for e in AuditEvent.objects.filter(target_type="unit", target_id=ids).order_by("id")
        ]
        requests = [
            {
                "id": r.pk,
                "kind": r.kind,
                "status": r.status,
                "created_at": r.created_at.isoformat(),
                "decided_by": r.decided_by,
                "payload": r.payload,
            }
            for r in ChangeRequest.objects.filter(target_sor_id=unit_id).order_by("id")
        ]
        units.append(
            {
                "sor_id": ids,
                "versions": [_jsonable(record_to_dict(r)) for r in unit_history(unit_id)],
                "recorded": recorded,
                "changes": events,
                "change_requests": requests,
                "protected_reads": read_entries(log_path, sor_id=ids),
            }
        )
    return {
        "report": "gdpr-data-subject",
        "generated_at": timezone.now().isoformat(),
        "subject_sor_id": str(sor_id),
        "name": history[-1].name,
        "personal_fields": ["contact.phone", "contact.email", "contact.fax"],
        "units": units,
        "complete_file_downloads": complete_file_downloads(
            subtree, access_log=log_path, store=publications
        ),
        "rectification": RECTIFICATION,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "<p>Ingen / none.</p>"
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _downloads_html(downloads: dict[str, Any]) -> list[str]:
    """The report's section on the complete SorTree file's downloads."""
    label = downloads["label"]
    rows = [
        {
            **entry,
            "basis": "publikationen / publication"
            if entry["basis"] == BY_PUBLICATION
            else "registerets historik / register history",
        }
        for entry in downloads["downloads"]
    ]
    parts = [f"<h2>{escape(label['da'])} / {escape(label['en'])}</h2>"]
    parts += [f"<p>{escape(text)}</p>" for text in downloads["explanation"].values()]
    parts.append(
        _table(rows, ["read_at", "client_id", "purpose", "path", "publication", "units", "basis"])
    )
    if downloads["not_concerning"]:
        parts.append(
            f"<p>{downloads['not_concerning']} andre hentninger af filen omfattede ikke "
            "enhederne / other downloads of the file did not cover the units.</p>"
        )
    return parts


def report_html(report: dict[str, Any]) -> str:
    """The report as a printable, self-contained HTML page (no scripts, inline-free CSS)."""
    parts = [
        "<!doctype html><html lang='da'><head><meta charset='utf-8'>",
        f"<title>Indsigtsrapport {escape(report['subject_sor_id'])}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
        "table{border-collapse:collapse;width:100%;font-size:.85rem}"
        "td,th{border:1px solid #999;padding:.2rem;vertical-align:top;text-align:left}"
        "@media print{h2{break-before:page}}</style></head><body>",
        f"<h1>Indsigtsrapport / Data subject report: {escape(report['name'])}</h1>",
        f"<p>SOR-ID {escape(report['subject_sor_id'])} · dannet {escape(report['generated_at'])}"
        "</p>",
        "<p>Personoplysninger (ikke offentlige) / personal fields: "
        f"{escape(', '.join(report['personal_fields']))}</p>",
    ]
    for unit in report["units"]:
        latest = unit["versions"][-1] if unit["versions"] else {}
        parts.append(f"<h2>{escape(str(latest.get('name', '')))} ({escape(unit['sor_id'])})</h2>")
        parts.append("<h3>Versioner / versions</h3>")
        parts.append(
            _table(
                [
                    {**v, "valid_from": v["validity"]["valid_from"]}
                    for v in unit["versions"]
                    if isinstance(v.get("validity"), dict)
                ],
                ["valid_from", "name", "postal_address", "contact", "cvr", "provider_number"],
            )
        )
        parts.append("<h3>Registreret af / recorded by</h3>")
        parts.append(
            _table(
                [{**r, **r["change_set"]} for r in unit["recorded"]],
                ["recorded_at", "valid_from", "kind", "actor", "source", "superseded_at"],
            )
        )
        parts.append("<h3>Ændringer / changes</h3>")
        parts.append(
            _table(
                unit["changes"], ["recorded_at", "actor", "client", "operation", "changed", "after"]
            )
        )
        parts.append("<h3>Ændringsanmodninger / change requests</h3>")
        parts.append(
            _table(unit["change_requests"], ["id", "kind", "status", "created_at", "decided_by"])
        )
        parts.append("<h3>Læst via beskyttet adgang / protected reads</h3>")
        parts.append(_table(unit["protected_reads"], ["read_at", "client_id", "purpose", "path"]))
    parts += _downloads_html(report["complete_file_downloads"])
    parts.append("<h2>Rettelse / rectification</h2>")
    parts += [f"<p>{escape(text)}</p>" for text in report["rectification"].values()]
    parts.append("</body></html>")
    return "".join(parts)
