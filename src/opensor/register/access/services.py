"""The protected channel's services: requests, decisions, credentials, keys and tokens.

* :func:`request_file` — a consuming system files an access request (organisation, CVR,
  purpose, contact, scopes).
* :func:`request_decide` — the authority approves (issuing a client id and secret) or
  rejects it, with a reason; audited.
* :func:`client_rotate`, :func:`client_revoke` — a new secret, or no access at all; audited.
  A revocation is written to the key file at once, so lookup nodes refuse the client's tokens
  within their key-file check interval (seconds), even tokens not yet expired.
* :func:`key_rotate` — a new signing key; the previous one stays in the key file (to verify
  tokens it signed) for :data:`RETIRED_KEY_GRACE` seconds, then drops out.
* :func:`token_issue` — the OAuth 2 client-credentials grant: a JWT signed with the newest
  key (``EdDSA``, ``kid``), valid for ``SOR_ACCESS_TOKEN_SECONDS`` (default 300).
* :func:`publish_keys` — writes the key file (verification keys, revoked clients) atomically.

Secrets are shown once and kept only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import transaction
from django.utils import timezone

from opensor.lookup.access import KEY_FILE_FORMAT, SCOPES, b64url_decode, b64url_encode
from opensor.publication.store import default_store_root, fsync_directory
from opensor.register.access.models import AccessRequest, ApiClient, SigningKey
from opensor.register.accounts.actors import Actor
from opensor.register.audit.models import AuditEvent, ChangeSet

__all__ = [
    "ISSUER",
    "RETIRED_KEY_GRACE",
    "AccessError",
    "client_revoke",
    "client_rotate",
    "key_file_path",
    "key_rotate",
    "publish_keys",
    "request_decide",
    "request_file",
    "require_authority_to",
    "token_issue",
    "token_seconds",
]

ISSUER = "opensor-register"
"""The ``iss`` of every token and the ``issuer`` of the key file."""
RETIRED_KEY_GRACE = 3600
"""Seconds a rotated-out key keeps verifying tokens (longer than any token lives)."""


class AccessError(Exception):
    """A refused access operation; ``code`` is the OAuth 2 error or a short reason."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def token_seconds() -> int:
    """How long a token lives (``SOR_ACCESS_TOKEN_SECONDS``, default 300)."""
    return int(os.environ.get("SOR_ACCESS_TOKEN_SECONDS", "300"))


def key_file_path() -> Path:
    """The key file: ``SOR_ACCESS_KEYS``, else ``access-keys.json`` in the publication store."""
    configured = os.environ.get("SOR_ACCESS_KEYS")
    return Path(configured) if configured else default_store_root() / "access-keys.json"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def require_authority_to(actor: Actor, what: str = "afgøre adgang og styre nøgler") -> None:
    """Refuse (403) anyone but the national authority, saying what only it may ``what``."""
    if not actor.is_authority:
        raise AccessError(
            "forbidden",
            f"kun myndigheden kan {what}; {actor.username} har "
            f"rollerne {actor.roles_text or 'ingen'}",
            403,
        )


def _audit(
    actor: Actor,
    operation: str,
    target_id: str,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    note: str = "",
) -> None:
    """One change set and one audit event (target type ``account``) for an access operation."""
    now = timezone.now()
    change_set = ChangeSet.objects.create(
        kind=ChangeSet.Kind.SERVICE,
        actor=actor.username,
        source=f"{actor.client} {operation}"[:500],
        summary={"operation": operation, "target": target_id},
        finished_at=now,
    )
    AuditEvent.objects.create(
        change_set=change_set,
        recorded_at=now,
        actor=actor.username,
        roles=actor.roles_text[:500],
        client=actor.client[:150],
        request_id=actor.request_id[:100],
        operation=operation,
        target_type=AuditEvent.Target.ACCOUNT,
        target_id=target_id[:40],
        before=before,
        after=after,
        changed=sorted(set(before or {}) | set(after or {})),
        note=note,
    )


def request_file(
    *,
    organisation: str,
    cvr: str,
    purpose: str,
    contact_name: str,
    contact_email: str,
    scopes: list[str],
) -> AccessRequest:
    """File an access request (pending until the authority decides)."""
    problems = []
    if not organisation.strip():
        problems.append("organisation: skal udfyldes")
    if not re.fullmatch(r"\d{8}", cvr or ""):
        problems.append("cvr: et CVR-nummer har 8 cifre")
    if len(purpose.strip()) < 10:
        problems.append("purpose: beskriv formålet (mindst 10 tegn)")
    if not contact_name.strip() or "@" not in contact_email:
        problems.append("contact: navn og e-mail skal udfyldes")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        problems.append(f"scopes: vælg blandt {', '.join(SCOPES)}")
    if problems:
        raise AccessError("invalid_request", "; ".join(problems), 422)
    return AccessRequest.objects.create(
        organisation=organisation.strip(),
        cvr=cvr,
        purpose=purpose.strip(),
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip(),
        scopes=sorted(set(scopes)),
    )


