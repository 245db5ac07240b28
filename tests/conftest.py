"""Fixtures shared by the whole suite.

The database is chosen by ``SOR_TEST_DATABASE_URL`` (see ``tests/settings.py``); every test
that touches it runs in its own transaction, rolled back at the end (pytest-django's ``db``).
Tests that read the public reference data in ``../shared/reference`` skip with a clear
message when it is absent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from opensor.domain.records import LocationNumberRecord, UnitRecord

Record = Callable[..., Any]

REFERENCE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The public reference data beside the repository (skips the test when it is absent)."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(
            f"reference data not found at {REFERENCE_DIR}: these tests need ../shared/reference "
            "beside the repository (the SorTree schemas, the real extracts and the SHAK file)"
        )
    return REFERENCE_DIR


def pytest_report_header(config: pytest.Config) -> str:
    """Say which database the suite runs on."""
    import os

    url = os.environ.get("SOR_TEST_DATABASE_URL") or "sqlite (default)"
    return f"OpenSOR test database: {url}"


@pytest.fixture
def record(db: None) -> Record:
    """Record a snapshot batch in a new change set, as an import does; returns the recorder."""

    from django.utils import timezone

    from opensor.register.audit.models import ChangeSet
    from opensor.register.units.history import VersionRecorder

    def run(
        batch: Sequence[tuple[UnitRecord, LocationNumberRecord | None]],
        *,
        owns_location_numbers: bool = True,
    ) -> VersionRecorder:
        change_set = ChangeSet.objects.create(kind=ChangeSet.Kind.IMPORT, actor="test")
        recorder = VersionRecorder(change_set, timezone.now())
        recorder.record_units(batch, owns_location_numbers=owns_location_numbers)
        return recorder

    return run
