"""The ``sor`` command as a user runs it: real processes on a fresh SQLite register.

These run the installed command in subprocesses (each with its own ``SOR_HOME``), so they
exercise start-up, configuration, exit codes and output exactly as a user sees them. They use
SQLite whatever ``SOR_TEST_DATABASE_URL`` says; the services underneath are tested on both
databases elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opensor.domain.identifiers import make_sor_id


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sor-home")


def sor(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        SOR_HOME=str(home),
        SOR_ACTOR="test",
        DJANGO_SETTINGS_MODULE="opensor.register.settings",  # not the suite's test settings
    )
    env.pop("SOR_DATABASE_URL", None)
    env.pop("SOR_TEST_DATABASE_URL", None)
    completed = subprocess.run(
        [sys.executable, "-m", "opensor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check and completed.returncode != 0:
        raise AssertionError(f"sor {' '.join(args)} failed:\n{completed.stderr}")
    return completed


@pytest.fixture(scope="module")
def quickstarted(home: Path) -> Path:
    sor(home, "quickstart", "--scale", "0.01", "--no-serve")
    return home


def test_a_command_before_init_says_to_run_init(tmp_path):
    result = sor(tmp_path, "unit", str(make_sor_id(1)), check=False)
    assert result.returncode == 1
    assert "run `sor init` first" in result.stderr


def test_quickstart_loads_a_demo_register_and_shows_a_unit_that_exists(quickstarted):
    result = sor(quickstarted, "quickstart", "--scale", "0.01", "--no-serve")
    assert "demo not loaded again" in result.stderr
    sor_id = next(w for w in result.stderr.split() if w.isdigit() and len(w) >= 11)
    unit = json.loads(sor(quickstarted, "unit", sor_id).stdout)
    assert unit["sor_id"] == sor_id
    assert unit["ancestry"]
    assert set(unit["effective"]) == {
        "postal_address",
        "visiting_address",
        "activity_address",
        "contact",
        "location_number",
    }


def test_unit_rejects_a_malformed_sor_id_with_exit_status_2(quickstarted):
    result = sor(quickstarted, "unit", "8341000016003", check=False)
    assert result.returncode == 2
    assert "check digit" in result.stderr


def test_unit_says_when_a_unit_did_not_exist(quickstarted):
    result = sor(quickstarted, "unit", str(make_sor_id(1)), check=False)
    assert result.returncode == 1
    assert "no unit has SOR-ID" in result.stderr


def test_demo_refuses_a_register_that_is_not_empty(quickstarted):
    result = sor(quickstarted, "demo", "--scale", "0.01", check=False)
    assert result.returncode == 1
    assert "only into an empty register" in result.stderr


def test_export_then_import_into_a_new_register_then_check(quickstarted, tmp_path):
    exported = tmp_path / "sor.xml"
    sor(quickstarted, "export", "sortree", "--out", str(exported))
    target = tmp_path / "target"
    sor(target, "init")
    report = tmp_path / "report.json"
    sor(target, "import", "sortree", str(exported), "--report", str(report))
    data = json.loads(report.read_text())
    assert data["refused"] is False
    assert data["counts"]["units_created"] == data["units_read"] > 100
    again = sor(target, "import", "sortree", str(exported))
    assert "units unchanged" in again.stderr
    check = sor(target, "check", "--json")
    assert json.loads(check.stdout)["errors"] == 0


def test_a_refused_import_exits_1_and_writes_nothing(quickstarted, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<SorTree xmlns='urn:wrong'/>", encoding="utf-8")
    target = tmp_path / "target"
    sor(target, "init")
    result = sor(target, "import", "sortree", str(bad), check=False)
    assert result.returncode == 1
    assert "nothing was written" in result.stderr
    assert json.loads(sor(target, "check", "--json").stdout)["units"] == 0


def test_codes_can_be_added_without_a_code_change(quickstarted):
    sor(quickstarted, "codes", "add", "unit_type", "999999999", "Testenhed", "--name-en", "Test")
    listed = sor(quickstarted, "codes", "list", "unit_type").stdout
    assert "999999999\tTestenhed\tTest" in listed
    result = sor(quickstarted, "codes", "add", "no_such_list", "1", "x", check=False)
    assert result.returncode == 1
    assert "no such code list" in result.stderr


@pytest.mark.reference
def test_the_real_shak_file_loads(quickstarted, reference_dir):
    result = sor(
        quickstarted, "import", "shak", str(reference_dir / "shak" / "SHAKCOMPLETE.TXT.gz")
    )
    assert "18646 validity periods" in result.stderr
