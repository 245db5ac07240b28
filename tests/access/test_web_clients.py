"""The API-client pages: the list, a new secret and revocation, each confirmed first."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from opensor.register.access import services
from opensor.register.access.models import ApiClient
from opensor.register.accounts.actors import Actor
from opensor.register.audit.models import AuditEvent
from tests.access.web_fixtures import file_request, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(authority: Actor, paths: dict[str, Path]) -> tuple[str, str]:
    """An approved client with a signing key in place: (client id, secret)."""
    services.key_rotate(authority)
    filed = file_request("Journalsystemer A/S")
    _, client, secret = services.request_decide(authority, filed.pk, approve=True, reason="OK")
    assert client is not None and secret is not None
    return client.client_id, secret


def test_the_list_shows_live_clients_first_without_secrets(
    login: Any, authority: Actor, issued: tuple[str, str]
) -> None:
    live, secret = issued
    other = file_request("Apotekssystemer ApS")
    _, newer, _ = services.request_decide(authority, other.pk, approve=True, reason="OK")
    assert newer is not None
    services.client_revoke(authority, newer.client_id)
    response = login("authority").get("/manage/access/clients/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(live) < html.index(newer.client_id)  # live first, though older
    assert "Apotekssystemer ApS" in html and "Journalsystemer A/S" in html
    assert secret not in html
    assert f"/manage/access/clients/{live}/revoke/" in html
    assert f"/manage/access/clients/{newer.client_id}/revoke/" not in html  # nothing to do


def test_a_new_secret_is_confirmed_then_shown_once(login: Any, issued: tuple[str, str]) -> None:
    client_id, old_secret = issued
    worker = login("authority")
    confirm = worker.get(f"/manage/access/clients/{client_id}/rotate/")
    assert confirm.status_code == 200
    assert "holder op med at virke med det samme" in confirm.content.decode()
    assert services.token_issue(client_id, old_secret)  # asking changed nothing
    response = post(worker, f"/manage/access/clients/{client_id}/rotate/", {})
    assert response.status_code == 200
    found = re.search(r'<code id="client-secret">([^<]+)</code>', response.content.decode())
    assert found is not None
    new_secret = found.group(1)
    assert new_secret != old_secret
    assert services.token_issue(client_id, new_secret)["access_token"]
    with pytest.raises(services.AccessError) as refused:
        services.token_issue(client_id, old_secret)
    assert refused.value.code == "invalid_client"
    assert AuditEvent.objects.filter(
        operation="access:client:rotate", target_id=f"client:{client_id}"
    ).exists()


def test_revocation_is_confirmed_then_reaches_the_key_file(
    login: Any, issued: tuple[str, str], paths: dict[str, Path]
) -> None:
    client_id, secret = issued
    worker = login("authority")
    confirm = worker.get(f"/manage/access/clients/{client_id}/revoke/")
    assert confirm.status_code == 200
    assert "Er du sikker?" in confirm.content.decode()
    assert ApiClient.objects.get(client_id=client_id).revoked_at is None
    response = post(worker, f"/manage/access/clients/{client_id}/revoke/", {})
    assert response.status_code == 302
    assert response["Location"] == "/manage/access/clients/"
    listed = worker.get(response["Location"]).content.decode()
    assert f"{client_id} er tilbagekaldt" in listed
    assert ApiClient.objects.get(client_id=client_id).revoked_at is not None
    assert client_id in json.loads(paths["keys"].read_text())["revoked_clients"]
    with pytest.raises(services.AccessError):
        services.token_issue(client_id, secret)
    # a revoked client gets no new secret
    again = post(worker, f"/manage/access/clients/{client_id}/rotate/", {})
    assert again.status_code == 409
    assert "er tilbagekaldt" in again.content.decode()


def test_revocation_is_csrf_protected(login: Any, issued: tuple[str, str]) -> None:
    client_id, _ = issued
    response = login("authority").post(f"/manage/access/clients/{client_id}/revoke/")
    assert response.status_code == 403
    assert ApiClient.objects.get(client_id=client_id).revoked_at is None


def test_an_unknown_client_is_not_found(login: Any, paths: dict[str, Path]) -> None:
    worker = login("authority")
    assert worker.get("/manage/access/clients/sor-0000/revoke/").status_code == 404
    response = post(worker, "/manage/access/clients/sor-0000/rotate/", {})
    assert response.status_code == 404
    assert "ingen API-klient sor-0000" in response.content.decode()


def test_a_maintainer_who_is_not_the_authority_cannot_rotate_or_revoke(
    login: Any, issued: tuple[str, str]
) -> None:
    client_id, secret = issued
    region = login("region")
    for action in ("rotate", "revoke"):
        assert region.get(f"/manage/access/clients/{client_id}/{action}/").status_code == 403
        response = post(region, f"/manage/access/clients/{client_id}/{action}/", {})
        assert response.status_code == 403
    assert services.token_issue(client_id, secret)
    assert ApiClient.objects.get(client_id=client_id).revoked_at is None
