"""The access middleware: bearer tokens, rate limits and the history guard.

For every HTTP request of the lookup service, before anything else:

1. **Token** — an ``Authorization: Bearer …`` header is verified against the key file
   (:class:`~opensor.lookup.access.KeyRing`); a malformed, forged, expired, revoked or
   unknown-key token is answered ``401`` with ``WWW-Authenticate: Bearer
   error="invalid_token"`` and never falls back to anonymous access. Without a header the
   caller is anonymous.
2. **Rate limit** — a token bucket per client address (anonymous) or per client id (token):
   ``rate`` requests a second sustained, ``burst`` at once. Every limited response carries
   ``RateLimit-Limit`` (the burst), ``RateLimit-Remaining``, ``RateLimit-Reset`` (seconds
   until the bucket is full again) and ``RateLimit-Policy`` (``<burst>;w=<seconds to refill
   it>``); a request over the limit is answered ``429`` with ``Retry-After``. Buckets live in
   the worker process: with ``N`` workers an address may reach ``N`` times the limit (set
   the limits per worker, i.e. the intended limit divided by the worker count).
3. **History guard** — while the protected channel is active, a read ``as_of`` a day before
   today (any path but the change feed and the publication list, which stay public) needs
   the ``lookup:history`` scope: ``401`` without a token, ``403`` with one that lacks it.

The :class:`~opensor.lookup.access.Caller` is put on the scope (``opensor.caller``) for the
endpoints (personal-data fields, access log).
"""

from __future__ import annotations

import json
import math
import time
from datetime import date
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opensor.lookup.access import (
    HISTORY,
    QUOTA_HIGH,
    AccessSettings,
    Caller,
    KeyRing,
    TokenRejected,
    scope_refusal,
)

__all__ = ["AccessMiddleware", "RateLimiter"]

_PUBLIC_HISTORY_PREFIXES = ("/api/v1/changes", "/api/v1/publications", "/fhir")
"""Paths whose ``as_of``-like parameters stay public (the feed, FHIR ``_history``)."""


