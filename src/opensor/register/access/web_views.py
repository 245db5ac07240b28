"""Web pages of the protected channel and of data protection: parse, call one service, render.

* A vendor files an access request through a form that needs no login (the vendor is no
  maintainer; nothing is granted before the authority decides) and gets a receipt page whose
  address carries a signed reference to the request, so the vendor can come back to it.
* The national authority works the queue of access requests, approves (the page shows the
  new client id and secret once) or rejects with a reason, rotates and revokes the clients'
  secrets, and reads a data subject's report (printable, with a ``.json`` twin).

Permission checks live in the services and selectors: a maintainer who is not the authority
gets 403 from them, a visitor who is not logged in is sent to the login form.
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opensor.register.access import selectors, services
from opensor.register.access.forms import MAX_FORM_BYTES, SCOPE_LABELS, access_request_form
from opensor.register.access.models import AccessRequest
from opensor.register.accounts.actors import Actor
from opensor.register.web.auth import maintainer_view
from opensor.register.web.common import flash, lang, pop_flash

__all__ = [
    "client_revoke",
    "client_rotate",
    "clients",
    "gdpr_form",
    "gdpr_report",
    "request_decision",
    "request_detail",
    "request_form",
    "request_queue",
    "request_receipt",
]

RECEIPT_SALT = "opensor.access.receipt"
"""Signs the receipt addresses (a receipt shows one request, to whoever filed it)."""


def _actor(request: HttpRequest) -> Actor:
    """The actor :func:`~opensor.register.web.auth.maintainer_view` gave the request."""
    actor: Actor = request.actor  # type: ignore[attr-defined]
    return actor


def _titles() -> dict[int, str]:
    return {
        403: _("Ikke tilladt"),
        404: _("Ikke fundet"),
        409: _("Konflikt"),
        413: _("Formularen er for stor"),
        422: _("Afvist"),
    }


def _refusal(request: HttpRequest, error: services.AccessError) -> HttpResponse:
    """The page of a refused read or write (403 for anyone but the authority, 404, 409 …)."""
    return render(
        request,
        "access/error.html",
        {"title": _titles().get(error.status, _("Afvist")), "reason": str(error)},
        status=error.status,
    )


def _scope_names(codes: list[str]) -> list[tuple[str, str]]:
    return [(code, str(SCOPE_LABELS[code][0]) if code in SCOPE_LABELS else code) for code in codes]


# -- the vendor ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    """The vendor's access-request form; a valid post files the request and shows its receipt."""
    if request.method == "GET":
        return render(request, "access/request_form.html", {"form": access_request_form()})
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    if size > MAX_FORM_BYTES:
        error = services.AccessError(
            "too_large",
            _("Formularen fylder %(size)d byte; den må højst fylde %(limit)d.")
            % {"size": size, "limit": MAX_FORM_BYTES},
            413,
        )
        return _refusal(request, error)
    form = access_request_form(request.POST)
    if form.valid:
        try:
            filed = services.request_file(**form.arguments())
        except services.AccessError as error:
            form = form.with_service_error(error)
        else:
            token = signing.dumps(filed.pk, salt=RECEIPT_SALT)
            return redirect("access_web:receipt", token=token)
    return render(request, "access/request_form.html", {"form": form}, status=422)


@require_GET
def request_receipt(request: HttpRequest, token: str) -> HttpResponse:
    """The receipt of a filed request: its number and status (the address is the proof)."""
    try:
        request_id = int(signing.loads(token, salt=RECEIPT_SALT))
        filed = selectors.filed_request(request_id)
    except (signing.BadSignature, ValueError, TypeError):
        error = services.AccessError("not_found", _("Kvitteringens adresse er ugyldig."), 404)
        return _refusal(request, error)
    except services.AccessError as error:
        return _refusal(request, error)
    return render(
        request,
        "access/request_receipt.html",
        {"req": filed, "scopes": _scope_names(filed.scopes)},
    )


# -- the authority: requests -----------------------------------------------------------------


@require_GET
@maintainer_view
def request_queue(request: HttpRequest) -> HttpResponse:
    """The authority's queue of access requests (pending first), or those of one status."""
    status = request.GET.get("status", "")
    if status not in AccessRequest.Status.values:
        status = ""
    try:
        rows = list(selectors.access_requests(_actor(request), status or None)[:500])
    except services.AccessError as error:
        return _refusal(request, error)
    return render(
        request,
        "access/queue.html",
        {
            "requests": rows,
            "status": status,
            "statuses": AccessRequest.Status.choices,
            "flash": pop_flash(request),
        },
    )


def _detail(
    request: HttpRequest, request_id: int, *, problem: str = "", status: int = 200
) -> HttpResponse:
    try:
        view = selectors.access_request_view(_actor(request), request_id)
    except services.AccessError as error:
        return _refusal(request, error)
    context = {
        "view": view,
        "req": view.request,
        "scopes": _scope_names(view.request.scopes),
        "problem": problem,
        "reason": request.POST.get("reason", "") if problem else "",
        "flash": pop_flash(request),
    }
    return render(request, "access/request_detail.html", context, status=status)


@require_GET
@maintainer_view
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """One access request: what the vendor asked for, the decision and its trail."""
    return _detail(request, request_id)


