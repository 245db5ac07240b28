"""The nightly runner: when it runs, and that a failed night does not stop it."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from opensor.publication.nightly import NightlySchedule, run_nightly
from opensor.publication.store import PublicationStore

COPENHAGEN = NightlySchedule.parse("02:00", "Europe/Copenhagen")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_next_run_is_two_at_night_in_copenhagen():
    assert COPENHAGEN.next_run(utc(2025, 6, 1, 12, 0)) == utc(2025, 6, 2, 0, 0)  # CEST
    assert COPENHAGEN.next_run(utc(2025, 1, 10, 0, 30)) == utc(2025, 1, 10, 1, 0)  # CET
    assert COPENHAGEN.next_run(utc(2025, 1, 10, 1, 0)) == utc(2025, 1, 11, 1, 0)


def test_daylight_saving_nights_run_once():
    # 30 March 2025: 02:00 does not exist; the run happens at 03:00 CEST (01:00 UTC).
    assert COPENHAGEN.next_run(utc(2025, 3, 29, 12, 0)) == utc(2025, 3, 30, 1, 0)
    # 26 October 2025: 02:00 happens twice; the run happens at the first (00:00 UTC).
    first = COPENHAGEN.next_run(utc(2025, 10, 25, 12, 0))
    assert first == utc(2025, 10, 26, 0, 0)
    assert COPENHAGEN.next_run(first) == utc(2025, 10, 27, 1, 0)


def test_bad_times_and_zones_are_refused_with_the_option_named():
    with pytest.raises(ValueError, match="--at"):
        NightlySchedule.parse("25:00")
    with pytest.raises(ValueError, match="--timezone"):
        NightlySchedule.parse("02:00", "Europe/Nowhere")


def test_a_failed_night_is_logged_and_the_next_night_publishes(tmp_path: Path, caplog):
    now = [utc(2025, 6, 1, 12, 0)]
    slept: list[float] = []
    calls: list[date] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += timedelta(seconds=seconds)

    def publish(*, as_of, store, keep):
        calls.append(as_of)
        if len(calls) == 1:
            raise RuntimeError("database unreachable (injected)")
        manifest = {"counts": {"units": {"all": {"active": 1, "total": 2}}}, "feed": {"added": 0}}
        return SimpleNamespace(number=len(calls), manifest=manifest)

    with caplog.at_level(logging.INFO, logger="opensor.publication.nightly"):
        run_nightly(
            COPENHAGEN,
            store=PublicationStore(tmp_path),
            publish=publish,
            clock=lambda: now[0],
            sleep=sleep,
            runs=2,
        )
    assert calls == [date(2025, 6, 2), date(2025, 6, 3)]
    assert max(slept) <= 60
    assert "failed; it is retried next night" in caplog.text
    assert "injected" in caplog.text
    assert "publication 2 as of 2025-06-03" in caplog.text
