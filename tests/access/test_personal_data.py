"""Personal-data fields never appear where the caller's scope excludes them.

For a unit marked as personal data with its own telephone, e-mail or fax, none of those values
is in any public output of a publication — FHIR reads, searches and history, the web page and
its JSON twin, REST search, the change feed and every public export file, ``sortree.xml``
included (it withholds the owners marked as personal data) — while the protected REST path and
the complete SorTree file (``sortree-complete.xml``) with ``lookup:personal-data`` answer them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from opensor.domain.personal import PERSONAL_CONTACT_FIELDS, redact_unit_document
from opensor.domain.sortree import read_sortree
from opensor.lookup.accesslog import read_entries
from opensor.publication.exports import EXPORT_NAMES, PERSONAL_DATA_FILES
from opensor.publication.store import PublicationStore
from opensor.register.access import services
from opensor.register.access.models import SigningKey
from opensor.register.accounts.actors import Actor
from tests.access.conftest import lookup_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def keyed(authority: Actor, paths: dict[str, Path]) -> SigningKey:
    """The first signing key (the protected channel is active)."""
    return services.key_rotate(authority)


def _personal_values(store: PublicationStore) -> tuple[str, str, str, list[str]]:
    """A personal-data unit with its own phone: (SOR-ID, name, level, personal values)."""
    current = store.current()
    assert current is not None
    connection = sqlite3.connect(current.read_model_path)
    try:
        rows = connection.execute("SELECT sor_id, doc FROM unit_personal ORDER BY sor_id")
        for sor_id, doc in rows:
            document = json.loads(doc)
            contact = document["unit"].get("contact") or {}
            values = [contact[f] for f in PERSONAL_CONTACT_FIELDS if contact.get(f)]
            if contact.get("phone"):
                return str(sor_id), document["name"], document["level"], values
    finally:
        connection.close()
    raise AssertionError("the demo register has no personal-data unit with its own phone")


def _token(authority: Actor, scopes: list[str]) -> str:
    filed = services.request_file(
        organisation="Journalsystemer A/S",
        cvr="12345678",
        purpose="Henvisninger",
        contact_name="Ida Vendor",
        contact_email="ida@example.com",
        scopes=scopes,
    )
    _, client, secret = services.request_decide(authority, filed.pk, approve=True, reason="ok")
    assert client is not None and secret is not None
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    response = Client().post(
        "/api/v1/register/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def _absent(values: list[str], text: str, where: str) -> None:
    for value in values:
        assert value not in text, f"{value!r} appears in {where}"


def test_no_public_output_carries_personal_fields(
    store: PublicationStore, paths: dict[str, Path], authority: Actor, keyed: SigningKey
) -> None:
    sor_id, name, _level, values = _personal_values(store)
    lookup = lookup_client(store, paths)

    public_paths = [
        f"/api/v1/units/{sor_id}",
        f"/api/v1/units?q={name.split()[0]}&limit=200",
        f"/fhir/Organization/{sor_id}",
        f"/fhir/Location/{sor_id}",
        f"/fhir/Organization?_id={sor_id}",
        f"/fhir/Location?_id={sor_id}",
        f"/fhir/Organization/{sor_id}/_history",
        f"/fhir/Location/{sor_id}/_history",
        f"/units/{sor_id}",
        f"/units/{sor_id}.json",
        "/api/v1/changes?limit=1000",
    ]
    for path in public_paths:
        response = lookup.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        _absent(values, response.text, path)
    assert lookup.get(f"/fhir/Organization/{sor_id}").status_code == 200
    assert lookup.get(f"/units/{sor_id}").status_code == 200

    current = store.current()
    assert current is not None
    connection = sqlite3.connect(current.read_model_path)
    try:
        for (doc,) in connection.execute("SELECT doc FROM change_event WHERE doc IS NOT NULL"):
            _absent(values, bytes(doc).decode(), "the change feed")
        for column in ("doc", "fhir_organization", "fhir_location"):
            for (data,) in connection.execute(f"SELECT {column} FROM unit WHERE {column} NOTNULL"):
                _absent(values, bytes(data).decode(), f"unit.{column}")
    finally:
        connection.close()

    for file_name in EXPORT_NAMES:
        path = current.path / file_name
        assert path.is_file(), file_name
        served = lookup.get(f"/api/v1/publications/{current.number}/files/{file_name}")
        if file_name in PERSONAL_DATA_FILES:
            assert served.status_code == 401, file_name
            _absent(values, served.text, f"the refusal of {file_name}")
            continue
        if file_name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
                for member in archive.namelist():
                    _absent(values, archive.read(member).decode("utf-8"), member)
        else:
            _absent(values, path.read_text(encoding="utf-8"), file_name)
        assert served.status_code == 200, file_name
        if file_name != "sor-csv.zip":
            _absent(values, served.text, f"served {file_name}")

    # a token without the scope sees the public document too
    other = _token(authority, ["lookup:history"])
    response = lookup.get(f"/api/v1/units/{sor_id}", headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 200
    _absent(values, response.text, "the unit with a token lacking the scope")

    # the protected path with the scope answers every personal value
    token = _token(authority, ["lookup:personal-data", "lookup:history"])
    full = lookup.get(f"/api/v1/units/{sor_id}", headers={"Authorization": f"Bearer {token}"})
    assert full.status_code == 200
    assert full.headers["cache-control"] == "private, no-store"
    for value in values:
        assert value in full.text


def test_the_public_document_keeps_its_shape() -> None:
    document: dict[str, Any] = {
        "unit": {"personal_data": True, "contact": {"phone": "12345678", "website": "w"}},
        "effective": {
            "contact": {
                "phone": {"value": "12345678", "source_sor_id": "1", "inherited": False},
                "website": {"value": "w", "source_sor_id": "1", "inherited": False},
            }
        },
    }
    public = redact_unit_document(document)
    assert public["unit"]["contact"] == {"phone": None, "website": "w"}
    assert public["effective"]["contact"]["phone"]["value"] is None
    assert public["effective"]["contact"]["website"]["value"] == "w"
    assert public["personal_data_redacted"] == ["phone", "email", "fax"]
    assert "12345678" not in json.dumps(public)


def _personal_owners(store: PublicationStore) -> tuple[set[str], dict[str, Any]]:
    """SOR-IDs of the published owners marked as personal data, and the manifest's files."""
    current = store.current()
    assert current is not None
    connection = sqlite3.connect(current.read_model_path)
    try:
        rows = connection.execute(
            "SELECT sor_id FROM unit WHERE level = 'IE' AND personal_data = 1 AND active = 1"
        )
        owners = {str(sor_id) for (sor_id,) in rows}
    finally:
        connection.close()
    assert owners, "the demo register has sole proprietorships"
    return owners, {entry["name"]: entry for entry in current.manifest["files"]}


