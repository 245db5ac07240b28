"""Fixtures of the lookup tests: real publications of the demo register, served over HTTP.

The demo register (~530 units with history) is loaded once per test session inside a
transaction that is rolled back at the end, so other tests still see an empty register. It
is published twice into a store in a temporary directory: publication 1 as of 2025-06-01 and
publication 2 as of 2025-12-01 (the demo's future-dated changes take effect in between, so
the change feed has events of its own). Publication 2 is current.

Tests that change a store (switching or pruning publications) copy it first.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from starlette.testclient import TestClient

from opensor.domain.records import LocationNumberRecord, UnitRecord
from opensor.lookup.app import create_app
from opensor.lookup.settings import LookupSettings
from opensor.publication.builder import publish
from opensor.publication.store import PublicationStore
from opensor.register.audit.models import ChangeSet
from opensor.register.units.demo_loading import demo_load
from opensor.register.units.history import VersionRecorder

FIRST_AS_OF = date(2025, 6, 1)
SECOND_AS_OF = date(2025, 12, 1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use the demo store as using the database.

    pytest-django sets up the test database only when a collected test asks for it; the demo
    store is built in it, so its users must.
    """
    for item in items:
        if "demo_store" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "django_db"
        ):
            item.add_marker(pytest.mark.django_db)


@pytest.fixture(scope="session")
def demo_store(
    django_db_setup: None, django_db_blocker: object, tmp_path_factory: pytest.TempPathFactory
) -> PublicationStore:
    """A store holding two publications of the demo register (2 is current)."""
    root = tmp_path_factory.mktemp("publications")
    store = PublicationStore(root)
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        demo_load(scale=0.01, seed=1, reference_date=FIRST_AS_OF, actor="test")
        publish(as_of=FIRST_AS_OF, store=store)
        publish(as_of=SECOND_AS_OF, store=store)
        transaction.set_rollback(True)
    return store


@pytest.fixture
def store_copy(demo_store: PublicationStore, tmp_path: Path) -> PublicationStore:
    """A private copy of the demo store (for tests that switch or prune publications)."""
    root = tmp_path / "publications"
    shutil.copytree(demo_store.root, root, symlinks=True)
    return PublicationStore(root)


@pytest.fixture
def app_settings() -> LookupSettings:
    """Settings that notice a switched ``current`` link at once."""
    return LookupSettings(check_interval=0.0)


@pytest.fixture
def client(demo_store: PublicationStore, app_settings: LookupSettings) -> Iterator[TestClient]:
    """An HTTP client talking to the real ASGI application over the demo store.

    Server-side exceptions are raised in the test, so no test passes over a 500.
    """
    app = create_app(demo_store, settings=app_settings)
    with TestClient(app, base_url="http://lookup.test") as http:
        yield http


@pytest.fixture
def publish_units(db: None, tmp_path: Path):
    """Record units (whole histories) in the register and publish them into a new store.

    ``publish_units([(versions, location_numbers), …], as_of=…)`` takes each unit's versions
    (oldest first) and the location numbers it owns, parents before children, and returns
    the store with one publication.
    """

    def run(
        units: list[tuple[list[UnitRecord], list[LocationNumberRecord]]], *, as_of: date
    ) -> PublicationStore:
        change_set = ChangeSet.objects.create(kind=ChangeSet.Kind.IMPORT, actor="test")
        recorder = VersionRecorder(change_set, timezone.now())
        for versions, numbers in units:
            recorder.add_unit_history(versions, numbers)
        recorder.flush()
        store = PublicationStore(tmp_path / "publications")
        publish(as_of=as_of, store=store)
        return store

    return run


@pytest.fixture
def model(demo_store: PublicationStore) -> Iterator[sqlite3.Connection]:
    """The current publication's read model, opened directly to compare against."""
    publication = demo_store.current()
    assert publication is not None
    connection = sqlite3.connect(f"file:{publication.read_model_path}?mode=ro", uri=True)
    yield connection
    connection.close()
