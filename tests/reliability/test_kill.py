"""Kill -9 at random moments of ``sor publish`` and ``sor import sortree`` (CI-sized).

Each command is killed (its whole process group, with SIGKILL) a few times at a random moment
of its run; after each kill the current publication is whole and the register unchanged or
fully changed, and the next run succeeds. ``bench/kill_bench.py`` runs the same with 50 kills
each; see ``docs/reliability.md``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.faults import (
    fresh_register,
    kill_import_repeatedly,
    kill_publish_repeatedly,
    sor,
)

KILLS = int(os.environ.get("SOR_TEST_KILLS", "5"))
SEED = int(os.environ.get("SOR_TEST_KILL_SEED", "7"))


@pytest.fixture
def register_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh register of the suite's database kind (SQLite file or new PostgreSQL database)."""
    with fresh_register(tmp_path / "home", os.environ.get("SOR_TEST_DATABASE_URL")) as env:
        yield env


def test_publish_killed_at_random_keeps_the_previous_publication(
    register_env: dict[str, str], tmp_path: Path
) -> None:
    """The current publication stays whole and the register unchanged through every kill."""
    sor(register_env, "demo", "--scale", "0.02")
    outcome = kill_publish_repeatedly(register_env, KILLS, random.Random(SEED), tmp_path)
    assert outcome.killed >= 1, outcome.as_dict()


def test_import_killed_at_random_changes_all_or_nothing(
    register_env: dict[str, str], tmp_path: Path
) -> None:
    """A killed import leaves the register empty (or, after the commit, complete)."""
    with fresh_register(tmp_path / "source", os.environ.get("SOR_TEST_DATABASE_URL")) as source:
        sor(source, "demo", "--scale", "0.02")
        sortree = tmp_path / "sortree.xml"
        sor(source, "export", "sortree", "--out", str(sortree))
    outcome = kill_import_repeatedly(register_env, sortree, KILLS, random.Random(SEED), tmp_path)
    assert outcome.killed >= 1, outcome.as_dict()
