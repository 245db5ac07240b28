"""Parsing FHIR search parameters: tokens, strings, references, dates, ``near``, paging.

Every malformed value raises :class:`~opensor.lookup.fhir.results.FhirError` (400) naming the
parameter and what is allowed. Values are split on unescaped commas (FHIR's "or"); a comma,
bar or dollar preceded by a backslash stands for the literal character.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from opensor.lookup.fhir.results import FhirError

__all__ = [
    "DateBound",
    "SearchParam",
    "parse_count",
    "parse_date_param",
    "parse_near",
    "parse_reference",
    "parse_since",
    "parse_token",
    "split_or",
]

_DATE = re.compile(
    r"(?P<year>[0-9]{4})(-(?P<month>[0-9]{2})(-(?P<day>[0-9]{2})"
    r"(T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(:(?P<second>[0-9]{2})(?P<fraction>\.[0-9]+)?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?"
)
_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")


@dataclass(frozen=True)
class SearchParam:
    """One query parameter: ``name``, ``modifier`` (after ``:``) and raw ``value``."""

    name: str
    modifier: str | None
    value: str

    @property
    def label(self) -> str:
        """The parameter as written (``name:modifier``)."""
        return f"{self.name}:{self.modifier}" if self.modifier else self.name

    @classmethod
    def of(cls, key: str, value: str) -> SearchParam:
        """Split ``name:modifier``."""
        name, _, modifier = key.partition(":")
        return cls(name, modifier or None, value)


def split_or(value: str) -> list[str]:
    """The comma-separated alternatives of a value (backslash-comma is a literal comma)."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in value:
        if escaped:
            current.append(char if char in ",|$\\" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def parse_token(value: str) -> tuple[str | None, str | None]:
    """``(system, code)`` of a token: ``system|code``, ``code``, ``system|`` or ``|code``.

    ``system`` is ``None`` when not given and ``""`` for ``|code`` (explicitly no system);
    ``code`` is ``None`` for ``system|``.
    """
    if "|" not in value:
        return None, value
    system, _, code = value.partition("|")
    return system, code or None


def parse_reference(param: SearchParam, value: str, target: str) -> str:
    """The id a reference value names: ``Type/id``, ``id`` or an absolute URL ending so.

    A reference to another type than ``target`` is refused.
    """
    text = value.rstrip("/")
    parts = text.split("/")
    if len(parts) >= 2:
        resource_type, resource_id = parts[-2], parts[-1]
        if resource_type != target:
            raise FhirError.bad_parameter(
                param.label, value, f"refers to a {resource_type}; this parameter takes {target}"
            )
    else:
        resource_id = parts[0]
    if not resource_id or not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", resource_id):
        raise FhirError.bad_parameter(
            param.label, value, f"expected {target}/[id] or [id] with a FHIR id"
        )
    return resource_id


@dataclass(frozen=True)
class DateBound:
    """A date search value: its prefix and the instants ``[start, end)`` its precision spans."""

    prefix: str
    start: datetime
    end: datetime


def _parse_moment(name: str, text: str) -> tuple[datetime, datetime]:
    # An unencoded "+" of an offset arrives as a space (form encoding); no date has a space.
    text = text.replace(" ", "+")
    match = _DATE.fullmatch(text)
    if match is None:
        raise FhirError.bad_parameter(
            name,
            text,
            "expected a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD or "
            "YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm])",
        )
    parts = match.groupdict()
    try:
        year = int(parts["year"])
        month = int(parts["month"] or 1)
        day = int(parts["day"] or 1)
        hour = int(parts["hour"] or 0)
        minute = int(parts["minute"] or 0)
        second = int(parts["second"] or 0)
        fraction = parts["fraction"] or ""
        micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
        zone: timezone = UTC
        if parts["zone"] and parts["zone"] != "Z":
            sign = 1 if parts["zone"][0] == "+" else -1
            hours, minutes = int(parts["zone"][1:3]), int(parts["zone"][4:6])
            zone = UTC if hours == minutes == 0 else _offset(sign * (hours * 60 + minutes))
        start = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    except ValueError as error:
        raise FhirError.bad_parameter(name, text, f"not a real date or time ({error})") from None
    if parts["fraction"]:
        end = start + timedelta(microseconds=10 ** max(0, 6 - (len(fraction) - 1)))
    elif parts["second"]:
        end = start + timedelta(seconds=1)
    elif parts["minute"]:
        end = start + timedelta(minutes=1)
    elif parts["day"]:
        end = start + timedelta(days=1)
    elif parts["month"]:
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    else:
        end = datetime(year + 1, 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _offset(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


def parse_date_param(param: SearchParam) -> list[DateBound]:
    """The alternatives of a date parameter (``_lastUpdated=ge2025-01-01``).

    Times are UTC unless they carry an offset.
    """
    bounds = []
    for alternative in split_or(param.value):
        prefix = alternative[:2] if alternative[:2].isalpha() else "eq"
        text = alternative[2:] if alternative[:2].isalpha() else alternative
        if prefix not in _PREFIXES:
            raise FhirError.bad_parameter(
                param.label,
                param.value,
                f"prefix {prefix!r} is not supported; use one of " + ", ".join(_PREFIXES),
            )
        start, end = _parse_moment(param.label, text)
        bounds.append(DateBound(prefix, start, end))
    return bounds


def parse_since(name: str, value: str) -> datetime:
    """The instant of ``_since`` (UTC when given without an offset; a date means midnight)."""
    start, _ = _parse_moment(name, value)
    return start


def parse_count(name: str, value: str, *, maximum: int) -> int:
    """``_count``: a whole number from 0, capped at ``maximum``."""
    if not value.isascii() or not value.isdigit():
        raise FhirError.bad_parameter(name, value, "expected a whole number from 0")
    return min(int(value), maximum)


_DISTANCE_UNITS = {"km": 1.0, "m": 0.001}
DEFAULT_NEAR_KM = 5.0
MAX_NEAR_KM = 1000.0


def parse_near(param: SearchParam) -> tuple[float, float, float]:
    """``near=lat|lon|distance|unit`` as ``(lat, lon, km)``; distance 5 and unit km by default."""
    parts = param.value.split("|")
    if len(parts) < 2 or len(parts) > 4:
        raise FhirError.bad_parameter(
            param.label,
            param.value,
            "expected latitude|longitude|distance|unit (e.g. 55.68|12.57|10|km)",
        )
    try:
        lat, lon = float(parts[0]), float(parts[1])
        distance = float(parts[2]) if len(parts) > 2 and parts[2] else DEFAULT_NEAR_KM
    except ValueError:
        raise FhirError.bad_parameter(
            param.label, param.value, "latitude, longitude and distance must be numbers"
        ) from None
    unit = parts[3] if len(parts) > 3 and parts[3] else "km"
    if unit not in _DISTANCE_UNITS:
        raise FhirError.bad_parameter(param.label, param.value, "the unit must be km or m")
    km = distance * _DISTANCE_UNITS[unit]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or any(math.isnan(x) for x in (lat, lon, km)):
        raise FhirError.bad_parameter(
            param.label, param.value, "latitude must be -90..90 and longitude -180..180"
        )
    if not 0 < km <= MAX_NEAR_KM:
        raise FhirError.bad_parameter(
            param.label, param.value, f"the distance must be above 0 and at most {MAX_NEAR_KM:g} km"
        )
    return lat, lon, km


def day_of(moment: datetime) -> date:
    """The UTC calendar day of an instant."""
    return moment.astimezone(UTC).date()
