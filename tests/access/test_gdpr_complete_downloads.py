"""Downloads of the complete SorTree file in the data subject's report.

A download of ``sortree-complete.xml`` is logged as one entry with unit ``*``. The report of a
sole proprietorship lists the downloads that held it: exactly, from the publication's read
model, while the store keeps the publication; from the register's history (marked as personal
data on the day of the download, as recorded at its moment) once it is gone. The register is
recorded and published for real, and the entries are appended to a real access log.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from opensor.domain.records import Contact, Level
from opensor.lookup.accesslog import AccessLog, read_entries
from opensor.publication.builder import publish
from opensor.publication.store import PublicationStore
from opensor.register.access.complete_downloads import (
    BY_PUBLICATION,
    BY_REGISTER_HISTORY,
    publication_of_path,
)
from opensor.register.access.gdpr import gdpr_report, report_html
from tests.factories import OWNER_TYPES, unit, validity

pytestmark = pytest.mark.django_db

CLIENT_ID = "sor-00000000feedbeef"
PURPOSE = "Fuld kopi af registret til vores henvisningssystem"


def _complete_file(number: int) -> str:
    return f"/api/v1/publications/{number}/files/sortree-complete.xml"


def _download(log: Path, number: int, client_id: str = CLIENT_ID) -> None:
    """One download of publication ``number``'s complete file, logged as the lookup logs it."""
    access_log = AccessLog(log)
    try:
        access_log.append(client_id, "*", PURPOSE, _complete_file(number))
    finally:
        access_log.close()


