"""The publication store: numbering, the current link, listing, pruning, stale builds."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from opensor.publication.store import PublicationStore, StoreBusy, default_store_root


def complete(store: PublicationStore, number: int, **manifest) -> None:
    building = store.begin(number)
    (building / "manifest.json").write_text(json.dumps({"number": number, **manifest}))
    store.complete(building, number)


def test_an_empty_store_has_no_publications(tmp_path):
    store = PublicationStore(tmp_path / "nothing-here")
    assert store.current() is None
    assert store.list() == []
    assert store.get(1) is None
    assert store.next_number() == 1


def test_current_follows_the_switch_and_list_is_newest_first(tmp_path):
    store = PublicationStore(tmp_path)
    for number in (1, 2, 3):
        complete(store, number)
    assert store.current() is None
    store.switch_current(2)
    assert store.current().number == 2
    assert os.readlink(tmp_path / "current") == "000002"
    assert [p.number for p in store.list()] == [3, 2, 1]
    assert store.get(3).read_model_path == tmp_path / "000003" / "readmodel.sqlite"
    assert store.get(3).file_path("units.json") == tmp_path / "000003" / "units.json"
    with pytest.raises(ValueError):
        store.get(3).file_path("../000001/units.json")


def test_a_directory_without_a_manifest_is_not_a_publication(tmp_path):
    store = PublicationStore(tmp_path)
    (tmp_path / "000007").mkdir()
    assert store.list() == [] and store.get(7) is None
    assert store.next_number() == 8, "its number is taken all the same"


def test_numbers_count_dead_builds_and_failed_ones(tmp_path):
    store = PublicationStore(tmp_path)
    complete(store, 1)
    (tmp_path / ".building-000004-4242").mkdir()  # left by a build killed long ago
    assert store.next_number() == 5
    dead = store.begin(5)  # a build that fails now
    store.remove_stale()
    assert not dead.exists() and not (tmp_path / ".building-000004-4242").exists()
    assert store.next_number() == 6, ".last-number remembers the highest number begun"


def test_prune_keeps_the_newest_and_never_the_current(tmp_path):
    store = PublicationStore(tmp_path)
    for number in range(1, 6):
        complete(store, number)
    store.switch_current(2)
    assert store.prune(2) == [3, 1]
    assert [p.number for p in store.list()] == [5, 4, 2]
    with pytest.raises(ValueError):
        store.prune(0)


def test_the_default_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SOR_PUBLICATIONS", raising=False)
    assert default_store_root() == tmp_path / "home" / "publications"
    monkeypatch.setenv("SOR_PUBLICATIONS", str(tmp_path / "elsewhere"))
    assert default_store_root() == tmp_path / "elsewhere"


def test_only_one_process_builds_at_a_time(tmp_path):
    store = PublicationStore(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from opensor.publication.store import PublicationStore;"
            f"s = PublicationStore(Path({str(tmp_path)!r}));"
            "cm = s.locked(); cm.__enter__(); print('locked', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreBusy, match=f"pid {holder.pid}"), store.locked():
            pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with store.locked():
        pass


def test_the_store_module_imports_no_framework():
    code = (
        "import sys, opensor.publication.store, opensor.publication.schema;"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'django', 'starlette'}"
        " or m.startswith('opensor.register')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout
