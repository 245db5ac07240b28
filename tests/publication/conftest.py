"""Fixtures for publication tests: a register to publish and a store to publish into."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from opensor.publication.builder import publish
from opensor.publication.store import Publication, PublicationStore
from opensor.register.units.demo_loading import demo_load
from opensor.register.units.history import VersionRecorder

DEMO_DAY = date(2025, 6, 1)

Record = Callable[..., VersionRecorder]


@pytest.fixture
def store(tmp_path: Path) -> PublicationStore:
    return PublicationStore(tmp_path / "publications")


@pytest.fixture
def demo(db: None) -> None:
    demo_load(scale=0.01, seed=1, reference_date=DEMO_DAY, actor="test")


@pytest.fixture
def published(demo: None, store: PublicationStore) -> Publication:
    return publish(as_of=DEMO_DAY, store=store)


@pytest.fixture
def record(record: Record) -> Record:
    """The suite's ``record``, not closing location numbers a batch leaves out."""
    return functools.partial(record, owns_location_numbers=False)


def query(publication: Publication, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` in a publication's read model, opened read-only."""
    uri = f"{publication.read_model_path.as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        return connection.execute(sql, params).fetchall()
