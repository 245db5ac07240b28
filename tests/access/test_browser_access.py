"""The protected channel's pages in real Chromium, from the vendor's form to the GDPR report.

Everything runs as in production, each part in a process of its own: ``sor init``, the demo
register (``sor demo``), the authority's user (``sor user add``), the first signing key
(``sor access keys rotate``), ``sor publish`` and ``sor serve`` (the register under
``/manage/`` and the lookup service on one port). In Chromium a vendor files an access request
(first with a CVR number that fails its check), the authority approves it and sees the
client's secret once, then finds the client in the list. The vendor's system gets a token,
reads a sole proprietorship through the lookup service and downloads the complete SorTree
file; the authority's data subject report for that unit shows the read and the download.
On SQLite, or on PostgreSQL when ``SOR_TEST_DATABASE_URL`` names a server (see
:mod:`tests.browser`); screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.access.web_fixtures import PASSWORD
from tests.browser import CHROMIUM, log_in, register_home, run, shot
from tests.servers import running_sor_serve

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM} (apt install chromium)"
)

SOR = [sys.executable, "-m", "opensor.cli"]
PERSONAL_OWNER = """
import django
django.setup()
from opensor.register.units.models import UnitVersion
rows = UnitVersion.objects.current().filter(personal_data=True, parent_id__isnull=True)
print(rows.order_by("unit_id").values_list("unit_id", flat=True).first())
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``sor serve`` over the published demo register with a signing key; URL and a SOR-ID."""
    with register_home(tmp_path_factory.mktemp("sor-access-home")) as env:
        for name in ("SOR_ACCESS_KEYS", "SOR_ACCESS_LOG", "SOR_PROTECTED_CHANNEL"):
            env.pop(name, None)
        env["DJANGO_SETTINGS_MODULE"] = "opensor.register.settings"
        run([*SOR, "demo", "--scale", "0.01", "--seed", "1"], env)
        add = [*SOR, "user", "add", "myndighed", "--role", "authority", "--password-stdin"]
        run(add, env, stdin=PASSWORD)
        run([*SOR, "access", "keys", "rotate"], env)
        run([*SOR, "publish"], env)
        sor_id = run([sys.executable, "-c", PERSONAL_OWNER], env).strip()
        assert sor_id.isdigit(), sor_id
        publications = Path(env["SOR_HOME"]) / "publications"
        with running_sor_serve(publications, env=env, ready_path="/manage/login/") as base:
            yield {"base": base, "sor_id": sor_id}


def _token(base: str, client_id: str, secret: str) -> str:
    """A token from the register's token endpoint (client credentials)."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    grant = urllib.request.Request(
        f"{base}/api/v1/register/oauth/token",
        data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
        headers={"Authorization": f"Basic {basic}"},
    )
    with urllib.request.urlopen(grant, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


def protected_read(base: str, client_id: str, secret: str, sor_id: str) -> dict[str, Any]:
    """What the vendor's system does: a token from the register, then a protected read."""
    token = _token(base, client_id, secret)
    read = urllib.request.Request(
        f"{base}/api/v1/units/{sor_id}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(read, timeout=10) as response:
        assert response.headers["Cache-Control"] == "private, no-store"
        return dict(json.loads(response.read()))


def complete_file_download(base: str, client_id: str, secret: str) -> tuple[int, str]:
    """The vendor's system downloads the complete SorTree file: (publication, path)."""
    with urllib.request.urlopen(f"{base}/api/v1/publications/latest", timeout=10) as response:
        number = int(json.loads(response.read())["number"])
    path = f"/api/v1/publications/{number}/files/sortree-complete.xml"
    token = _token(base, client_id, secret)
    download = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(download, timeout=30) as response:
        assert response.headers["Cache-Control"] == "private, no-store"
        body = response.read()
        assert len(body) == int(response.headers["Content-Length"]) > 0
        assert b"InstitutionOwnerEntity" in body
    return number, path


def test_a_vendor_gets_access_and_the_report_shows_its_read(
    served: dict[str, Any], page: Any
) -> None:
    base, sor_id = served["base"], served["sor_id"]

    # The vendor files the request (no login); a wrong CVR number is named beside its field.
    page.goto(f"{base}/manage/access/apply/")
    page.fill("#f-organisation", "Journalsystemer A/S")
    page.fill("#f-cvr", "12345678")
    page.fill("#f-purpose", "Henvisninger fra vores lægesystem til den rigtige modtager")
    page.fill("#f-contact-name", "Ida Leverandør")
    page.fill("#f-contact-email", "ida@journalsystemer.dk")
    page.check("#f-scope-lookup-history")
    page.check("#f-scope-lookup-personal-data")
    shot(page, "access-1-vendor-form")
    page.click("button:has-text('Send anmodning')")
    assert "kontrolcifferet passer ikke" in page.inner_text("#f-cvr-error")
    assert page.is_checked("#f-scope-lookup-personal-data")  # the rest is kept
    shot(page, "access-2-vendor-wrong-cvr")
    page.fill("#f-cvr", "25313763")
    page.click("button:has-text('Send anmodning')")
    page.wait_for_url(f"{base}/manage/access/apply/receipt/**")
    request_id = page.inner_text("#receipt-id")
    assert page.inner_text("#receipt-status") == "Afventer"
    shot(page, "access-3-vendor-receipt")

    # The authority finds it in the queue and approves it: the secret is shown once.
    log_in(page, base, "myndighed", PASSWORD)
    page.click("#nav-access-requests")
    page.wait_for_url(f"{base}/manage/access/requests/")
    shot(page, "access-4-authority-queue")
    page.click(f"a:has-text('#{request_id}')")
    page.wait_for_url(f"{base}/manage/access/requests/{request_id}/")
    assert "Henvisninger fra vores lægesystem" in page.inner_text("#request-purpose")
    page.fill("#f-reason", "Sagligt formål: henvisninger til enkeltmandspraksisser")
    page.click("#approve")
    client_id = page.inner_text("#client-id")
    secret = page.inner_text("#client-secret")
    assert client_id.startswith("sor-") and len(secret) > 30
    assert "vises kun denne ene gang" in page.inner_text("#shown-once")
    shot(page, "access-5-authority-credentials")
    page.click("a:has-text('Til API-klienterne')")
    page.wait_for_url(f"{base}/manage/access/clients/")
    row = page.inner_text(f"#client-{client_id}")
    assert "Journalsystemer A/S" in row and "Aktiv" in row
    assert secret not in page.content()
    shot(page, "access-6-authority-clients")

    # The vendor's system reads the sole proprietorship through the protected channel.
    document = protected_read(base, client_id, secret, sor_id)
    assert "personal_data_redacted" not in document
    number, complete_path = complete_file_download(base, client_id, secret)

    # The authority opens the data subject's report: the read is in it.
    page.click("#nav-gdpr")
    page.wait_for_url(f"{base}/manage/access/gdpr/")
    page.fill("#f-sor-id", sor_id)
    page.click("button:has-text('Vis rapport')")
    page.wait_for_url(f"{base}/manage/access/gdpr/{sor_id}/")
    assert page.inner_text("#report-sor-id") == sor_id
    reads = page.inner_text(".protected-reads")
    assert client_id in reads and "Henvisninger fra vores lægesystem" in reads
    downloads = page.inner_text("#complete-file-downloads")
    assert "Hentning af den komplette SorTree-fil (alle enkeltmandsvirksomheder)" in downloads
    assert client_id in downloads and complete_path in downloads
    assert f"publikation {number}" in downloads
    assert page.inner_text("#report-complete-downloads") == "1"
    json_url = page.get_attribute("link[rel=alternate]", "href")
    assert json_url == f"/manage/access/gdpr/{sor_id}.json"
    shot(page, "access-7-authority-report")
    page.emulate_media(media="print")
    assert not page.is_visible("header.site")  # the printed page is the report alone
    page.emulate_media(media="screen")
    page.click("#report-json")
    page.wait_for_url(f"{base}{json_url}")
    report = json.loads(page.inner_text("body"))
    assert report["subject_sor_id"] == sor_id
    assert client_id in {e["client_id"] for u in report["units"] for e in u["protected_reads"]}
    (download,) = report["complete_file_downloads"]["downloads"]
    assert (download["client_id"], download["path"]) == (client_id, complete_path)

    # the only refused response was the form with the wrong CVR number (422)
    assert page.problems == [f"422 {base}/manage/access/apply/"], page.problems
