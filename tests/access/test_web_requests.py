"""The access-request pages through Django's test client, with CSRF checks on.

A vendor (no login) files a request through the form and gets a receipt; the authority works
the queue and approves, seeing the new client's secret once, or rejects with a reason. Any
other maintainer is refused by the service layer (403).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from opensor.register.access import services
from opensor.register.access.models import AccessRequest, ApiClient
from opensor.register.accounts.actors import Actor
from opensor.register.audit.models import AuditEvent
from tests.access.web_fixtures import VALID_CVR, file_request, post, vendor_form

pytestmark = pytest.mark.django_db

APPLY = "/manage/access/apply/"


def _no_inline_code(html: str) -> None:
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def _field_error(html: str, input_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{input_id}-error">(.*?)</p>', html, re.S)
    assert found, f"no error beside {input_id}"
    return found.group(1)


# -- the vendor ------------------------------------------------------------------------------


def test_the_form_needs_no_login_and_offers_the_closed_scope_list() -> None:
    response = Client().get(APPLY)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    for scope in ("lookup:history", "lookup:quota-high", "lookup:personal-data"):
        assert f'type="checkbox" id="f-scope-{scope.replace(":", "-")}"' in html
        assert f'value="{scope}"' in html
    assert 'maxlength="4000"' in html  # the purpose
    assert "script-src 'self'" in response["Content-Security-Policy"]
    _no_inline_code(html)


def test_a_vendor_files_a_request_and_gets_a_receipt() -> None:
    vendor = Client(enforce_csrf_checks=True)
    response = post(vendor, APPLY, vendor_form(cvr="25 31 37 63"))
    assert response.status_code == 302
    filed = AccessRequest.objects.get()
    assert (filed.organisation, filed.cvr, filed.status) == (
        "Journalsystemer A/S",
        VALID_CVR,
        AccessRequest.Status.PENDING,
    )
    assert filed.scopes == ["lookup:history", "lookup:personal-data"]
    assert filed.contact_email == "ida@journalsystemer.dk"
    receipt = vendor.get(response["Location"])
    assert receipt.status_code == 200
    html = receipt.content.decode()
    assert f'<dd id="receipt-id">{filed.pk}</dd>' in html
    assert '<dd id="receipt-status">Afventer</dd>' in html
    assert "Personoplysninger" in html
    # the receipt's address is the proof: any other one is refused
    assert Client().get(response["Location"]).status_code == 200
    assert Client().get("/manage/access/apply/receipt/1/").status_code == 404
    forged = response["Location"].replace(":", ":x", 1)
    assert Client().get(forged).status_code == 404


@pytest.mark.parametrize(
    ("cvr", "message"),
    [
        ("", "Skal udfyldes."),
        ("1234567", "Et CVR-nummer har 8 cifre"),
        ("1234567A", "Et CVR-nummer har 8 cifre"),
        ("02531376", "begynder ikke med 0"),
        ("12345678", "kontrolcifferet passer ikke (modulus 11)"),
    ],
)
def test_a_wrong_cvr_number_is_named_beside_its_field(cvr: str, message: str) -> None:
    response = post(Client(enforce_csrf_checks=True), APPLY, vendor_form(cvr=cvr))
    assert response.status_code == 422
    html = response.content.decode()
    assert message in _field_error(html, "f-cvr")
    assert 'id="f-cvr"' in html and 'aria-invalid="true"' in html
    assert not AccessRequest.objects.exists()


def test_every_field_gets_its_own_danish_message_and_keeps_its_value() -> None:
    form = vendor_form(organisation="", contact_email="ida at journalsystemer", scopes=[])
    response = post(Client(enforce_csrf_checks=True), APPLY, form)
    assert response.status_code == 422
    html = response.content.decode()
    assert _field_error(html, "f-organisation") == "Skal udfyldes."
    assert "Skriv en gyldig e-mailadresse" in _field_error(html, "f-contact-email")
    assert _field_error(html, "f-scopes") == "Vælg mindst ét scope."
    assert 'value="ida at journalsystemer"' in html
    assert "Henvisninger fra vores lægesystem" in html  # the purpose is kept
    assert 'id="f-purpose-error"' not in html and 'id="f-cvr-error"' not in html
    assert "Anmodningen er ikke sendt" in html
    assert not AccessRequest.objects.exists()


def test_the_services_rule_on_the_purpose_lands_beside_the_purpose() -> None:
    response = post(Client(enforce_csrf_checks=True), APPLY, vendor_form(purpose="Data"))
    assert response.status_code == 422
    assert "mindst 10 tegn" in _field_error(response.content.decode(), "f-purpose")
    assert not AccessRequest.objects.exists()


def test_a_scope_outside_the_vocabulary_is_refused() -> None:
    form = vendor_form(scopes=["lookup:history", "register:write"])
    response = post(Client(enforce_csrf_checks=True), APPLY, form)
    assert response.status_code == 422
    assert "Ukendt scope: register:write" in _field_error(response.content.decode(), "f-scopes")
    assert not AccessRequest.objects.exists()


def test_too_long_a_field_is_named() -> None:
    form = vendor_form(organisation="A" * 201)
    response = post(Client(enforce_csrf_checks=True), APPLY, form)
    assert response.status_code == 422
    assert "Højst 200 tegn (der er 201)" in _field_error(
        response.content.decode(), "f-organisation"
    )


def test_an_oversized_post_is_refused_and_files_nothing() -> None:
    response = post(Client(enforce_csrf_checks=True), APPLY, vendor_form(purpose="x" * 70_000))
    assert response.status_code == 413
    assert "højst fylde 65536" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_the_form_is_csrf_protected() -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(APPLY)
    response = client.post(APPLY, vendor_form())
    assert response.status_code == 403
    assert "Formularen blev ikke sendt" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_the_form_speaks_english() -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    html = client.get(APPLY).content.decode()
    assert "<h1>Request protected access</h1>" in html
    assert "Personal data" in html
    response = post(client, APPLY, vendor_form(cvr="12345678", organisation=""))
    html = response.content.decode()
    assert _field_error(html, "f-organisation") == "Required."
    assert "check digit does not match (modulus 11)" in _field_error(html, "f-cvr")


# -- the authority ---------------------------------------------------------------------------


def test_the_authority_pages_need_a_login() -> None:
    for path in ("/manage/access/requests/", "/manage/access/clients/", "/manage/access/gdpr/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(f"/manage/login/?next={path}")


def test_a_maintainer_who_is_not_the_authority_is_refused(login: Any) -> None:
    filed = file_request()
    region = login("region")
    for path in (
        "/manage/access/requests/",
        f"/manage/access/requests/{filed.pk}/",
        "/manage/access/clients/",
        "/manage/access/gdpr/",
        "/manage/access/gdpr/100002151000016001/",
    ):
        response = region.get(path)
        assert response.status_code == 403, path
        assert "kun myndigheden" in response.content.decode()
    denied = post(
        region,
        f"/manage/access/requests/{filed.pk}/decision/",
        {"decision": "approve", "reason": "Jeg godkender selv"},
    )
    assert denied.status_code == 403
    filed.refresh_from_db()
    assert filed.status == AccessRequest.Status.PENDING
    assert not ApiClient.objects.exists()
    json_twin = region.get("/manage/access/gdpr/100002151000016001.json")
    assert json_twin.status_code == 403 and json_twin.json()["error"] == "forbidden"


def test_the_navigation_links_the_authority_to_the_access_pages(login: Any) -> None:
    html = login("authority").get("/manage/access/requests/").content.decode()
    nav = re.search(r'<nav class="user".*?</nav>', html, re.S)
    assert nav is not None
    assert (
        'id="nav-access-requests" href="/manage/access/requests/" aria-current="page"'
        in nav.group(0)
    )
    assert 'id="nav-access-clients" href="/manage/access/clients/"' in nav.group(0)
    assert 'id="nav-gdpr" href="/manage/access/gdpr/"' in nav.group(0)
    region_nav = login("region").get("/manage/").content.decode()
    assert "/manage/access/" not in region_nav


def test_the_queue_shows_pending_requests_first_the_oldest_on_top(
    login: Any, authority: Actor
) -> None:
    first, second, third = (file_request(name) for name in ("Første A/S", "Anden A/S", "Tredje"))
    services.request_decide(authority, second.pk, approve=False, reason="Uklart formål")
    html = login("authority").get("/manage/access/requests/").content.decode()
    order = [html.index(f">#{r.pk}<") for r in (first, third, second)]
    assert order == sorted(order)
    rejected_only = login("authority").get("/manage/access/requests/?status=rejected")
    assert f">#{second.pk}<" in rejected_only.content.decode()
    assert f">#{first.pk}<" not in rejected_only.content.decode()


def test_approval_shows_the_new_secret_once_and_it_works(
    login: Any, authority: Actor, paths: dict[str, Path]
) -> None:
    services.key_rotate(authority)
    filed = file_request()
    worker = login("authority")
    detail = worker.get(f"/manage/access/requests/{filed.pk}/").content.decode()
    assert "Henvisninger fra vores lægesystem" in detail and 'id="approve"' in detail
    response = post(
        worker,
        f"/manage/access/requests/{filed.pk}/decision/",
        {"decision": "approve", "reason": "Sagligt formål"},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    client = ApiClient.objects.get()
    secret = re.search(r'<code id="client-secret">([^<]+)</code>', html)
    assert secret is not None
    assert f'<code id="client-id">{client.client_id}</code>' in html
    assert services.token_issue(client.client_id, secret.group(1))["token_type"] == "Bearer"
    # never again: not on the request, not in the clients list
    again = worker.get(f"/manage/access/requests/{filed.pk}/").content.decode()
    assert secret.group(1) not in again and client.client_id in again
    assert '<dd id="request-status">Godkendt</dd>' in again and 'id="approve"' not in again
    assert secret.group(1) not in worker.get("/manage/access/clients/").content.decode()
    event = AuditEvent.objects.get(target_id=f"access-request:{filed.pk}")
    assert (event.operation, event.actor, event.client) == (
        "access:request:approve",
        "myndighed",
        "web",
    )


def test_a_rejection_needs_a_reason_and_the_vendor_sees_it(login: Any) -> None:
    vendor = Client(enforce_csrf_checks=True)
    receipt_url = post(vendor, APPLY, vendor_form())["Location"]
    filed = AccessRequest.objects.get()
    worker = login("authority")
    decision = f"/manage/access/requests/{filed.pk}/decision/"
    blank = post(worker, decision, {"decision": "reject", "reason": "  "})
    assert blank.status_code == 422
    assert "en afgørelse skal begrundes" in blank.content.decode()
    filed.refresh_from_db()
    assert filed.status == AccessRequest.Status.PENDING
    done = post(worker, decision, {"decision": "reject", "reason": "Formålet rækker ikke"})
    assert done.status_code == 302
    page = worker.get(done["Location"]).content.decode()
    assert '<dd id="request-status">Afvist</dd>' in page
    assert f"Anmodning #{filed.pk} er afvist." in page
    assert "Formålet rækker ikke" in page
    assert not ApiClient.objects.exists()
    receipt = vendor.get(receipt_url).content.decode()
    assert '<dd id="receipt-status">Afvist</dd>' in receipt
    assert '<dd id="receipt-reason">Formålet rækker ikke</dd>' in receipt


def test_a_decided_request_cannot_be_decided_again(login: Any) -> None:
    filed = file_request()
    worker = login("authority")
    decision = f"/manage/access/requests/{filed.pk}/decision/"
    assert post(worker, decision, {"decision": "approve", "reason": "OK"}).status_code == 200
    again = post(worker, decision, {"decision": "approve", "reason": "OK igen"})
    assert again.status_code == 409
    assert "er allerede Godkendt" in again.content.decode()
    assert ApiClient.objects.count() == 1


def test_an_unknown_decision_or_request_changes_nothing(login: Any) -> None:
    filed = file_request()
    worker = login("authority")
    odd = post(
        worker,
        f"/manage/access/requests/{filed.pk}/decision/",
        {"decision": "maybe", "reason": "x"},
    )
    assert odd.status_code == 422
    assert "Vælg godkend eller afvis." in odd.content.decode()
    missing = post(
        worker, "/manage/access/requests/999999/decision/", {"decision": "approve", "reason": "x"}
    )
    assert missing.status_code == 404
    assert worker.get("/manage/access/requests/999999/").status_code == 404
    filed.refresh_from_db()
    assert filed.status == AccessRequest.Status.PENDING


def test_the_decision_form_is_csrf_protected(login: Any) -> None:
    filed = file_request()
    worker = login("authority")
    response = worker.post(
        f"/manage/access/requests/{filed.pk}/decision/", {"decision": "approve", "reason": "OK"}
    )
    assert response.status_code == 403
    filed.refresh_from_db()
    assert filed.status == AccessRequest.Status.PENDING
