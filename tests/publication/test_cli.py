"""``sor publish`` and ``sor publications`` as a user runs them (real processes, SQLite file).

These also exercise what the in-process tests cannot: SorTree written by a second process
beside the build, reading the same register snapshot from the database file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opensor.publication.store import PublicationStore


def environment(home: Path) -> dict[str, str]:
    """A fresh SQLite register whatever the suite runs on.

    pytest-django exports DJANGO_SETTINGS_MODULE=tests.settings, which would point the command
    at the test database.
    """
    env = dict(
        os.environ,
        SOR_HOME=str(home),
        SOR_ACTOR="test",
        COLUMNS="120",
        DJANGO_SETTINGS_MODULE="opensor.register.settings",
    )
    for name in ("SOR_DATABASE_URL", "SOR_TEST_DATABASE_URL", "SOR_PUBLICATIONS"):
        env.pop(name, None)
    return env


def sor(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "opensor.cli", *args],
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(f"sor {' '.join(args)} failed:\n{completed.stderr}")
    return completed


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("sor-home")
    sor(home, "init")
    sor(home, "demo", "--scale", "0.01", "--reference-date", "2025-06-01")
    return home


def test_publish_builds_a_publication_and_says_what_it_holds(home):
    result = sor(home, "publish", "--as-of", "2025-06-01")
    assert "publication 1 (as of 2025-06-01)" in result.stderr
    assert "SorTree" not in result.stderr, "SorTree was written aside, by a second process"
    assert "IE 86/87" in result.stderr.replace(",", "")
    store = PublicationStore(home / "publications")
    publication = store.current()
    assert publication.number == 1
    assert "sortree.xml" in {entry["name"] for entry in publication.manifest["files"]}
    docs = [
        json.loads(line) for line in publication.file_path("units.json").read_bytes().splitlines()
    ]
    for doc in (docs[100], docs[-1]):
        printed = json.loads(sor(home, "unit", doc["sor_id"], "--as-of", doc["as_of"]).stdout)
        assert printed == doc


def test_sortree_written_aside_equals_sortree_exported_directly(home, tmp_path):
    store = PublicationStore(home / "publications")
    publication = store.current() or store.get(1)
    direct, complete = tmp_path / "direct.xml", tmp_path / "complete.xml"
    exported = sor(
        home, "export", "sortree", "--out", str(direct), "--as-of", "2025-06-01", "--public"
    )
    sor(home, "export", "sortree", "--out", str(complete), "--as-of", "2025-06-01")

    def body(path: Path) -> str:  # the header carries the time of writing
        text = path.read_text(encoding="utf-8")
        return text[text.index("<InstitutionOwnerEntity") :]

    assert body(publication.file_path("sortree.xml")) == body(direct)
    assert body(publication.file_path("sortree-complete.xml")) == body(complete)
    # the export says what the publication's manifest records: the owners withheld
    withheld = {e["name"]: e for e in publication.manifest["files"]}["sortree.xml"]["withheld"]
    assert withheld["owners"] > 0
    said = " ".join(exported.stderr.split())
    assert (
        f"withheld {withheld['owners']} owners marked as personal data (SorTree requires their "
        f"telephone number, a personal field) and every unit below them, {withheld['units']} "
        "units in all; the owners' SOR-IDs: "
    ) in said
    assert f"{withheld['units']} units withheld" in said


def test_publishing_again_adds_no_events_and_the_list_marks_the_current_one(home):
    result = sor(home, "publish", "--as-of", "2025-06-01", "--keep", "1")
    assert "0 change events added" in result.stderr
    listing = sor(home, "publications").stdout.splitlines()
    rows = [line.split() for line in listing[1:-1]]
    assert rows == [["*", "2", "2025-06-01", *rows[0][3:]]], "--keep 1 pruned publication 1"
    assert rows[0][4:7] == ["528", "521", "88"]


def test_a_publish_killed_at_any_moment_leaves_the_current_publication_serving(home):
    store = PublicationStore(home / "publications")
    before = store.current()
    for delay in (0.3, 0.6, 0.9):
        process = subprocess.Popen(
            [sys.executable, "-m", "opensor.cli", "publish", "--as-of", "2025-06-01"],
            env=environment(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.kill()  # SIGKILL: no clean-up of any kind
            process.wait()
        current = store.current()
        assert current is not None and current.number >= before.number
        assert current.file_path("manifest.json").is_file()
    result = sor(home, "publish", "--as-of", "2025-06-01")
    assert "0 change events added" in result.stderr
    assert not [p for p in store.root.iterdir() if p.name.startswith(".building-")]


def test_nightly_options_are_checked_before_anything_runs(home):
    completed = subprocess.run(
        [sys.executable, "-m", "opensor.cli", "publish", "--nightly", "--at", "2:61"],
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "--at '2:61' is not a time of day" in completed.stderr
