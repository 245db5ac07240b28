"""Downloads of the complete SorTree file that concern a data subject, for the report.

A download of ``sortree-complete.xml`` through the protected channel is one read of every sole
proprietorship in that file: the lookup service logs it as one access-log entry whose unit is
``*`` and whose path names the publication (``/api/v1/publications/N/files/…``), not one
entry per unit. :func:`complete_file_downloads` finds the entries that concern the units of a
data subject's report (a sole proprietorship and the units below it):

* **the publication is still kept** in the store: its read model says exactly which of the
  units it held as personal data (valid on its date, ``active``, and marked, ``personal_data``);
  a download of a publication that held none of them is left out, and counted;
* **the publication is no longer kept** (or the path names none): what it held can no longer be
  checked, so the register's own history stands in for it. The download is listed when one of
  the units had a version marked as personal data that was valid on the day of the download
  (Danish time) as the register knew it at that moment (recorded before it, not yet
  superseded), which is what a publication made that day held. A download of an older
  publication made the same day may have held a different state (see docs/access.md).

Each listed download names the basis it was listed on and the units it concerns.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from django.utils import timezone

from opensor.lookup.accesslog import read_entries
from opensor.lookup.common import API
from opensor.lookup.publications import ALL_PERSONAL_UNITS
from opensor.publication.exports import PERSONAL_DATA_FILES
from opensor.publication.store import PublicationStore
from opensor.register.units.models import UnitVersion

__all__ = [
    "BY_PUBLICATION",
    "BY_REGISTER_HISTORY",
    "COMPLETE_FILE_EXPLANATION",
    "COMPLETE_FILE_LABEL",
    "complete_file_downloads",
    "publication_of_path",
]

BY_PUBLICATION = "publication"
"""Listed because the downloaded publication, still kept, held the unit as personal data."""
BY_REGISTER_HISTORY = "register-history"
"""Listed because the publication is no longer kept and the register's history says the unit
was marked as personal data on the day of the download."""

COMPLETE_FILE_LABEL = {
    "da": "Hentning af den komplette SorTree-fil (alle enkeltmandsvirksomheder)",
    "en": "Download of the complete SorTree file (every sole proprietorship)",
}
"""What one of these reads is, in the report's languages."""

COMPLETE_FILE_EXPLANATION = {
    "da": (
        "En hentning af den komplette SorTree-fil (sortree-complete.xml) er én læsning af alle "
        "enkeltmandsvirksomheder i filen og logges som én post. Her vises de hentninger, der "
        "omfattede enhederne i rapporten. Opbevares publikationen endnu, afgør dens egne data, "
        "om den indeholdt enheden som personoplysninger (grundlag: publikationen). Opbevares "
        "den ikke længere, kan det ikke efterprøves; så vises hentningen, hvis enheden efter "
        "registerets historik var markeret som personoplysninger på dagen for hentningen, som "
        "registeret kendte den på det tidspunkt (grundlag: registerets historik). En hentning "
        "af en ældre publikation kan da have indeholdt en anden tilstand."
    ),
    "en": (
        "A download of the complete SorTree file (sortree-complete.xml) is one read of every "
        "sole proprietorship in the file and is logged as one entry. Listed here are the "
        "downloads that covered the units of this report. While the publication is kept, its "
        "own data decides whether it held the unit as personal data (basis: publication). Once "
        "it is gone that can no longer be checked; the download is then listed when the "
        "register's history has the unit marked as personal data on the day of the download, "
        "as the register knew it at that moment (basis: register history). A download of an "
        "older publication may then have held another state."
    ),
}
"""How the downloads in the report were chosen, in the report's languages."""

_FILE_PATH = re.compile(rf"^{re.escape(API)}/publications/([0-9]{{1,9}})/files/([^/?#]+)$")
_EVERY_ENTRY = 1 << 62
"""``read_entries``' limit for these entries: the report leaves none out."""


def publication_of_path(path: str) -> int | None:
    """The publication a complete-file download's logged path names, or ``None``."""
    match = _FILE_PATH.match(path)
    if match is None or match.group(2) not in PERSONAL_DATA_FILES:
        return None
    number = int(match.group(1))
    return number if number > 0 else None


