"""Access requests, API clients and token signing keys of the protected channel."""

from __future__ import annotations

from django.db import models

__all__ = ["AccessRequest", "ApiClient", "SigningKey"]


class AccessRequest(models.Model):
    """A consuming system's request for the protected channel, and the authority's decision."""

    class Status(models.TextChoices):
        PENDING = "pending", "Afventer"
        APPROVED = "approved", "Godkendt"
        REJECTED = "rejected", "Afvist"

    organisation = models.CharField("organisation", max_length=200)
    cvr = models.CharField("CVR-nummer", max_length=8)
    purpose = models.TextField("formål")
    contact_name = models.CharField("kontaktperson", max_length=200)
    contact_email = models.EmailField("kontaktens e-mail")
    scopes = models.JSONField("ønskede scopes", default=list)
    status = models.CharField(
        "status", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decision_reason = models.TextField("begrundelse for afgørelsen", blank=True)
    decided_by = models.CharField("afgjort af", max_length=150, blank=True)
    decided_at = models.DateTimeField("afgjort", null=True, blank=True)
    created_at = models.DateTimeField("indsendt", auto_now_add=True)

    class Meta:
        verbose_name = "adgangsanmodning"
        verbose_name_plural = "adgangsanmodninger"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_status_display()})"


class ApiClient(models.Model):
    """The credentials of an approved request: client id, secret digest and scopes."""

    client_id = models.CharField("klient-id", max_length=40, unique=True)
    request = models.ForeignKey(
        AccessRequest,
        verbose_name="adgangsanmodning",
        on_delete=models.PROTECT,
        related_name="clients",
    )
    secret_digest = models.CharField("hemmelighedens SHA-256", max_length=64)
    scopes = models.JSONField("scopes", default=list)
    created_at = models.DateTimeField("oprettet", auto_now_add=True)
    rotated_at = models.DateTimeField("hemmelighed fornyet", null=True, blank=True)
    revoked_at = models.DateTimeField("tilbagekaldt", null=True, blank=True)

    class Meta:
        verbose_name = "API-klient"
        verbose_name_plural = "API-klienter"

    def __str__(self) -> str:
        return self.client_id


class SigningKey(models.Model):
    """An Ed25519 key signing the channel's tokens; the newest unretired one signs."""

    kid = models.CharField("nøgle-id", max_length=40, unique=True)
    private_key = models.CharField("privat nøgle (base64url)", max_length=64)
    public_key = models.CharField("offentlig nøgle (base64url)", max_length=64)
    created_at = models.DateTimeField("oprettet", auto_now_add=True)
    retired_at = models.DateTimeField("udfaset", null=True, blank=True)

    class Meta:
        verbose_name = "signeringsnøgle"
        verbose_name_plural = "signeringsnøgler"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.kid
