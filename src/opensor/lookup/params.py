"""Parsing and checking request parameters: every failure is a 400 naming the parameter.

Each endpoint declares the query parameters it takes; :func:`query_params` refuses any other
(and any given twice). The ``parse_*`` helpers turn one value into its typed form or raise
:class:`~opensor.lookup.problems.ApiError` saying what was wrong and what is allowed.

Cursors (:func:`encode_cursor` / :func:`decode_cursor`) are opaque to clients: URL-safe base64
of a small JSON list holding the publication number, a fingerprint of the query they belong
to and the sort key of the last row returned.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Scope

from opensor.domain.errors import InvalidIdentifier
from opensor.domain.identifiers import (
    validate_cvr,
    validate_gln,
    validate_postcode,
    validate_provider_number,
    validate_shak,
    validate_sor_id,
)
from opensor.lookup.problems import ApiError, bad_parameter

__all__ = [
    "Cursor",
    "decode_cursor",
    "encode_cursor",
    "parse_bool",
    "parse_code_list",
    "parse_date",
    "parse_gln",
    "parse_int",
    "parse_near",
    "parse_sor_id",
    "query_fingerprint",
    "query_params",
]

_EMPTY: dict[str, str] = {}


def query_params(scope: Scope, allowed: Iterable[str]) -> dict[str, str]:
    """The request's query parameters, refusing unknown and repeated ones.

    Parameters given with an empty value are treated as absent.
    """
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return _EMPTY
    allowed_set = allowed if isinstance(allowed, frozenset | set) else frozenset(allowed)
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise ApiError(
            "invalid-parameter",
            "the query string is not valid UTF-8 once its %-escapes are decoded",
        ) from None
    result: dict[str, str] = {}
    for name, value in pairs:
        if name not in allowed_set:
            names = ", ".join(sorted(allowed_set)) or "none"
            raise ApiError(
                "unknown-parameter",
                f"unknown query parameter {name!r}; this endpoint takes: {names}",
                parameter=name,
                allowed=sorted(allowed_set),
            )
        if name in result:
            raise ApiError(
                "unknown-parameter",
                f"query parameter {name!r} is given more than once; give it once "
                "(lists are comma-separated)",
                parameter=name,
                allowed=sorted(allowed_set),
            )
        value = value.strip()
        if value:
            result[name] = value
    return result


def parse_int(name: str, value: str, *, minimum: int, maximum: int | None = None) -> int:
    """An integer within ``[minimum, maximum]``."""
    allowed = f"an integer ≥ {minimum}" + (f" and ≤ {maximum}" if maximum is not None else "")
    if not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 19:
        raise bad_parameter(name, value, "is not an integer", allowed)
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        raise bad_parameter(name, value, "is out of range", allowed)
    return number


def parse_date(name: str, value: str) -> date:
    """An ISO date ``YYYY-MM-DD``."""
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise bad_parameter(
            name, value, "is not a date", "an ISO 8601 date YYYY-MM-DD, e.g. 2025-06-01"
        ) from None


def parse_bool(name: str, value: str) -> bool:
    """``true`` or ``false`` (also ``1``/``0``, ``yes``/``no``)."""
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise bad_parameter(name, value, "is not a boolean", "true or false")


def parse_sor_id(name: str, value: str) -> int:
    """A valid SOR-ID (digits, namespace 1000016, Verhoeff check digit)."""
    try:
        return validate_sor_id(value)
    except InvalidIdentifier as error:
        raise bad_parameter(
            name,
            value,
            f"is not a valid SOR-ID ({error.reason})",
            "a SOR-ID of 11 to 18 digits in namespace 1000016 with its Verhoeff check digit",
        ) from None


def parse_gln(name: str, value: str) -> str:
    """A valid GLN (13 digits, GS1 check digit)."""
    try:
        return validate_gln(value)
    except InvalidIdentifier as error:
        raise bad_parameter(
            name,
            value,
            f"is not a valid GLN ({error.reason})",
            "a 13-digit GLN (EAN location number) with its GS1 check digit",
        ) from None


_CODE_CHECKS: dict[str, tuple[Any, str]] = {
    "shak": (validate_shak, "a SHAK code of 4, 6 or 7 characters (digits and A-Z)"),
    "ydernummer": (validate_provider_number, "a provider number (ydernummer) of up to 6 digits"),
    "cvr": (validate_cvr, "an 8-digit CVR number passing the modulus-11 check"),
    "ean": (validate_gln, "a 13-digit GLN with its GS1 check digit"),
}


def parse_code(name: str, value: str) -> str:
    """A SHAK code, provider number, CVR number or GLN, checked and normalised."""
    check, allowed = _CODE_CHECKS[name]
    try:
        result: str = check(value)
    except InvalidIdentifier as error:
        raise bad_parameter(name, value, f"is invalid ({error.reason})", allowed) from None
    return result


def parse_code_list(
    name: str, value: str, *, pattern: Any, allowed: str, normalise: Any = None
) -> list[str]:
    """A comma-separated list of codes, each matching ``pattern`` (a compiled regex)."""
    items = [item.strip() for item in value.split(",")]
    result = []
    for item in items:
        if normalise is not None:
            item = normalise(item)
        if not item or not pattern.fullmatch(item):
            raise bad_parameter(name, value, f"has the invalid entry {item!r}", allowed)
        result.append(item)
    if len(result) > 50:
        raise bad_parameter(name, value, "lists more than 50 values", allowed)
    return result


def parse_postcodes(name: str, value: str) -> list[str]:
    """Comma-separated postcodes of Denmark, Greenland or the Faroe Islands."""
    result = []
    for item in value.split(","):
        item = item.strip()
        try:
            country = "FO" if len(item) == 3 else "DK"
            result.append(validate_postcode(item, country))
        except InvalidIdentifier as error:
            raise bad_parameter(
                name,
                value,
                f"has the invalid postcode {item!r} ({error.reason})",
                "comma-separated postcodes: 4 digits (DK, GL) or 3 digits (FO)",
            ) from None
    return result


def parse_near(value: str, radius: str | None) -> tuple[float, float, float]:
    """``near=lat,lon`` and ``radius_km`` (default 10, at most 500) as floats."""
    parts = value.split(",")
    allowed = "latitude,longitude in decimal degrees (WGS84), e.g. 55.676,12.568"
    if len(parts) != 2:
        raise bad_parameter("near", value, "is not a latitude,longitude pair", allowed)
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise bad_parameter("near", value, "is not two decimal numbers", allowed) from None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise bad_parameter("near", value, "is out of range", allowed)
    km = 10.0
    if radius is not None:
        try:
            km = float(radius)
        except ValueError:
            raise bad_parameter(
                "radius_km", radius, "is not a number", "a distance in km, > 0 and ≤ 500"
            ) from None
        if not 0.0 < km <= 500.0:
            raise bad_parameter(
                "radius_km", radius, "is out of range", "a distance in km, > 0 and ≤ 500"
            )
    return lat, lon, km


# --------------------------------------------------------------------------------------------
# Cursors
# --------------------------------------------------------------------------------------------


class Cursor:
    """A decoded cursor: the publication it belongs to and the sort key of the last row."""

    __slots__ = ("fingerprint", "key", "publication")

    def __init__(self, publication: int, fingerprint: str, key: list[Any]) -> None:
        self.publication = publication
        self.fingerprint = fingerprint
        self.key = key


def query_fingerprint(params: dict[str, str]) -> str:
    """A short digest of the query a cursor belongs to (without ``cursor`` and ``limit``)."""
    relevant = sorted((k, v) for k, v in params.items() if k not in ("cursor", "limit"))
    return hashlib.blake2b(repr(relevant).encode(), digest_size=6).hexdigest()


def encode_cursor(publication: int, fingerprint: str, key: list[Any]) -> str:
    """An opaque cursor continuing after the row whose sort key is ``key``."""
    raw = json.dumps([publication, fingerprint, key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_CURSOR_ALLOWED = "a cursor copied from the `next` link of the previous page of the same query"


def decode_cursor(value: str, fingerprint: str) -> Cursor:
    """The cursor in ``value``; a 400 problem if it is not one or belongs to another query."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        publication, print_, key = json.loads(raw)
        if not isinstance(publication, int) or not isinstance(key, list):
            raise ValueError
    except (ValueError, binascii.Error, TypeError, UnicodeDecodeError):
        raise bad_parameter("cursor", value, "is not a cursor", _CURSOR_ALLOWED) from None
    if print_ != fingerprint:
        raise bad_parameter(
            "cursor", value, "belongs to a query with other parameters", _CURSOR_ALLOWED
        )
    return Cursor(publication, print_, key)
