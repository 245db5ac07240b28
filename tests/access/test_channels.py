"""The protected channel end to end: request, approval, tokens, scopes, limits, access log.

A vendor files an access request, the authority approves it, the vendor's system gets a token
from the register's token endpoint and reads history and personal data from the lookup
service, which verifies the token from the key file alone; every such read of a sole
proprietorship lands in the access log and in the data subject's report.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from opensor.lookup.access import b64url_decode, b64url_encode
from opensor.lookup.accesslog import AccessLogAltered, read_entries, verify_chain
from opensor.publication.builder import publish
from opensor.publication.store import PublicationStore
from opensor.register.access import services
from opensor.register.access.gdpr import gdpr_report, report_html
from opensor.register.access.models import SigningKey
from opensor.register.accounts.actors import Actor
from opensor.register.units.demo_loading import demo_load
from tests.access.conftest import AS_OF, lookup_client, personal_unit

pytestmark = pytest.mark.django_db

PAST = "2025-03-01"


def _client(authority: Actor, scopes: list[str]) -> tuple[str, str]:
    """An approved client with ``scopes``: (client id, secret)."""
    filed = services.request_file(
        organisation="Journalsystemer A/S",
        cvr="12345678",
        purpose="Henvisninger i vores journalsystem",
        contact_name="Ida Vendor",
        contact_email="ida@example.com",
        scopes=scopes,
    )
    _, client, secret = services.request_decide(
        authority, filed.pk, approve=True, reason="Formålet er sagligt"
    )
    assert client is not None and secret is not None
    return client.client_id, secret


def _token(client_id: str, secret: str, **extra: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = Client().post(
        "/api/v1/register/oauth/token",
        {"grant_type": "client_credentials", **extra},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    return str(response.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def keyed(authority: Actor, paths: dict[str, Path]) -> SigningKey:
    """The first signing key (the protected channel is active)."""
    return services.key_rotate(authority)


def test_the_vendor_flow_from_request_to_report(
    paths: dict[str, Path], authority: Actor, keyed: SigningKey, tmp_path: Path
) -> None:
    # the report reads the register, so this test publishes a register of its own
    store = PublicationStore(tmp_path / "publications")
    demo_load(scale=0.01, seed=1, reference_date=AS_OF, actor="test")
    publish(as_of=AS_OF, store=store)
    sor_id, phone = personal_unit(store)
    client_id, secret = _client(authority, ["lookup:history", "lookup:personal-data"])
    token = _token(client_id, secret)
    lookup = lookup_client(store, paths)

    # anonymous: current state public, personal fields absent, history refused, feed public
    anonymous = lookup.get(f"/api/v1/units/{sor_id}")
    assert anonymous.status_code == 200
    assert phone not in anonymous.text
    assert anonymous.json()["personal_data_redacted"] == ["phone", "email", "fax"]
    assert lookup.get(f"/api/v1/units/{sor_id}?as_of={PAST}").status_code == 401
    assert lookup.get("/api/v1/changes").status_code == 200

    # with the token: history and the personal fields, each read logged
    full = lookup.get(f"/api/v1/units/{sor_id}", headers=_bearer(token))
    assert full.status_code == 200 and phone in full.text
    assert full.headers["cache-control"] == "private, no-store"
    past = lookup.get(f"/api/v1/units/{sor_id}?as_of=2025-05-01", headers=_bearer(token))
    assert past.status_code in (200, 404)
    entries = read_entries(paths["log"], sor_id=sor_id)
    assert len(entries) == 1 + (past.status_code == 200)
    assert entries[0]["client_id"] == client_id
    assert entries[0]["purpose"] == "Henvisninger i vores journalsystem"

    # the complete SorTree file: one entry for the whole file, in the report of every unit in it
    number = store.current().number  # type: ignore[union-attr]
    complete = f"/api/v1/publications/{number}/files/sortree-complete.xml"
    assert lookup.get(complete, headers=_bearer(token)).status_code == 200

    report = gdpr_report(int(sor_id), store=store)
    reads = [e for unit in report["units"] for e in unit["protected_reads"]]
    assert {e["client_id"] for e in reads} == {client_id}
    (download,) = report["complete_file_downloads"]["downloads"]
    assert (download["client_id"], download["path"]) == (client_id, complete)
    assert download["basis"] == "publication" and sor_id in download["units"]
    assert download["purpose"] == "Henvisninger i vores journalsystem"
    assert report["units"][0]["versions"]
    assert "change request" in report["rectification"]["en"]
    assert client_id in report_html(report)


def test_the_decision_is_audited(authority: Actor, paths: dict[str, Path]) -> None:
    from opensor.register.audit.models import AuditEvent

    filed = services.request_file(
        organisation="X",
        cvr="87654321",
        purpose="Ingen god grund til det",
        contact_name="Y",
        contact_email="y@example.com",
        scopes=["lookup:personal-data"],
    )
    services.request_decide(authority, filed.pk, approve=False, reason="Formålet rækker ikke")
    event = AuditEvent.objects.get(target_id=f"access-request:{filed.pk}")
    assert event.operation == "access:request:reject"
    assert event.after["reason"] == "Formålet rækker ikke"
    region = Actor("region", (), client="test")
    with pytest.raises(services.AccessError):
        services.request_decide(region, filed.pk, approve=True, reason="x")


def test_a_token_without_the_scope_is_forbidden(
    store: PublicationStore, paths: dict[str, Path], authority: Actor, keyed: SigningKey
) -> None:
    sor_id, phone = personal_unit(store)
    token = _token(*_client(authority, ["lookup:quota-high"]))
    lookup = lookup_client(store, paths)
    response = lookup.get(f"/api/v1/units/{sor_id}?as_of={PAST}", headers=_bearer(token))
    assert response.status_code == 403
    assert "insufficient_scope" in response.headers["www-authenticate"]
    current = lookup.get(f"/api/v1/units/{sor_id}", headers=_bearer(token))
    assert current.status_code == 200 and phone not in current.text
    assert read_entries(paths["log"]) == []


def test_forged_expired_and_revoked_tokens_are_refused(
    store: PublicationStore,
    paths: dict[str, Path],
    authority: Actor,
    keyed: SigningKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sor_id, phone = personal_unit(store)
    client_id, secret = _client(authority, ["lookup:personal-data", "lookup:history"])
    lookup = lookup_client(store, paths)
    url = f"/api/v1/units/{sor_id}"

    good = _token(client_id, secret)
    header, payload, signature = good.split(".")
    claims: dict[str, Any] = json.loads(b64url_decode(payload))
    claims["scope"] = "lookup:personal-data lookup:history lookup:quota-high"
    tampered = f"{header}.{b64url_encode(json.dumps(claims).encode())}.{signature}"
    other_key = Ed25519PrivateKey.generate()
    signing_input = f"{header}.{payload}"
    forged = f"{signing_input}.{b64url_encode(other_key.sign(signing_input.encode()))}"
    for bad in (tampered, forged, "not-a-token", good[:-4] + "AAAA"):
        response = lookup.get(url, headers=_bearer(bad))
        assert response.status_code == 401, bad
        assert phone not in response.text

    monkeypatch.setenv("SOR_ACCESS_TOKEN_SECONDS", "-120")
    expired = _token(client_id, secret)
    response = lookup.get(url, headers=_bearer(expired))
    assert response.status_code == 401 and "expired" in response.text
    monkeypatch.delenv("SOR_ACCESS_TOKEN_SECONDS")

    assert lookup.get(url, headers=_bearer(good)).status_code == 200
    services.client_revoke(authority, client_id)
    response = lookup.get(url, headers=_bearer(good))
    assert response.status_code == 401 and "revoked" in response.text
    refused = Client().post(
        "/api/v1/register/oauth/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


def test_key_rotation_keeps_live_tokens_and_signs_with_the_new_key(
    store: PublicationStore, paths: dict[str, Path], authority: Actor, keyed: SigningKey
) -> None:
    sor_id, _ = personal_unit(store)
    client_id, secret = _client(authority, ["lookup:history"])
    lookup = lookup_client(store, paths)
    before = _token(client_id, secret)
    new = services.key_rotate(authority)
    after = _token(client_id, secret)
    assert json.loads(b64url_decode(after.split(".")[0]))["kid"] == new.kid
    for token in (before, after):
        response = lookup.get(f"/api/v1/units/{sor_id}?as_of={PAST}", headers=_bearer(token))
        assert response.status_code in (200, 404)


def test_wrong_secret_and_scope_beyond_the_grant_get_no_token(
    authority: Actor, paths: dict[str, Path], keyed: SigningKey
) -> None:
    client_id, secret = _client(authority, ["lookup:history"])
    client = Client()
    wrong = client.post(
        "/api/v1/register/oauth/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "x"},
    )
    assert wrong.status_code == 401
    beyond = client.post(
        "/api/v1/register/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "lookup:personal-data",
        },
    )
    assert beyond.status_code == 400 and beyond.json()["error"] == "invalid_scope"


def test_the_rate_limit_answers_429_with_retry_after(
    store: PublicationStore, paths: dict[str, Path]
) -> None:
    lookup = lookup_client(store, paths, rate=0.01, burst=3)
    statuses = []
    for _ in range(4):
        response = lookup.get("/api/v1/publications/latest")
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["ratelimit-limit"] == "3"
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-policy"].startswith("3;w=")


def test_a_client_cannot_exceed_its_quota(
    store: PublicationStore, paths: dict[str, Path], authority: Actor, keyed: SigningKey
) -> None:
    token = _token(*_client(authority, ["lookup:history"]))
    lookup = lookup_client(store, paths, client_rate=0.01, client_burst=2, rate=0.01, burst=50)
    statuses = [
        lookup.get("/api/v1/publications/latest", headers=_bearer(token)).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    # the anonymous bucket of the same address is another bucket
    assert lookup.get("/api/v1/publications/latest").status_code == 200


def test_the_access_log_cannot_be_altered(
    store: PublicationStore, paths: dict[str, Path], authority: Actor, keyed: SigningKey
) -> None:
    sor_id, _ = personal_unit(store)
    token = _token(*_client(authority, ["lookup:personal-data"]))
    lookup = lookup_client(store, paths)
    assert lookup.get(f"/api/v1/units/{sor_id}", headers=_bearer(token)).status_code == 200
    for method in ("post", "put", "patch", "delete"):
        for path in (f"/api/v1/units/{sor_id}", "/api/v1/access-log", "/access-log"):
            response = getattr(lookup, method)(path, headers=_bearer(token))
            assert response.status_code in (404, 405), (method, path)
    assert len(read_entries(paths["log"])) == 1
    assert verify_chain(paths["log"]) == 1

    connection = sqlite3.connect(paths["log"], isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("UPDATE access_read SET client_id = 'someone-else'")
    with pytest.raises(sqlite3.DatabaseError, match="retention"):
        connection.execute("DELETE FROM access_read")
    # behind the triggers' back, the digest chain still gives it away
    assert lookup.get(f"/api/v1/units/{sor_id}", headers=_bearer(token)).status_code == 200
    connection.execute("DROP TRIGGER access_read_no_update")
    connection.execute("UPDATE access_read SET client_id = 'someone-else' WHERE id = 1")
    connection.close()
    with pytest.raises(AccessLogAltered):
        verify_chain(paths["log"])


def test_without_keys_the_channel_is_inactive(
    store: PublicationStore, paths: dict[str, Path]
) -> None:
    sor_id, phone = personal_unit(store)
    lookup = lookup_client(store, paths)
    assert phone in lookup.get(f"/api/v1/units/{sor_id}").text
    assert lookup.get(f"/api/v1/units/{sor_id}?as_of={PAST}").status_code in (200, 404)


def test_the_protected_channel_can_be_forced_on(
    store: PublicationStore, paths: dict[str, Path]
) -> None:
    sor_id, phone = personal_unit(store)
    lookup = lookup_client(store, paths, protect="on")
    assert phone not in lookup.get(f"/api/v1/units/{sor_id}").text
    assert lookup.get(f"/api/v1/units/{sor_id}?as_of={PAST}").status_code == 401
    assert lookup.get(f"/api/v1/units/{sor_id}?as_of=2025%2D03%2D01").status_code == 401
