"""Writes to users, roles and tokens; authentication of tokens and of logins with lockout.

Each write is one transaction. Tokens are random, shown once, and stored as a SHA-256 digest:
a leaked database does not leak usable tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from opensor.domain.errors import DomainError
from opensor.domain.responsibility import Role
from opensor.register.accounts.actors import Actor
from opensor.register.accounts.models import ApiToken, LoginThrottle, RoleGrant
from opensor.register.prepared import PreparedSelect, update_row

__all__ = [
    "LOCKOUT_AFTER",
    "LOCKOUT_FOR",
    "TOKEN_PREFIX",
    "AccountError",
    "LoginLocked",
    "actor_for_token",
    "actor_for_user",
    "login_check",
    "roles_of",
    "token_create",
    "token_revoke",
    "user_add",
]

TOKEN_PREFIX = "sor_"
LOCKOUT_AFTER = 5
"""Failed logins in a row after which a user name is locked out."""
LOCKOUT_FOR = timedelta(minutes=15)
"""How long a locked-out user name stays locked."""


class AccountError(DomainError):
    """A user, role or token operation that cannot be done (unknown user, duplicate name …)."""


class LoginLocked(AccountError):
    """Too many failed logins: the user name is locked out until ``until``."""

    def __init__(self, username: str, until: object) -> None:
        self.until = until
        super().__init__(
            f"{username} is locked out until {until} after {LOCKOUT_AFTER} failed logins"
        )


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def user_add(
    name: str, roles: list[str], *, password: str | None = None, email: str = ""
) -> AbstractBaseUser:
    """Create a user holding ``roles`` (text forms, e.g. ``region:1084``).

    Without a password the user can only act through API tokens. Raises
    :class:`AccountError` when the name is taken, or :class:`~opensor.domain.responsibility.
    RoleError` naming a role that cannot be understood; nothing is created then.
    """
    parsed = [Role.parse(text) for text in roles]
    if not parsed:
        raise AccountError("a user needs at least one role")
    user_model = get_user_model()
    if user_model.objects.filter(username=name).exists():
        raise AccountError(f"a user named {name!r} exists already")
    user = user_model.objects.create_user(username=name, email=email, password=password)
    if password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=str(role)) for role in parsed])
    return user


def roles_of(user_id: int) -> tuple[Role, ...]:
    """The roles a user holds, in a stable order."""
    texts = (
        RoleGrant.objects.filter(user_id=user_id).order_by("role").values_list("role", flat=True)
    )
    return tuple(Role.parse(text) for text in texts)


@transaction.atomic
def token_create(username: str, label: str = "") -> tuple[ApiToken, str]:
    """Issue a new API token for a user; returns the row and the token (shown only once)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise AccountError(f"no active user named {username!r}")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, label=label or username, prefix=raw[:12], digest=_digest(raw)
    )
    return token, raw


@transaction.atomic
def token_revoke(prefix: str) -> int:
    """Revoke every live token whose text starts with ``prefix``; returns how many."""
    if len(prefix) < 8:
        raise AccountError("give at least the first 8 characters of the token")
    return ApiToken.objects.filter(prefix__startswith=prefix[:12], revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


# one query for the token, its user and the user's roles (a row per role)
_TOKEN_ROWS = PreparedSelect(
    lambda digest: ApiToken.objects.filter(
        digest=digest, revoked_at__isnull=True, user__is_active=True
    ).values("id", "label", "user_id", "user__username", "last_used_at", "user__role_grants__role")
)


def actor_for_token(raw: str, *, request_id: str = "") -> Actor | None:
    """The actor behind a bearer token, or ``None`` for an unknown or revoked token."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    rows = _TOKEN_ROWS.rows(_digest(raw))
    if not rows:
        return None
    row = rows[0]
    texts = sorted({r["user__role_grants__role"] for r in rows if r["user__role_grants__role"]})
    now = timezone.now()
    if row["last_used_at"] is None or now - row["last_used_at"] > timedelta(minutes=1):
        update_row(ApiToken, row["id"], last_used_at=now)
    return Actor(
        username=row["user__username"],
        roles=tuple(Role.parse(text) for text in texts),
        client=f"api:{row['label']}",
        request_id=request_id,
        user_id=row["user_id"],
    )


def actor_for_user(user: AbstractBaseUser, *, client: str = "web", request_id: str = "") -> Actor:
    """The actor of a logged-in user."""
    return Actor(
        username=user.get_username(),
        roles=roles_of(user.pk),
        client=client,
        request_id=request_id,
        user_id=user.pk,
    )


@transaction.atomic
def login_check(username: str, password: str) -> AbstractBaseUser | None:
    """Check a login; ``None`` for a wrong name or password.

    After :data:`LOCKOUT_AFTER` failures in a row the name is locked for :data:`LOCKOUT_FOR`
    (raises :class:`LoginLocked`, even for the right password); a success clears the count.
    """
    now = timezone.now()
    throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(username=username[:150])
    if throttle.locked_until is not None and throttle.locked_until > now:
        raise LoginLocked(username, throttle.locked_until)
    user = authenticate(username=username, password=password)
    if user is None:
        throttle.failures += 1
        if throttle.failures >= LOCKOUT_AFTER:
            throttle.locked_until = now + LOCKOUT_FOR
            throttle.failures = 0
        throttle.save()
        return None
    throttle.failures = 0
    throttle.locked_until = None
    throttle.save()
    return user
