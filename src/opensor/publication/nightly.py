"""The nightly runner: publish once a day at a fixed local time, for as long as it runs.

``sor publish --nightly`` calls :func:`run_nightly`. It sleeps until the next run time
(default 02:00 Europe/Copenhagen), publishes as of that day, logs the outcome and goes back to
sleep. A failed run is logged with its traceback and retried the next night; the previous
publication keeps serving in the meantime. Daylight-saving changes are handled by computing
each run time in the configured zone: on the night clocks go forward a run time inside the
skipped hour happens an hour later, on the night they go back it happens once.

Cron or a systemd timer calling plain ``sor publish`` is the alternative (``docs/publication.md``).
"""

from __future__ import annotations

import logging
import time as time_module
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opensor.publication.store import Publication, PublicationStore

__all__ = ["NightlySchedule", "run_nightly"]

logger = logging.getLogger("opensor.publication.nightly")

_MAX_NAP = 60.0
"""Sleep at most this long at a time, so a changed system clock is noticed."""


@dataclass(frozen=True)
class NightlySchedule:
    """A daily run time in a time zone."""

    at: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, at: str, zone: str = "Europe/Copenhagen") -> NightlySchedule:
        """A schedule from ``HH:MM`` and a time-zone name; ``ValueError`` saying what is wrong."""
        try:
            hours, minutes = (int(part) for part in at.split(":"))
            moment = time(hours, minutes)
        except ValueError:
            raise ValueError(f"--at {at!r} is not a time of day in the form HH:MM") from None
        try:
            info = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"--timezone {zone!r} is not a known time zone name") from None
        return cls(moment, info)

    def next_run(self, now: datetime) -> datetime:
        """The first run time strictly after ``now`` (an aware datetime), in UTC."""
        local = now.astimezone(self.zone)
        day = local.date()
        while True:
            candidate = datetime.combine(day, self.at, tzinfo=self.zone).astimezone(UTC)
            if candidate > now:
                return candidate
            day += timedelta(days=1)

    def day_of(self, moment: datetime) -> date:
        """The calendar date of ``moment`` in the schedule's zone (the publication date)."""
        return moment.astimezone(self.zone).date()


def run_nightly(
    schedule: NightlySchedule,
    *,
    store: PublicationStore,
    keep: int = 7,
    publish: Callable[..., Publication] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time_module.sleep,
    runs: int | None = None,
) -> None:
    """Publish every day at ``schedule``'s time until interrupted (or after ``runs`` runs).

    ``publish`` defaults to :func:`opensor.publication.builder.publish`; ``clock``, ``sleep``
    and ``runs`` exist for tests.
    """
    if publish is None:
        from opensor.publication.builder import publish as build

        publish = build
    done = 0
    while runs is None or done < runs:
        due = schedule.next_run(clock())
        logger.info(
            "next publication at %s (%s)",
            due.astimezone(schedule.zone).isoformat(timespec="minutes"),
            schedule.zone.key,
        )
        while (remaining := (due - clock()).total_seconds()) > 0:
            sleep(min(remaining, _MAX_NAP))
        day = schedule.day_of(due)
        started = time_module.perf_counter()
        try:
            publication = publish(as_of=day, store=store, keep=keep)
        except Exception:
            logger.exception("publication as of %s failed; it is retried next night", day)
        else:
            counts = publication.manifest.get("counts", {}).get("units", {}).get("all", {})
            logger.info(
                "publication %d as of %s built in %.1f s: %s active of %s units, %s events",
                publication.number,
                day,
                time_module.perf_counter() - started,
                counts.get("active"),
                counts.get("total"),
                publication.manifest.get("feed", {}).get("added"),
            )
        done += 1