@require_POST
@maintainer_view
def request_decision(request: HttpRequest, request_id: int) -> HttpResponse:
    """Approve (showing the new client id and secret once) or reject, with a reason."""
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "reject"):
        return _detail(request, request_id, problem=_("Vælg godkend eller afvis."), status=422)
    try:
        decided, client, secret = services.request_decide(
            _actor(request),
            request_id,
            approve=decision == "approve",
            reason=request.POST.get("reason", ""),
        )
    except services.AccessError as error:
        if error.status in (403, 404):
            return _refusal(request, error)
        return _detail(request, request_id, problem=str(error), status=error.status)
    if client is None:
        flash(request, _("Anmodning #%(id)d er afvist.") % {"id": decided.pk})
        return redirect("access_web:detail", request_id=decided.pk)
    return render(
        request,
        "access/credentials.html",
        {
            "client": client,
            "secret": secret,
            "req": decided,
            "scopes": _scope_names(client.scopes),
            "approved": True,
        },
    )


# -- the authority: clients ------------------------------------------------------------------


@require_GET
@maintainer_view
def clients(request: HttpRequest) -> HttpResponse:
    """The API clients with their organisation, scopes and state."""
    try:
        rows = list(selectors.api_clients(_actor(request))[:1000])
    except services.AccessError as error:
        return _refusal(request, error)
    return render(request, "access/clients.html", {"clients": rows, "flash": pop_flash(request)})


def _confirm(request: HttpRequest, client_id: str, action: str) -> HttpResponse:
    try:
        client = selectors.api_client_of(_actor(request), client_id)
    except services.AccessError as error:
        return _refusal(request, error)
    return render(request, "access/client_confirm.html", {"client": client, "action": action})


@require_http_methods(["GET", "POST"])
@maintainer_view
def client_rotate(request: HttpRequest, client_id: str) -> HttpResponse:
    """Ask to confirm (GET), then give the client a new secret, shown once (POST)."""
    if request.method == "GET":
        return _confirm(request, client_id, "rotate")
    try:
        secret = services.client_rotate(_actor(request), client_id)
        client = selectors.api_client_of(_actor(request), client_id)
    except services.AccessError as error:
        return _refusal(request, error)
    return render(
        request,
        "access/credentials.html",
        {
            "client": client,
            "secret": secret,
            "req": client.request,
            "scopes": _scope_names(client.scopes),
            "approved": False,
        },
    )


@require_http_methods(["GET", "POST"])
@maintainer_view
def client_revoke(request: HttpRequest, client_id: str) -> HttpResponse:
    """Ask to confirm (GET), then revoke the client (POST): no tokens from now on."""
    if request.method == "GET":
        return _confirm(request, client_id, "revoke")
    try:
        services.client_revoke(_actor(request), client_id)
    except services.AccessError as error:
        return _refusal(request, error)
    flash(
        request,
        _(
            "%(client)s er tilbagekaldt. Opslagstjenesten afviser klientens tokens, så snart den "
            "har læst nøglefilen igen (inden for sekunder på denne server)."
        )
        % {"client": client_id},
    )
    return redirect("access_web:clients")


# -- the authority: the data subject's report ------------------------------------------------


@require_GET
@maintainer_view
def gdpr_form(request: HttpRequest) -> HttpResponse:
    """Ask for the SOR-ID of a sole proprietorship; a valid one opens its report."""
    try:
        selectors.require_authority(_actor(request))
    except services.AccessError as error:
        return _refusal(request, error)
    text = request.GET.get("sor_id", "").strip()[:40]
    if text.isdigit() and len(text) <= 20:
        return redirect("access_web:gdpr_report", sor_id=int(text))
    problem = ""
    if "sor_id" in request.GET:
        problem = _(
            "Et SOR-ID består kun af cifre (fx 100002151000016001); der står »%(value)s«."
        ) % {"value": text}
    return render(
        request,
        "access/gdpr_form.html",
        {"sor_id": text, "problem": problem},
        status=400 if problem else 200,
    )


@require_GET
@maintainer_view
def gdpr_report(request: HttpRequest, sor_id: int, fmt: str = "html") -> HttpResponse:
    """The data subject's report of a sole proprietorship: a printable page or its JSON twin."""
    try:
        report = selectors.subject_report(_actor(request), sor_id)
    except services.AccessError as error:
        if fmt == "json":
            return JsonResponse({"error": error.code, "detail": str(error)}, status=error.status)
        return _refusal(request, error)
    except selectors.ReportUnavailable as missing:
        if missing.name is None:
            message = _("Registeret har ingen enhed med SOR-ID %(sor_id)d.") % {"sor_id": sor_id}
        else:
            message = _(
                "%(name)s (SOR-ID %(sor_id)d) er ikke markeret som personoplysninger. "
                "Indsigtsrapporten dækker enkeltmandsvirksomheder og enhederne under dem."
            ) % {"name": missing.name, "sor_id": sor_id}
        if fmt == "json":
            return JsonResponse(
                {"error": "not_personal_data", "detail": message, "sor_id": str(sor_id)},
                status=404,
                json_dumps_params={"ensure_ascii": False},
            )
        return render(
            request,
            "access/gdpr_form.html",
            {"sor_id": str(sor_id), "unavailable": message},
            status=404,
        )
    if fmt == "json":
        return JsonResponse(report, json_dumps_params={"ensure_ascii": False, "indent": 1})
    json_url = reverse("access_web:gdpr_report_json", kwargs={"sor_id": sor_id})
    return render(
        request,
        "access/gdpr_report.html",
        {
            "report": report,
            "json_url": json_url,
            "rectification": report["rectification"].get(lang(), ""),
            "reads": sum(len(unit["protected_reads"]) for unit in report["units"]),
        },
    )