class RateLimiter:
    """Token buckets by key: ``rate`` tokens a second up to ``burst``, one per request."""

    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self.buckets: dict[str, list[float]] = {}
        self.window = math.ceil(burst / rate) if rate > 0 else 0

    def take(self, key: str, now: float) -> tuple[bool, int, int]:
        """Take one token for ``key``: (allowed, tokens remaining, seconds until full)."""
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self.buckets[key] = [float(self.burst), now]
        else:
            tokens = bucket[0] + (now - bucket[1]) * self.rate
            bucket[0] = tokens if tokens < self.burst else float(self.burst)
            bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            allowed = True
        else:
            allowed = False
        missing = self.burst - bucket[0]
        reset = math.ceil(missing / self.rate) if self.rate > 0 else 0
        return allowed, int(bucket[0]), reset

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` has a token again (at least 1)."""
        bucket = self.buckets.get(key)
        if bucket is None or self.rate <= 0:
            return 1
        return max(1, math.ceil((1.0 - bucket[0]) / self.rate))

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled (their keys start afresh anyway)."""
        full = [
            key
            for key, (tokens, last) in self.buckets.items()
            if tokens + (now - last) * self.rate >= self.burst
        ]
        for key in full:
            del self.buckets[key]
        if len(self.buckets) >= self.max_keys:
            self.buckets.clear()


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def _refuse(
    send: Send,
    status: int,
    title: str,
    detail: str,
    headers: list[tuple[bytes, bytes]],
) -> None:
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AccessMiddleware:
    """Verifies tokens, limits rates and guards past states (see the module's description)."""

    def __init__(self, app: ASGIApp, settings: AccessSettings, keys: KeyRing) -> None:
        self.app = app
        self.settings = settings
        self.keys = keys
        self.anonymous = RateLimiter(settings.rate, settings.burst)
        self.clients = RateLimiter(settings.client_rate, settings.client_burst)
        self.high = RateLimiter(settings.high_rate, settings.high_burst)
        self._today = ("", 0.0)

    def active(self) -> bool:
        """Whether the protected channel is active (see :mod:`opensor.lookup.access`)."""
        protect = self.settings.protect
        if protect == "on":
            return True
        if protect == "off":
            return False
        return self.keys.configured

    def _address(self, scope: Scope) -> str:
        if self.settings.trust_forwarded:
            forwarded = _header(scope, b"x-forwarded-for")
            if forwarded:
                return forwarded.split(b",")[0].strip().decode("latin-1")
        client = scope.get("client")
        return str(client[0]) if client else ""

    def _today_iso(self, now: float) -> str:
        text, at = self._today
        if now - at > 1.0:
            text = date.today().isoformat()
            self._today = (text, now)
        return text

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection (only HTTP requests are checked)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        active = self.active()
        authorization = _header(scope, b"authorization")
        if authorization is not None:
            scheme, _, token = authorization.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                await _refuse(
                    send,
                    401,
                    "Unauthorized",
                    "use 'Authorization: Bearer <token>' with a token from the token endpoint",
                    [(b"www-authenticate", b'Bearer realm="opensor"')],
                )
                return
            try:
                caller = self.keys.verify(token.strip())
            except TokenRejected as error:
                await _refuse(
                    send,
                    401,
                    "Unauthorized",
                    str(error),
                    [
                        (
                            b"www-authenticate",
                            b'Bearer realm="opensor", error="invalid_token"',
                        )
                    ],
                )
                return
        else:
            caller = Caller(protected=active)
        now = time.monotonic()
        limiter: RateLimiter | None
        if caller.client_id is not None:
            key = caller.client_id
            limiter = self.high if QUOTA_HIGH in caller.scopes else self.clients
        else:
            key = self._address(scope)
            limiter = None if key in self.settings.exempt else self.anonymous
        extra: list[tuple[bytes, bytes]] = []
        if limiter is not None:
            allowed, remaining, reset = limiter.take(key, now)
            extra = [
                (b"ratelimit-limit", str(limiter.burst).encode()),
                (b"ratelimit-remaining", str(remaining).encode()),
                (b"ratelimit-reset", str(reset).encode()),
                (b"ratelimit-policy", f"{limiter.burst};w={limiter.window}".encode()),
            ]
            if not allowed:
                wait = limiter.retry_after(key)
                await _refuse(
                    send,
                    429,
                    "Too Many Requests",
                    f"the rate limit is {limiter.rate:g} requests a second (bursts of "
                    f"{limiter.burst}); try again in {wait} s, or ask for the protected "
                    "channel's higher quota",
                    [(b"retry-after", str(wait).encode()), *extra],
                )
                return
        if active and not caller.may(HISTORY) and self._asks_history(scope, now):
            status, title, challenge = scope_refusal(caller, HISTORY)
            detail = (
                "reads of past states (as_of before today) need a token with the scope "
                "'lookup:history' from the protected channel; the change feed stays public"
                if status == 401
                else "the client's token lacks the scope 'lookup:history' needed for reads of "
                "past states (as_of before today)"
            )
            await _refuse(send, status, title, detail, [(b"www-authenticate", challenge), *extra])
            return
        scope["opensor.caller"] = caller
        if not extra:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _asks_history(self, scope: Scope, now: float) -> bool:
        """Whether the request asks for a state as of a day before today."""
        query: bytes = scope.get("query_string", b"")
        if b"as_of" not in query and b"%" not in query:
            return False
        path: str = scope["path"]
        if path.startswith(_PUBLIC_HISTORY_PREFIXES):
            return False
        today = self._today_iso(now)
        for part in query.split(b"&"):
            name, _, value = part.partition(b"=")
            if unquote_plus(name.decode("latin-1")) == "as_of":
                text = unquote_plus(value.decode("latin-1")).strip()
                if len(text) == 10 and text[4] == "-" and text[7] == "-" and text < today:
                    return True
        return False