def test_the_public_sortree_file_holds_no_personal_owner(
    store: PublicationStore, paths: dict[str, Path], authority: Actor, keyed: SigningKey
) -> None:
    owners, files = _personal_owners(store)
    lookup = lookup_client(store, paths)
    number = store.current().number  # type: ignore[union-attr]
    public = lookup.get(f"/api/v1/publications/{number}/files/sortree.xml")
    assert public.status_code == 200
    read = {str(item.unit.sor_id) for item in read_sortree(io.BytesIO(public.content))}
    assert not owners & read
    assert files["sortree.xml"]["withheld"]["owners"] == len(owners)

    token = _token(authority, ["lookup:personal-data"])
    complete = lookup.get(
        f"/api/v1/publications/{number}/files/sortree-complete.xml",
        headers={"Authorization": f"Bearer {token}"},
    )
    units = [str(item.unit.sor_id) for item in read_sortree(io.BytesIO(complete.content))]
    assert owners <= set(units)
    assert len(units) - len(read) == files["sortree.xml"]["withheld"]["units"]


def test_the_complete_sortree_file_is_served_only_with_the_scope(
    store: PublicationStore, paths: dict[str, Path], authority: Actor, keyed: SigningKey
) -> None:
    sor_id, _, _, values = _personal_values(store)
    _, files = _personal_owners(store)
    lookup = lookup_client(store, paths)
    number = store.current().number  # type: ignore[union-attr]
    url = f"/api/v1/publications/{number}/files/sortree-complete.xml"

    anonymous = lookup.get(url)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["cache-control"] == "no-store"
    assert 'scope="lookup:personal-data"' in anonymous.headers["www-authenticate"]
    assert anonymous.json()["status"] == 401
    assert "lookup:personal-data" in anonymous.json()["detail"]
    assert lookup.head(url).status_code == 401

    other = _token(authority, ["lookup:history"])
    wrong = lookup.get(url, headers={"Authorization": f"Bearer {other}"})
    assert wrong.status_code == 403
    assert 'error="insufficient_scope"' in wrong.headers["www-authenticate"]
    assert wrong.json()["title"] == "Forbidden"
    assert read_entries(paths["log"]) == []

    token = _token(authority, ["lookup:personal-data"])
    bearer = {"Authorization": f"Bearer {token}"}
    served = lookup.get(url, headers=bearer)
    assert served.status_code == 200
    assert served.headers["cache-control"] == "private, no-store"
    assert served.headers["vary"] == "authorization"
    entry = files["sortree-complete.xml"]
    assert hashlib.sha256(served.content).hexdigest() == entry["sha256"]
    assert len(served.content) == entry["size"]
    for value in values:
        assert value in served.text
    assert sor_id in served.text

    # one access-log entry per download, naming every unit of the file (`*`) and the file
    (logged,) = read_entries(paths["log"])
    assert (logged["sor_id"], logged["path"]) == ("*", url)
    assert logged["purpose"] == "Henvisninger"
    part = lookup.get(url, headers={**bearer, "Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert lookup.head(url, headers=bearer).status_code == 200
    unchanged = lookup.get(url, headers={**bearer, "If-None-Match": served.headers["etag"]})
    assert unchanged.status_code == 304
    assert unchanged.headers["cache-control"] == "private, no-store"
    assert len(read_entries(paths["log"])) == 2, "a ranged GET reads personal data too"


def test_without_a_protected_channel_the_complete_file_is_public_but_not_cached(
    store: PublicationStore, paths: dict[str, Path]
) -> None:
    lookup = lookup_client(store, paths)
    number = store.current().number  # type: ignore[union-attr]
    served = lookup.get(f"/api/v1/publications/{number}/files/sortree-complete.xml")
    assert served.status_code == 200
    assert served.headers["cache-control"] == "private, no-store"
    assert read_entries(paths["log"]) == []
    public = lookup.get(f"/api/v1/publications/{number}/files/sortree.xml")
    assert public.headers["cache-control"] == "public, max-age=31536000, immutable"
