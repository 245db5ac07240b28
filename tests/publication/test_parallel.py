"""SorTree written by a second process reads exactly the parent's snapshot of the register.

The child writes both SorTree files (public and complete) and reports what the public one
withholds."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection

from opensor.publication.exports import SortreeOutcome
from opensor.publication.parallel import start_sortree
from opensor.publication.source import latest_change_set_id, register_snapshot
from opensor.register.units.demo_loading import demo_load
from opensor.register.units.exporting import sortree_export
from tests.publication.conftest import DEMO_DAY


@pytest.mark.django_db(transaction=True)
def test_the_child_process_writes_the_same_sortree_as_the_parent(tmp_path):
    demo_load(scale=0.01, seed=1, reference_date=DEMO_DAY, actor="test")
    created = datetime(2025, 6, 1, 3, 0).astimezone()
    aside, here = tmp_path / "aside.xml", tmp_path / "here.xml"
    aside_complete, here_complete = tmp_path / "aside-complete.xml", tmp_path / "here-complete.xml"
    with register_snapshot() as own:
        assert own, "with committed data the publisher opens its own snapshot"
        job = start_sortree(
            aside,
            aside_complete,
            as_of=DEMO_DAY,
            created_at=created,
            change_set=latest_change_set_id(),
            snapshot=own,
        )
        if connection.vendor == "sqlite":
            assert job is None, "an in-memory database cannot be shared with another process"
            return
        assert job is not None
        # the publication's files: the public one (personal owners withheld) and the complete
        result = sortree_export(
            path=here,
            as_of=DEMO_DAY,
            created_at=created,
            public=True,
            complete_path=here_complete,
        )
        assert result.withheld_owners, "the demo register has sole proprietorships"
        assert job.result() == SortreeOutcome(
            True, len(result.withheld_owners), len(result.withheld_units)
        )
    assert aside.read_bytes() == here.read_bytes()
    assert aside_complete.read_bytes() == here_complete.read_bytes()


def test_inside_an_enclosing_transaction_sortree_is_written_in_process(db, tmp_path):
    with register_snapshot() as own:
        assert own is False
        assert (
            start_sortree(
                tmp_path / "x.xml",
                tmp_path / "x-complete.xml",
                as_of=DEMO_DAY,
                created_at=datetime(2025, 6, 1).astimezone(),
                change_set=None,
                snapshot=own,
            )
            is None
        )
