"""``sor mirror`` against a real lookup service: build, follow the feed, refuse bad files."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from datetime import date

import pytest
from click.testing import CliRunner

from opensor.cli.main import cli
from opensor.mirror import DATABASE_NAME, MirrorError, sync
from opensor.publication.builder import publish
from tests import factories

DAY = date(2025, 6, 1)


@pytest.fixture
def tree(record):
    return factories.record_tree_with_number(record)


def _wait_for(base, number):
    """The service looks at the store's ``current`` link at most once a second."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
            if json.loads(response.read())["publication"] == number:
                return
        time.sleep(0.2)
    pytest.fail(f"the service did not switch to publication {number}")


def _name(directory, sor_id):
    with sqlite3.connect(directory / DATABASE_NAME) as connection:
        (doc,) = connection.execute(
            "SELECT doc FROM unit WHERE sor_id = ?", (str(sor_id),)
        ).fetchone()
    return json.loads(doc)["name"]


def test_mirror_builds_follows_the_feed_and_proves_it(tree, record, store, serve, tmp_path):
    first = publish(as_of=DAY, store=store)
    base = serve(store.root)
    directory = tmp_path / "mirror"

    report = sync(base, directory)
    assert report.built and report.in_sync, report.differences
    assert report.checksum == report.source_checksum
    assert report.position == first.manifest["feed"]["last_seq"]

    department = tree["department"]
    record([(department.with_changes(name="Akutmodtagelse", location_number_inherited=None), None)])
    second = publish(as_of=DAY, store=store)
    _wait_for(base, second.number)
    report = sync(base, directory)
    assert not report.built and report.in_sync, report.differences
    assert report.events == second.manifest["feed"]["added"] >= 1
    assert report.publication == second.number
    assert _name(directory, department.sor_id) == "Akutmodtagelse"

    again = sync(base, directory)
    assert again.in_sync and again.events == 0

    result = CliRunner().invoke(cli, ["mirror", base, "--dir", str(directory), "--once"])
    assert result.exit_code == 0, result.output
    assert "in sync" in result.output


def test_a_corrupted_download_is_refused(tree, store, serve, tmp_path):
    publication = publish(as_of=DAY, store=store)
    path = publication.file_path("units.json")
    data = bytearray(path.read_bytes())
    data[10] ^= 1
    path.chmod(0o644)
    path.write_bytes(bytes(data))
    base = serve(store.root)
    with pytest.raises(MirrorError, match=r"units.json: refused the download.*SHA-256"):
        sync(base, tmp_path / "mirror")
    result = CliRunner().invoke(cli, ["mirror", base, "--dir", str(tmp_path / "m2")])
    assert result.exit_code == 1
    assert "refused the download" in result.output


def test_an_unreachable_service_is_a_clear_error(tmp_path):
    from opensor.mirror import HttpClient

    client = HttpClient("http://127.0.0.1:9", retries=1, backoff=0.01, timeout=2)
    with pytest.raises(MirrorError, match=r"GET http://127.0.0.1:9/api/v1/publications/latest"):
        sync("http://127.0.0.1:9", tmp_path / "m", client=client)
