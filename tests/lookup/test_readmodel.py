"""The read model: read-only connections, and switching publications under running requests."""

from __future__ import annotations

import os
import sqlite3
import threading

import pytest

from opensor.lookup.readmodel import (
    CurrentPublication,
    NoPublication,
    ReadModel,
    begin_request,
    distance_km,
    end_request,
)
from opensor.publication.store import PublicationStore


def _point_current(store: PublicationStore, number: int) -> None:
    temporary = store.root / "current.tmp-test"
    temporary.unlink(missing_ok=True)
    os.symlink(f"{number:06d}", temporary)
    os.replace(temporary, store.root / "current")


def test_a_read_model_is_read_only_and_knows_its_publication(demo_store: PublicationStore):
    publication = demo_store.current()
    assert publication is not None
    model = ReadModel(publication)
    try:
        assert model.number == publication.number == 2
        assert model.meta["number"] == "2"
        assert model.meta["as_of"] == "2025-12-01"
        connection = model.connection()
        assert connection.execute("SELECT count(*) FROM unit").fetchone()[0] == 528
        with pytest.raises(sqlite3.OperationalError):
            connection.execute("DELETE FROM unit")
        with pytest.raises(sqlite3.OperationalError):
            connection.execute("CREATE TABLE x (y)")
    finally:
        model.close()


def test_each_thread_gets_its_own_connection(demo_store: PublicationStore):
    model = ReadModel(demo_store.current())  # type: ignore[arg-type]
    seen: list[sqlite3.Connection] = []

    def read() -> None:
        connection = model.connection()
        assert connection is model.connection()
        seen.append(connection)
        connection.execute("SELECT count(*) FROM unit").fetchone()

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    read()
    assert len({id(c) for c in seen}) == 4
    model.close()
    assert model.closed


def test_the_provider_switches_when_current_moves_and_keeps_pinned_requests(
    store_copy: PublicationStore,
):
    _point_current(store_copy, 1)
    provider = CurrentPublication(store_copy, check_interval=0.0)
    first = provider.current()
    assert first.number == 1

    # A request in flight pins publication 1 ...
    pins, token = begin_request()
    assert provider() is first
    assert first.in_use == 1

    # ... the publisher switches to 2: new requests read 2, the pinned one still reads 1.
    _point_current(store_copy, 2)
    second = provider.current()
    assert second.number == 2
    assert provider() is first
    assert not first.closed
    assert first.connection().execute("SELECT value FROM meta WHERE key='number'").fetchone() == (
        "1",
    )

    # When the request ends, publication 1's connections are closed.
    end_request(pins, token)
    assert first.closed
    assert provider() is second
    provider.close()
    assert second.closed


def test_the_link_is_read_at_most_once_per_interval(store_copy: PublicationStore):
    _point_current(store_copy, 1)
    provider = CurrentPublication(store_copy, check_interval=3600.0)
    assert provider.current().number == 1
    _point_current(store_copy, 2)
    assert provider.current().number == 1  # not looked at again within the hour
    provider.check_interval = 0.0
    assert provider.current().number == 2
    provider.close()


def test_no_publication_yet_is_reported(tmp_path):
    provider = CurrentPublication(PublicationStore(tmp_path / "empty"))
    with pytest.raises(NoPublication, match="sor publish"):
        provider.current()


def test_an_older_kept_publication_can_be_opened_for_a_cursor(store_copy: PublicationStore):
    provider = CurrentPublication(store_copy, check_interval=0.0, keep_older=1)
    assert provider.current().number == 2
    older = provider.acquire_number(1)
    assert older is not None and older.number == 1
    older.release()
    assert not older.closed  # kept open for the next page
    assert provider.acquire_number(7) is None
    provider.close()
    assert older.closed


def test_distance_is_haversine():
    # Copenhagen City Hall to Aarhus City Hall: about 157 km.
    assert distance_km(55.6759, 12.5691, 56.1530, 10.2039) == pytest.approx(157.0, abs=2.0)
    assert distance_km(None, 1.0, 2.0, 3.0) is None