@pytest.fixture
def publications(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PublicationStore:
    """An empty publication store, also the one the report's pages find."""
    root = tmp_path / "publications"
    monkeypatch.setenv("SOR_PUBLICATIONS", str(root))
    return PublicationStore(root)


@pytest.fixture
def proprietorship(record: Any) -> dict[str, Any]:
    """A physiotherapist's sole proprietorship (owner and clinic) and a region, recorded."""
    owner = unit(
        Level.OWNER,
        name="Fysioterapeut Karen Holm",
        owner_type=OWNER_TYPES["private"],
        personal_data=True,
        contact=Contact(phone="50505050"),
    )
    clinic = unit(Level.INSTITUTION, owner, name="Fysioterapi Karen Holm", personal_data=True)
    region = unit(Level.OWNER, name="Region Hovedstaden", owner_type=OWNER_TYPES["region"])
    record([(owner, None), (clinic, None), (region, None)])
    return {"owner": owner, "clinic": clinic, "region": region}


def test_the_logged_path_names_the_publication_of_a_complete_file() -> None:
    assert publication_of_path(_complete_file(12)) == 12
    assert publication_of_path("/api/v1/publications/000012/files/sortree-complete.xml") == 12
    assert publication_of_path("/api/v1/publications/12/files/sortree.xml") is None
    assert publication_of_path("/api/v1/publications/0/files/sortree-complete.xml") is None
    assert publication_of_path("/api/v1/units/123") is None


def test_a_download_of_a_kept_publication_is_listed_when_it_held_the_unit(
    proprietorship: dict[str, Any], paths: dict[str, Path], publications: PublicationStore
) -> None:
    owner, clinic = proprietorship["owner"], proprietorship["clinic"]
    before = publish(as_of=date(1999, 6, 1), store=publications)  # before the practice opened
    holding = publish(store=publications)
    _download(paths["log"], before.number)
    _download(paths["log"], holding.number)
    _download(paths["log"], holding.number, client_id="sor-00000000cafecafe")

    report = gdpr_report(owner.sor_id, access_log=paths["log"], store=publications)
    downloads = report["complete_file_downloads"]
    assert downloads["label"]["en"] == (
        "Download of the complete SorTree file (every sole proprietorship)"
    )
    assert downloads["label"]["da"] == (
        "Hentning af den komplette SorTree-fil (alle enkeltmandsvirksomheder)"
    )
    listed = downloads["downloads"]
    assert [d["client_id"] for d in listed] == [CLIENT_ID, "sor-00000000cafecafe"]
    logged = read_entries(paths["log"])
    for entry, logged_entry in zip(listed, logged[1:], strict=True):
        assert entry["read_at"] == logged_entry["read_at"]
        assert entry["purpose"] == PURPOSE
        assert entry["path"] == _complete_file(holding.number)
        assert entry["publication"] == holding.number
        assert entry["basis"] == BY_PUBLICATION
        assert entry["units"] == [str(owner.sor_id), str(clinic.sor_id)]
    assert downloads["not_concerning"] == 1  # publication 1 did not hold the practice
    # the unit's own reads are unchanged: the downloads are a section of their own
    assert all(unit["protected_reads"] == [] for unit in report["units"])

    # a unit below the owner has its own report, covering it alone
    clinic_report = gdpr_report(clinic.sor_id, access_log=paths["log"], store=publications)
    assert [d["units"] for d in clinic_report["complete_file_downloads"]["downloads"]] == [
        [str(clinic.sor_id)],
        [str(clinic.sor_id)],
    ]


def test_once_the_publication_is_gone_the_register_history_decides(
    proprietorship: dict[str, Any],
    paths: dict[str, Path],
    publications: PublicationStore,
    record: Any,
) -> None:
    owner = proprietorship["owner"]
    first = publish(store=publications)
    _download(paths["log"], first.number)
    # a practice recorded after that download was not in any file downloaded before it
    later = unit(
        Level.OWNER,
        name="Kiropraktor Ole Berg",
        owner_type=OWNER_TYPES["private"],
        personal_data=True,
    )
    record([(later, None)])
    _download(paths["log"], first.number)
    publish(store=publications, keep=1)  # the first publication is pruned
    assert publications.get(first.number) is None

    report = gdpr_report(owner.sor_id, access_log=paths["log"], store=publications)
    listed = report["complete_file_downloads"]["downloads"]
    assert len(listed) == 2
    assert {d["basis"] for d in listed} == {BY_REGISTER_HISTORY}
    assert all(d["publication"] == first.number for d in listed)
    assert all(d["units"][0] == str(owner.sor_id) for d in listed)
    assert "can no longer be checked" in report["complete_file_downloads"]["explanation"]["en"]
    assert "kan det ikke efterprøves" in report["complete_file_downloads"]["explanation"]["da"]

    newer = gdpr_report(later.sor_id, access_log=paths["log"], store=publications)
    (only,) = newer["complete_file_downloads"]["downloads"]
    assert only["read_at"] == read_entries(paths["log"])[1]["read_at"]
    assert newer["complete_file_downloads"]["not_concerning"] == 1


def test_a_unit_not_yet_valid_on_the_day_of_the_download_is_not_listed(
    paths: dict[str, Path], publications: PublicationStore, record: Any
) -> None:
    # marked as personal data only from a day still to come: today's download did not hold it
    future = unit(
        Level.OWNER,
        name="Tandlæge Mette Lund",
        owner_type=OWNER_TYPES["private"],
        personal_data=True,
        validity=validity(date(2999, 1, 1)),
    )
    record([(future, None)])
    _download(paths["log"], 999)
    report = gdpr_report(future.sor_id, access_log=paths["log"], store=publications)
    assert report["complete_file_downloads"]["downloads"] == []
    assert report["complete_file_downloads"]["not_concerning"] == 1


def test_the_pages_and_the_printable_report_show_the_downloads(
    login: Any,
    proprietorship: dict[str, Any],
    paths: dict[str, Path],
    publications: PublicationStore,
) -> None:
    owner = proprietorship["owner"]
    holding = publish(store=publications)
    _download(paths["log"], holding.number)
    _download(paths["log"], 999)
    worker = login("authority")

    html = worker.get(f"/manage/access/gdpr/{owner.sor_id}/").content.decode()
    section = re.search(r'<section id="complete-file-downloads">.*?</section>', html, re.S)
    assert section is not None
    text = section.group(0)
    assert "<h2>Hentning af den komplette SorTree-fil (alle enkeltmandsvirksomheder)</h2>" in text
    assert CLIENT_ID in text and PURPOSE in text
    assert f"<code>{_complete_file(holding.number)}</code>" in text
    assert f"publikation {holding.number}" in text and "registerets historik" in text
    assert "kan det ikke efterprøves" in text  # how they were chosen
    assert '<dd id="report-complete-downloads">2</dd>' in html
    assert '<dd id="report-reads">0</dd>' in html

    twin = worker.get(f"/manage/access/gdpr/{owner.sor_id}.json").json()
    expected = gdpr_report(owner.sor_id, access_log=paths["log"], store=publications)
    assert twin["complete_file_downloads"] == json.loads(
        json.dumps(expected["complete_file_downloads"])
    )

    worker.cookies["django_language"] = "en"
    english = worker.get(f"/manage/access/gdpr/{owner.sor_id}/").content.decode()
    assert "Download of the complete SorTree file (every sole proprietorship)" in english
    assert f"publication {holding.number}" in english and "the register&#x27;s history" in english
    assert "Downloads of the complete SorTree file" in english

    printable = report_html(expected)
    assert "Hentning af den komplette SorTree-fil" in printable
    assert "Download of the complete SorTree file" in printable
    assert CLIENT_ID in printable and "registerets historik / register history" in printable
