"""The protected channel as the lookup service sees it: keys, tokens, callers and scopes.

A consuming system with an approved access request gets a client id and secret from the
register and exchanges them for a short-lived signed token (OAuth 2 client credentials,
``POST /api/v1/register/oauth/token``). The token is a JWT signed with Ed25519 (``EdDSA``);
its header names the signing key (``kid``). The lookup service verifies it **without calling
the register**: the register writes the verification (public) keys and the revoked client ids
to a small JSON file, the *key file*, beside the publications (``<store>/access-keys.json``,
or ``SOR_ACCESS_KEYS``), and every lookup process re-reads it when it changes (checked every
``SOR_ACCESS_KEYS_CHECK`` seconds, default 5). Copying the file to a node is how a rotation or
a revocation reaches it: within seconds on the same host, within the copy interval elsewhere.

Scopes (:data:`SCOPES`): ``lookup:history`` (reads as of a day before today),
``lookup:quota-high`` (the higher rate limit) and ``lookup:personal-data`` (the contact fields
of units marked as personal data). The public channel needs no token.

The channel is *active* when ``SOR_PROTECTED_CHANNEL`` is ``on``, or when it is ``auto`` (the
default) and the key file holds at least one key; while it is inactive, past states and
personal-data fields are public as before (a register without a protected channel).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from opensor.domain.personal import PERSONAL_CONTACT_FIELDS, redact_unit_document

__all__ = [
    "ANONYMOUS",
    "HISTORY",
    "KEY_FILE_FORMAT",
    "PERSONAL_CONTACT_FIELDS",
    "PERSONAL_DATA",
    "QUOTA_HIGH",
    "SCOPES",
    "AccessSettings",
    "Caller",
    "KeyRing",
    "TokenRejected",
    "b64url_decode",
    "b64url_encode",
    "caller_of",
    "redact_unit_document",
    "scope_refusal",
]

HISTORY = "lookup:history"
"""Scope: reads of past states (``as_of`` before today) of the REST API and the web page."""
QUOTA_HIGH = "lookup:quota-high"
"""Scope: the higher rate limit (``SOR_RATE_LIMIT_HIGH``)."""
PERSONAL_DATA = "lookup:personal-data"
"""Scope: the personal-data fields of units marked as personal data."""
SCOPES = (HISTORY, QUOTA_HIGH, PERSONAL_DATA)
"""Every scope a client can be granted."""

KEY_FILE_FORMAT = "opensor-access-keys/1"
"""The ``format`` of the key file."""

_LEEWAY = 30
"""Seconds of clock difference tolerated on ``exp``, ``nbf`` and ``iat``."""


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url, as JWTs use."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url (``ValueError`` when malformed)."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error


@dataclass(frozen=True, slots=True)
class AccessSettings:
    """The access settings of a lookup process (from the environment by :meth:`from_env`)."""

    protect: str = "auto"
    """``on``, ``off`` or ``auto`` (active when the key file has a key)."""
    key_file: Path | None = None
    """The key file; ``None``: ``access-keys.json`` in the publication store."""
    keys_check_interval: float = 5.0
    """Seconds between checks of the key file for changes."""
    rate: float = 50.0
    """Anonymous requests a second per client address, sustained (``SOR_RATE_LIMIT``)."""
    burst: int = 1000
    """Anonymous requests a client address may make at once (``SOR_RATE_BURST``)."""
    client_rate: float = 100.0
    """Requests a second of a client with a token (``SOR_RATE_LIMIT_CLIENT``)."""
    client_burst: int = 2000
    """Burst of a client with a token (``SOR_RATE_BURST_CLIENT``)."""
    high_rate: float = 1000.0
    """Requests a second of a client with ``lookup:quota-high`` (``SOR_RATE_LIMIT_HIGH``)."""
    high_burst: int = 5000
    """Burst of a client with ``lookup:quota-high`` (``SOR_RATE_BURST_HIGH``)."""
    exempt: frozenset[str] = field(default_factory=lambda: frozenset({"127.0.0.1", "::1"}))
    """Client addresses never limited (``SOR_RATE_EXEMPT``, comma-separated)."""
    trust_forwarded: bool = False
    """Take the client address from ``X-Forwarded-For`` (behind a trusted proxy only)."""
    access_log: Path | None = None
    """The access log of protected reads (``SOR_ACCESS_LOG``; default beside the store)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> AccessSettings:
        """Settings from ``SOR_*`` environment variables (defaults where unset)."""
        env = os.environ if environ is None else environ
        defaults = cls()

        def number(name: str, default: float) -> float:
            value = env.get(name)
            return float(value) if value else default

        exempt = env.get("SOR_RATE_EXEMPT")
        return cls(
            protect=env.get("SOR_PROTECTED_CHANNEL", "auto").lower(),
            key_file=Path(env["SOR_ACCESS_KEYS"]) if env.get("SOR_ACCESS_KEYS") else None,
            keys_check_interval=number("SOR_ACCESS_KEYS_CHECK", defaults.keys_check_interval),
            rate=number("SOR_RATE_LIMIT", defaults.rate),
            burst=int(number("SOR_RATE_BURST", defaults.burst)),
            client_rate=number("SOR_RATE_LIMIT_CLIENT", defaults.client_rate),
            client_burst=int(number("SOR_RATE_BURST_CLIENT", defaults.client_burst)),
            high_rate=number("SOR_RATE_LIMIT_HIGH", defaults.high_rate),
            high_burst=int(number("SOR_RATE_BURST_HIGH", defaults.high_burst)),
            exempt=(
                frozenset(a.strip() for a in exempt.split(",") if a.strip())
                if exempt is not None
                else defaults.exempt
            ),
            trust_forwarded=env.get("SOR_TRUST_FORWARDED", "") in ("1", "true", "yes"),
            access_log=Path(env["SOR_ACCESS_LOG"]) if env.get("SOR_ACCESS_LOG") else None,
        )


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: anonymous (``client_id`` ``None``) or a client with scopes."""

    client_id: str | None = None
    scopes: frozenset[str] = frozenset()
    purpose: str = ""
    protected: bool = False
    """Whether the protected channel is active (else every scope is granted to everyone)."""

    def may(self, scope: str) -> bool:
        """Whether the caller may read what ``scope`` protects."""
        return not self.protected or scope in self.scopes


ANONYMOUS = Caller()
"""The caller of a request no middleware has looked at (the channel is inactive)."""


def caller_of(scope: dict[str, Any] | Any) -> Caller:
    """The :class:`Caller` the access middleware put on the ASGI ``scope``."""
    caller: Caller | None = scope.get("opensor.caller")
    return caller if caller is not None else ANONYMOUS


def scope_refusal(caller: Caller, scope: str) -> tuple[int, str, bytes]:
    """How to refuse ``caller`` what ``scope`` protects: status, title, ``WWW-Authenticate``.

    ``401`` for an anonymous caller (it should come back with a token), ``403`` for a client
    whose token lacks the scope (RFC 6750 ``insufficient_scope``); the challenge names the scope.
    """
    if caller.client_id is None:
        return 401, "Unauthorized", f'Bearer realm="opensor", scope="{scope}"'.encode()
    challenge = f'Bearer realm="opensor", error="insufficient_scope", scope="{scope}"'
    return 403, "Forbidden", challenge.encode()


class TokenRejected(Exception):
    """A bearer token that is malformed, forged, expired, from an unknown key or revoked."""


@dataclass(frozen=True, slots=True)
class _Claims:
    client_id: str
    scopes: frozenset[str]
    expires: float
    purpose: str


class KeyRing:
    """The verification keys and revoked clients of the key file, re-read when it changes."""

    def __init__(
        self,
        path: Path,
        *,
        check_interval: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.check_interval = check_interval
        self.clock = clock
        self.keys: dict[str, Ed25519PublicKey] = {}
        self.revoked: frozenset[str] = frozenset()
        self.issuer = ""
        self._stamp: tuple[int, int] | None = None
        self._checked = float("-inf")
        self._cache: dict[str, _Claims] = {}
        self.refresh(force=True)

    @property
    def configured(self) -> bool:
        """Whether the key file names at least one verification key."""
        self.refresh()
        return bool(self.keys)

    def refresh(self, *, force: bool = False) -> None:
        """Re-read the key file if it changed (at most every ``check_interval`` seconds)."""
        now = time.monotonic()
        if not force and now - self._checked < self.check_interval:
            return
        self._checked = now
        try:
            stat = self.path.stat()
        except OSError:
            if self._stamp is not None or force:
                self.keys, self.revoked, self._stamp = {}, frozenset(), None
                self._cache.clear()
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp and not force:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            keys = {
                str(item["kid"]): Ed25519PublicKey.from_public_bytes(b64url_decode(item["x"]))
                for item in data.get("keys", [])
                if item.get("alg") == "EdDSA"
            }
            revoked = frozenset(str(c) for c in data.get("revoked_clients", []))
        except (OSError, ValueError, KeyError, TypeError):
            return  # a half-copied or broken file: keep the last good keys
        self.keys, self.revoked, self.issuer = keys, revoked, str(data.get("issuer", ""))
        self._stamp = stamp
        self._cache.clear()

    def verify(self, token: str) -> Caller:
        """The caller ``token`` names, or :class:`TokenRejected` with the reason."""
        self.refresh()
        claims = self._cache.get(token)
        if claims is None:
            claims = self._verify(token)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token] = claims
        if claims.expires + _LEEWAY < self.clock():
            raise TokenRejected("the token has expired; ask the token endpoint for a new one")
        if claims.client_id in self.revoked:
            raise TokenRejected("the client's credentials have been revoked")
        return Caller(claims.client_id, claims.scopes, claims.purpose, protected=True)

    def _verify(self, token: str) -> _Claims:
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenRejected("the token is not a JWT (three base64url parts)")
        try:
            header = json.loads(b64url_decode(parts[0]))
            payload = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except ValueError:
            raise TokenRejected("the token is not a JWT (malformed base64url or JSON)") from None
        if not isinstance(header, dict) or not isinstance(payload, dict):
            raise TokenRejected("the token is not a JWT")
        if header.get("alg") != "EdDSA":
            raise TokenRejected("the token's algorithm is not EdDSA")
        key = self.keys.get(str(header.get("kid")))
        if key is None:
            raise TokenRejected("the token is signed by an unknown or retired key")
        try:
            key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
        except (InvalidSignature, ValueError):
            raise TokenRejected("the token's signature is not valid") from None
        now = self.clock()
        try:
            expires = float(payload["exp"])
            client_id = str(payload["sub"])
            scopes = frozenset(str(payload.get("scope", "")).split())
        except (KeyError, TypeError, ValueError):
            raise TokenRejected("the token lacks 'sub' or 'exp'") from None
        if float(payload.get("nbf", 0)) > now + _LEEWAY:
            raise TokenRejected("the token is not valid yet")
        if self.issuer and payload.get("iss") != self.issuer:
            raise TokenRejected("the token was issued by another register")
        return _Claims(
            client_id, scopes & frozenset(SCOPES), expires, str(payload.get("purpose", ""))
        )
