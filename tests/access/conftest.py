"""Fixtures of the protected-channel tests: a published demo register and a key file.

The demo register is loaded and published once per module inside a transaction that is
rolled back, so the store outlives the data; each test then works on a fresh test database
(access requests, clients and keys) with the key file and access log in its own directory.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.db import transaction
from starlette.testclient import TestClient

from opensor.domain.responsibility import Role
from opensor.lookup.access import AccessSettings
from opensor.lookup.app import create_app
from opensor.lookup.settings import LookupSettings
from opensor.publication.builder import publish
from opensor.publication.store import PublicationStore
from opensor.register.accounts.actors import Actor
from opensor.register.units.demo_loading import demo_load
from tests.access.web_fixtures import login, users  # noqa: F401 (fixtures of the web pages)
from tests.browser import browser, page  # noqa: F401 (fixtures of the browser flow)

AS_OF = date(2025, 6, 1)


@pytest.fixture(scope="module")
def store(
    django_db_setup: None, django_db_blocker: object, tmp_path_factory: pytest.TempPathFactory
) -> PublicationStore:
    """A store with one publication of the small demo register."""
    root = tmp_path_factory.mktemp("publications")
    store = PublicationStore(root)
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        demo_load(scale=0.01, seed=1, reference_date=AS_OF, actor="test")
        publish(as_of=AS_OF, store=store)
        transaction.set_rollback(True)
    return store


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The key file and access log of one test (also where the register writes them)."""
    keys = tmp_path / "access-keys.json"
    log = tmp_path / "access-log.sqlite"
    monkeypatch.setenv("SOR_ACCESS_KEYS", str(keys))
    monkeypatch.setenv("SOR_ACCESS_LOG", str(log))
    return {"keys": keys, "log": log}


@pytest.fixture
def authority() -> Actor:
    """A case worker of the national authority."""
    return Actor("myndighed", (Role.parse("authority"),), client="test")


def lookup_client(store: PublicationStore, paths: dict[str, Path], **limits: object) -> TestClient:
    """A lookup service over ``store`` with the test's key file, log and limits."""
    access = AccessSettings(
        key_file=paths["keys"],
        keys_check_interval=0.0,
        access_log=paths["log"],
        **limits,  # type: ignore[arg-type]
    )
    app = create_app(store, settings=LookupSettings(check_interval=0.0), access=access)
    return TestClient(app)


def personal_unit(store: PublicationStore) -> tuple[str, str]:
    """A published personal-data unit with a phone number: (SOR-ID, phone)."""
    import json
    import sqlite3

    current = store.current()
    assert current is not None
    connection = sqlite3.connect(current.read_model_path)
    try:
        for sor_id, doc in connection.execute(
            "SELECT sor_id, doc FROM unit_personal ORDER BY sor_id"
        ):
            phone = (json.loads(doc)["effective"]["contact"]["phone"] or {}).get("value")
            if phone:
                return str(sor_id), phone
    finally:
        connection.close()
    raise AssertionError("the demo register has no personal-data unit with a phone number")
