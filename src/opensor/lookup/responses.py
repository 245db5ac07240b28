"""Lean responses: stored bytes with precomputed headers, entity tags and conditional GETs.

A read by id writes the bytes the publisher stored; :class:`StoredResponse` takes the raw
header list as it is, so answering costs little more than the socket write. Entity tags are
strong (``"…"``); ``If-None-Match`` is compared weakly, as RFC 9110 asks.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Scope

__all__ = [
    "JSON_TYPE",
    "StoredResponse",
    "cache_control",
    "dump_json",
    "etag_for",
    "json_response",
    "not_modified",
    "request_header",
]

JSON_TYPE = b"application/json"


class StoredResponse(Response):
    """A response of ready bytes and a ready raw header list (``content-length`` added)."""

    def __init__(
        self,
        body: bytes,
        headers: list[tuple[bytes, bytes]],
        status_code: int = 200,
        media_type: bytes = JSON_TYPE,
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        if status_code == 304:
            self.raw_headers = headers
        else:
            self.raw_headers = [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ]


def request_header(scope: Scope, name: bytes) -> bytes | None:
    """The value of request header ``name`` (lower-case bytes), or ``None``."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def not_modified(scope: Scope, etag: bytes) -> bool:
    """Whether the request's ``If-None-Match`` matches ``etag`` (``"…"``, weak comparison)."""
    header = request_header(scope, b"if-none-match")
    if header is None:
        return False
    if header == etag or header.strip() == b"*":
        return True
    for candidate in header.split(b","):
        candidate = candidate.strip()
        if candidate.startswith(b"W/"):
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


def cache_control(max_age: int, *, immutable: bool = False) -> bytes:
    """A ``Cache-Control`` value for public content."""
    value = f"public, max-age={max_age}"
    if immutable:
        value += ", immutable"
    return value.encode()


def etag_for(*parts: object) -> bytes:
    """A strong entity tag derived from ``parts`` (e.g. publication number and request URL)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=10).hexdigest()
    return b'"' + digest.encode() + b'"'


def dump_json(data: Any) -> bytes:
    """Compact UTF-8 JSON.

    orjson writes the same bytes as ``json.dumps`` with ``ensure_ascii=False`` and compact
    separators for the documents served, several times faster.
    """
    try:
        return orjson.dumps(data)
    except TypeError:  # what orjson does not take (an integer beyond 64 bits, say)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(
    scope: Scope,
    body: bytes | Any,
    *,
    etag: bytes | None,
    cache: bytes,
    media_type: bytes = JSON_TYPE,
) -> Response:
    """``body`` (bytes, or data to encode) with ETag and Cache-Control; 304 when it matches."""
    headers = [(b"cache-control", cache)]
    if etag is not None:
        headers.append((b"etag", etag))
        if not_modified(scope, etag):
            return StoredResponse(b"", headers, 304, media_type)
    if not isinstance(body, bytes):
        body = dump_json(body)
    return StoredResponse(body, headers, 200, media_type)
