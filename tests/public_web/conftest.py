"""Fixtures of the public web tests: the lookup tests' demo publications, over HTTP.

The HTTP tests reuse the demo store of :mod:`tests.lookup.conftest` (the demo register at a
small scale, published as of 2025-06-01 and 2025-12-01 on the test database, SQLite or
PostgreSQL). The browser tests build their own, larger store in a subprocess (see
``test_browser.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from opensor.lookup.app import create_app
from opensor.lookup.settings import LookupSettings
from opensor.publication.store import PublicationStore
from tests.browser import browser, page  # noqa: F401
from tests.lookup.conftest import demo_store, model  # noqa: F401


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use the demo store as using the database (see tests/lookup)."""
    for item in items:
        if "demo_store" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "django_db"
        ):
            item.add_marker(pytest.mark.django_db)


@pytest.fixture
def web(demo_store: PublicationStore) -> Iterator[TestClient]:  # noqa: F811
    """An HTTP client of the real lookup application (pages and API) over the demo store."""
    app = create_app(demo_store, settings=LookupSettings(check_interval=0.0))
    with TestClient(app, base_url="http://lookup.test") as http:
        yield http
