"""Who may use the register: roles held by users, API tokens, and failed-login tracking.

Users are Django's ``auth.User``. A user holds one or more :class:`RoleGrant` rows, each a
role with its scope written as text (``authority``, ``region:1084`` …; see
:mod:`opensor.domain.responsibility`). Machine clients are users too: they authenticate with an
:class:`ApiToken`, of which the register keeps only a SHA-256 digest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["ApiToken", "LoginThrottle", "RoleGrant"]


class RoleGrant(models.Model):
    """One role, with its scope, held by a user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="bruger",
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    role = models.CharField("rolle", max_length=60)
    granted_at = models.DateTimeField("tildelt", auto_now_add=True)

    class Meta:
        verbose_name = "rolle"
        verbose_name_plural = "roller"
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="role_grant_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.role}"


class ApiToken(models.Model):
    """A bearer token of a machine client (or a person's script); only its digest is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="bruger",
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    label = models.CharField("betegnelse", max_length=100)
    prefix = models.CharField("begyndelse", max_length=12)
    digest = models.CharField("SHA-256", max_length=64, unique=True)
    created_at = models.DateTimeField("oprettet", auto_now_add=True)
    last_used_at = models.DateTimeField("sidst brugt", null=True, blank=True)
    revoked_at = models.DateTimeField("tilbagekaldt", null=True, blank=True)

    class Meta:
        verbose_name = "API-nøgle"
        verbose_name_plural = "API-nøgler"

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"


class LoginThrottle(models.Model):
    """Failed logins of one user name, and until when the name is locked out."""

    username = models.CharField("brugernavn", max_length=150, primary_key=True)
    failures = models.PositiveIntegerField("mislykkede forsøg", default=0)
    locked_until = models.DateTimeField("spærret til", null=True, blank=True)

    class Meta:
        verbose_name = "loginspærring"
        verbose_name_plural = "loginspærringer"

    def __str__(self) -> str:
        return f"{self.username}: {self.failures}"