@transaction.atomic
def request_decide(
    actor: Actor, request_id: int, *, approve: bool, reason: str
) -> tuple[AccessRequest, ApiClient | None, str | None]:
    """Approve (with a new client and its secret, shown once) or reject a pending request."""
    require_authority_to(actor)
    if not reason.strip():
        raise AccessError("invalid_request", "en afgørelse skal begrundes", 422)
    try:
        request = AccessRequest.objects.select_for_update().get(pk=request_id)
    except AccessRequest.DoesNotExist:
        raise AccessError("not_found", f"ingen adgangsanmodning {request_id}", 404) from None
    if request.status != AccessRequest.Status.PENDING:
        raise AccessError(
            "conflict", f"anmodning {request_id} er allerede {request.get_status_display()}", 409
        )
    request.status = AccessRequest.Status.APPROVED if approve else AccessRequest.Status.REJECTED
    request.decision_reason = reason.strip()
    request.decided_by = actor.username
    request.decided_at = timezone.now()
    request.save()
    client, secret = None, None
    if approve:
        secret = secrets.token_urlsafe(32)
        client = ApiClient.objects.create(
            client_id=f"sor-{secrets.token_hex(8)}",
            request=request,
            secret_digest=_digest(secret),
            scopes=list(request.scopes),
        )
    _audit(
        actor,
        "access:request:approve" if approve else "access:request:reject",
        f"access-request:{request.pk}",
        before={"status": AccessRequest.Status.PENDING},
        after={
            "status": request.status,
            "reason": request.decision_reason,
            "client_id": client.client_id if client else None,
            "scopes": request.scopes if approve else [],
        },
        note=f"{request.organisation} (CVR {request.cvr}): {request.decision_reason}",
    )
    return request, client, secret


def _client(client_id: str) -> ApiClient:
    try:
        return ApiClient.objects.select_for_update().get(client_id=client_id)
    except ApiClient.DoesNotExist:
        raise AccessError("not_found", f"ingen API-klient {client_id}", 404) from None


@transaction.atomic
def client_rotate(actor: Actor, client_id: str) -> str:
    """A new secret for a client (the old one stops working at once); shown once."""
    require_authority_to(actor)
    client = _client(client_id)
    if client.revoked_at is not None:
        raise AccessError("conflict", f"{client_id} er tilbagekaldt", 409)
    secret = secrets.token_urlsafe(32)
    client.secret_digest = _digest(secret)
    client.rotated_at = timezone.now()
    client.save(update_fields=["secret_digest", "rotated_at"])
    _audit(actor, "access:client:rotate", f"client:{client_id}", before=None, after=None)
    return secret


def client_revoke(actor: Actor, client_id: str) -> ApiClient:
    """Revoke a client: no new tokens, and its live tokens refused once nodes re-read keys."""
    require_authority_to(actor)
    with transaction.atomic():
        client = _client(client_id)
        if client.revoked_at is None:
            client.revoked_at = timezone.now()
            client.save(update_fields=["revoked_at"])
            _audit(
                actor,
                "access:client:revoke",
                f"client:{client_id}",
                before={"revoked": False},
                after={"revoked": True},
            )
    publish_keys()
    return client


def key_rotate(actor: Actor) -> SigningKey:
    """A new signing key; the previous ones are retired (verifying for a grace period)."""
    require_authority_to(actor)
    with transaction.atomic():
        now = timezone.now()
        SigningKey.objects.filter(retired_at__isnull=True).update(retired_at=now)
        private = Ed25519PrivateKey.generate()
        raw_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        key = SigningKey.objects.create(
            kid=f"k{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
            private_key=b64url_encode(raw_private),
            public_key=b64url_encode(raw_public),
        )
        _audit(actor, "access:key:rotate", f"key:{key.kid}", before=None, after={"kid": key.kid})
    publish_keys()
    return key


def publish_keys(path: Path | None = None) -> Path:
    """Write the key file (verification keys and revoked client ids) atomically."""
    path = path or key_file_path()
    cutoff = timezone.now() - timedelta(seconds=RETIRED_KEY_GRACE)
    keys = [
        {"kid": key.kid, "alg": "EdDSA", "kty": "OKP", "crv": "Ed25519", "x": key.public_key}
        for key in SigningKey.objects.order_by("-id")
        if key.retired_at is None or key.retired_at > cutoff
    ]
    revoked = sorted(
        ApiClient.objects.filter(revoked_at__isnull=False).values_list("client_id", flat=True)
    )
    document = {
        "format": KEY_FILE_FORMAT,
        "issuer": ISSUER,
        "updated_at": timezone.now().isoformat(),
        "keys": keys,
        "revoked_clients": revoked,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_directory(path.parent)
    return path


def token_issue(client_id: str, secret: str, scope: str | None = None) -> dict[str, Any]:
    """The client-credentials grant: the token response (RFC 6749 §5.1) or :class:`AccessError`.

    ``scope`` narrows the token to some of the client's scopes (all of them when absent).
    """
    try:
        client = ApiClient.objects.select_related("request").get(client_id=client_id)
    except ApiClient.DoesNotExist:
        client = None
    if (
        client is None
        or not hmac.compare_digest(client.secret_digest, _digest(secret))
        or client.revoked_at is not None
    ):
        raise AccessError("invalid_client", "unknown client, wrong secret or revoked", 401)
    granted = list(client.scopes)
    if scope:
        wanted = scope.split()
        if any(s not in granted for s in wanted):
            raise AccessError("invalid_scope", f"the client may ask for: {' '.join(granted)}")
        granted = wanted
    key = SigningKey.objects.filter(retired_at__isnull=True).order_by("-id").first()
    if key is None:
        raise AccessError(
            "temporarily_unavailable", "no signing key; the authority runs 'sor access keys'", 503
        )
    lifetime = token_seconds()
    now = int(time.time())
    header = {"alg": "EdDSA", "typ": "JWT", "kid": key.kid}
    payload = {
        "iss": ISSUER,
        "sub": client.client_id,
        "scope": " ".join(granted),
        "purpose": client.request.purpose[:200],
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": secrets.token_hex(8),
    }
    signing_input = (
        b64url_encode(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
    )
    private = Ed25519PrivateKey.from_private_bytes(b64url_decode(key.private_key))
    signature = b64url_encode(private.sign(signing_input.encode("ascii")))
    return {
        "access_token": f"{signing_input}.{signature}",
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": " ".join(granted),
    }
