"""Fixtures for register tests: a change set and a recorder to write records with."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from django.utils import timezone

from opensor.domain.records import LocationNumberRecord, UnitRecord
from opensor.register.audit.models import ChangeSet
from opensor.register.units.history import VersionRecorder

Record = Callable[..., VersionRecorder]


@pytest.fixture
def record(db: None) -> Record:
    """Record a snapshot batch in a new change set, as an import does; returns the recorder."""

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
