"""The data subject's report pages: the SOR-ID form, the printable page and its JSON twin.

A sole proprietorship (a private owner and its clinic, both marked as personal data) is
recorded in the register and read once through the protected channel (an entry in the real
access log); the authority's report page shows all of it, and says plainly when a unit is
not personal data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from opensor.domain.records import Contact, Level
from opensor.lookup.accesslog import AccessLog
from opensor.register.access.gdpr import gdpr_report
from tests.factories import OWNER_TYPES, unit

pytestmark = pytest.mark.django_db

CLIENT_ID = "sor-0123456789abcdef"
PURPOSE = "Henvisninger i vores journalsystem"


@pytest.fixture
def proprietorship(record: Any) -> dict[str, Any]:
    """A dentist's sole proprietorship (owner and clinic) and a region, recorded."""
    owner = unit(
        Level.OWNER,
        name="Tandlæge Jens Hansen",
        owner_type=OWNER_TYPES["private"],
        personal_data=True,
        contact=Contact(phone="40404040", email="jens@tandhansen.dk"),
    )
    clinic = unit(Level.INSTITUTION, owner, name="Tandklinikken Jens Hansen", personal_data=True)
    region = unit(Level.OWNER, name="Region Sjælland", owner_type=OWNER_TYPES["region"])
    record([(owner, None), (clinic, None), (region, None)])
    return {"owner": owner, "clinic": clinic, "region": region}


def _read(log: Path, sor_id: int) -> None:
    """One protected read of ``sor_id``, appended as a lookup node appends it."""
    access_log = AccessLog(log)
    try:
        access_log.append(CLIENT_ID, str(sor_id), PURPOSE, f"/api/v1/units/{sor_id}")
    finally:
        access_log.close()


def test_the_form_opens_the_report_of_a_sor_id(
    login: Any, proprietorship: dict[str, Any], paths: dict[str, Path]
) -> None:
    worker = login("authority")
    form = worker.get("/manage/access/gdpr/")
    assert form.status_code == 200
    assert 'name="sor_id"' in form.content.decode()
    sor_id = proprietorship["owner"].sor_id
    response = worker.get(f"/manage/access/gdpr/?sor_id=+{sor_id}+")
    assert response.status_code == 302
    assert response["Location"] == f"/manage/access/gdpr/{sor_id}/"


def test_a_sor_id_that_is_not_digits_is_named_beside_the_field(login: Any) -> None:
    response = login("authority").get("/manage/access/gdpr/?sor_id=Jens+Hansen")
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="f-sor-id-error">Et SOR-ID består kun af cifre.*»Jens Hansen«', html)


def test_the_report_page_shows_everything_and_is_printable(
    login: Any, proprietorship: dict[str, Any], paths: dict[str, Path]
) -> None:
    owner, clinic = proprietorship["owner"], proprietorship["clinic"]
    _read(paths["log"], clinic.sor_id)
    response = login("authority").get(f"/manage/access/gdpr/{owner.sor_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Indsigtsrapport: Tandlæge Jens Hansen" in html
    assert f'id="unit-{owner.sor_id}"' in html and f'id="unit-{clinic.sor_id}"' in html
    assert "40404040" in html and "jens@tandhansen.dk" in html  # what the register holds
    assert "Køgevej 7, 4000 Roskilde" in html
    reads = re.search(r'<table class="protected-reads">.*?</table>', html, re.S)
    assert reads is not None and CLIENT_ID in reads.group(0) and PURPOSE in reads.group(0)
    assert '<dd id="report-reads">1</dd>' in html
    assert "/manage/requests/" in html  # how to have it corrected
    json_url = f"/manage/access/gdpr/{owner.sor_id}.json"
    assert f'<link rel="alternate" type="application/json" href="{json_url}">' in html
    assert 'href="/manage/static/access/report.css"' in html  # the print stylesheet
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_the_json_twin_is_the_same_report(
    login: Any, proprietorship: dict[str, Any], paths: dict[str, Path]
) -> None:
    owner, clinic = proprietorship["owner"], proprietorship["clinic"]
    _read(paths["log"], clinic.sor_id)
    response = login("authority").get(f"/manage/access/gdpr/{owner.sor_id}.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    served = response.json()
    expected = gdpr_report(owner.sor_id, access_log=paths["log"])
    served.pop("generated_at"), expected.pop("generated_at")
    assert served == json.loads(json.dumps(expected))
    assert [u["sor_id"] for u in served["units"]] == [str(owner.sor_id), str(clinic.sor_id)]
    assert served["units"][1]["protected_reads"][0]["client_id"] == CLIENT_ID


def test_the_report_reads_the_access_log_the_cli_reads(
    login: Any,
    proprietorship: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # no SOR_ACCESS_LOG: both find the log beside the publication store
    monkeypatch.delenv("SOR_ACCESS_LOG", raising=False)
    monkeypatch.setenv("SOR_PUBLICATIONS", str(tmp_path / "publications"))
    owner = proprietorship["owner"]
    _read(tmp_path / "access-log.sqlite", owner.sor_id)
    from opensor.cli.main import cli

    result = CliRunner().invoke(cli, ["gdpr", "report", str(owner.sor_id)])
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.stdout)
    served = login("authority").get(f"/manage/access/gdpr/{owner.sor_id}.json").json()
    assert served["units"][0]["protected_reads"] == from_cli["units"][0]["protected_reads"]
    assert [e["client_id"] for e in served["units"][0]["protected_reads"]] == [CLIENT_ID]


def test_a_unit_that_is_not_personal_data_gets_a_clear_message(
    login: Any, proprietorship: dict[str, Any], paths: dict[str, Path]
) -> None:
    region = proprietorship["region"]
    worker = login("authority")
    response = worker.get(f"/manage/access/gdpr/{region.sor_id}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert (
        f"Region Sjælland (SOR-ID {region.sor_id}) er ikke markeret som personoplysninger" in html
    )
    assert "enkeltmandsvirksomheder" in html
    assert 'name="sor_id"' in html  # the form, to try another
    twin = worker.get(f"/manage/access/gdpr/{region.sor_id}.json")
    assert twin.status_code == 404
    assert twin.json()["error"] == "not_personal_data"
    unknown = worker.get("/manage/access/gdpr/100002151000016001/")
    assert unknown.status_code == 404
    assert "Registeret har ingen enhed med SOR-ID 100002151000016001." in unknown.content.decode()


def test_the_report_page_speaks_english(
    login: Any, proprietorship: dict[str, Any], paths: dict[str, Path]
) -> None:
    worker = login("authority")
    worker.cookies["django_language"] = "en"
    html = worker.get(f"/manage/access/gdpr/{proprietorship['owner'].sor_id}/").content.decode()
    assert "Data subject report: Tandlæge Jens Hansen" in html
    assert "Read through the protected channel" in html
    assert "If the data is wrong" in html  # the rectification text in English
    region = worker.get(f"/manage/access/gdpr/{proprietorship['region'].sor_id}/")
    assert "is not marked as personal data" in region.content.decode()