@dataclass(frozen=True)
class _PersonalVersion:
    """A version of a unit marked as personal data: its valid time and its record time."""

    unit_id: int
    valid_from: date
    valid_to: date | None
    recorded_at: datetime
    superseded_at: datetime | None

    def covers(self, moment: datetime, day: date) -> bool:
        """Whether the register, at ``moment``, held this version as valid on ``day``."""
        known = self.recorded_at <= moment and (
            self.superseded_at is None or moment < self.superseded_at
        )
        valid = self.valid_from <= day and (self.valid_to is None or day < self.valid_to)
        return known and valid


def _personal_versions(unit_ids: list[int]) -> list[_PersonalVersion]:
    """Every version of the units marked as personal data, superseded ones included."""
    rows = UnitVersion.objects.filter(unit_id__in=unit_ids, personal_data=True).values_list(
        "unit_id", "valid_from", "valid_to", "recorded_at", "superseded_at"
    )
    return [_PersonalVersion(*row) for row in rows.order_by("unit_id", "id")]


def _held_by_publication(store: PublicationStore, number: int, unit_ids: list[int]) -> set[int]:
    """The units publication ``number`` held as personal data (``ValueError``: not kept)."""
    publication = store.get(number)
    if publication is None:
        raise ValueError(f"publication {number} is not kept")
    try:
        connection = sqlite3.connect(f"file:{publication.read_model_path}?mode=ro", uri=True)
    except sqlite3.Error as error:  # pruned since store.get found it
        raise ValueError(f"publication {number} is not readable: {error}") from error
    try:
        marks = ",".join("?" * len(unit_ids))
        rows = connection.execute(
            "SELECT sor_id FROM unit WHERE active = 1 AND personal_data = 1 "
            f"AND sor_id IN ({marks})",
            unit_ids,
        ).fetchall()
    except sqlite3.Error as error:
        raise ValueError(f"publication {number} is not readable: {error}") from error
    finally:
        connection.close()
    return {int(sor_id) for (sor_id,) in rows}


def _moment(read_at: str) -> datetime:
    """An access-log time (``2025-06-01T10:00:00.123456Z``) as an aware datetime."""
    moment = datetime.fromisoformat(read_at)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def complete_file_downloads(
    unit_ids: Iterable[int], *, access_log: Path, store: PublicationStore
) -> dict[str, Any]:
    """The complete-file downloads that concern ``unit_ids``, and how they were chosen.

    Returns ``label`` and ``explanation`` (Danish and English), ``downloads`` (oldest first:
    the log entry with ``publication``, ``units`` — the SOR-IDs it concerns — and ``basis``,
    :data:`BY_PUBLICATION` or :data:`BY_REGISTER_HISTORY`) and ``not_concerning``, the number
    of complete-file downloads in the log that held none of the units.
    """
    ids = sorted(set(unit_ids))
    entries = read_entries(access_log, sor_id=ALL_PERSONAL_UNITS, limit=_EVERY_ENTRY)
    versions: list[_PersonalVersion] | None = None
    held: dict[int, set[int] | None] = {}
    downloads, not_concerning = [], 0
    for entry in entries:
        number = publication_of_path(entry["path"])
        if number is not None and number not in held:
            try:
                held[number] = _held_by_publication(store, number, ids)
            except ValueError:
                held[number] = None
        known = held.get(number) if number is not None else None
        if known is not None:
            concerned, basis = known, BY_PUBLICATION
        else:
            if versions is None:
                versions = _personal_versions(ids)
            moment = _moment(entry["read_at"])
            day = timezone.localtime(moment).date()
            concerned = {v.unit_id for v in versions if v.covers(moment, day)}
            basis = BY_REGISTER_HISTORY
        if not concerned:
            not_concerning += 1
            continue
        downloads.append(
            {
                **entry,
                "publication": number,
                "units": [str(unit_id) for unit_id in ids if unit_id in concerned],
                "basis": basis,
            }
        )
    return {
        "label": COMPLETE_FILE_LABEL,
        "explanation": COMPLETE_FILE_EXPLANATION,
        "downloads": downloads,
        "not_concerning": not_concerning,
    }
