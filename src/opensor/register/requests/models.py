"""Change requests, the events of their case work, and the notification outbox.

A practice cannot write to the register itself: its users *file* a :class:`ChangeRequest`
(create, update or close one of the practice's units, or create, change or close a location
number those units own). The authority's case workers decide it. Every step — filing, asking
for more information, answering, approving, rejecting, withdrawing — adds a
:class:`RequestEvent`, and every step that concerns someone queues an :class:`Outbox` message.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["ChangeRequest", "Outbox", "RequestEvent"]


class ChangeRequest(models.Model):
    """A practice's request to change the register, and where its case stands."""

    class Kind(models.TextChoices):
        UNIT_CREATE = "unit_create", "Opret enhed"
        UNIT_UPDATE = "unit_update", "Ret enhed"
        UNIT_CLOSE = "unit_close", "Luk enhed"
        LOCATION_CREATE = "location_create", "Opret lokationsnummer"
        LOCATION_UPDATE = "location_update", "Ret lokationsnummer og meddelelsestyper"
        LOCATION_CLOSE = "location_close", "Luk lokationsnummer"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Indsendt"
        NEEDS_INFO = "needs_info", "Afventer flere oplysninger"
        APPROVED = "approved", "Godkendt"
        REJECTED = "rejected", "Afvist"
        WITHDRAWN = "withdrawn", "Trukket tilbage"

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="anmoder",
        on_delete=models.PROTECT,
        related_name="change_requests",
    )
    owner_sor_id = models.BigIntegerField("praksissens ejer (SOR-ID)", db_index=True)
    kind = models.CharField("art", max_length=20, choices=Kind.choices)
    target_sor_id = models.BigIntegerField(
        "enhed (SOR-ID)",
        help_text="Enheden der ændres eller lukkes, den overordnede ved oprettelse, "
        "ejeren af lokationsnummeret ved oprettelse af et nummer.",
    )
    target_gln = models.CharField("lokationsnummer", max_length=13, blank=True)
    level = models.CharField("niveau ved oprettelse", max_length=20, blank=True)
    payload = models.JSONField("ønskede værdier", default=dict, blank=True)
    effective = models.DateField("gælder fra", null=True, blank=True)
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    filed_etag = models.CharField("version ved indsendelse", max_length=64, blank=True)
    result_id = models.CharField("resultat (SOR-ID/GLN)", max_length=40, blank=True)
    decided_by = models.CharField("afgjort af", max_length=150, blank=True)
    decided_at = models.DateTimeField("afgjort", null=True, blank=True)
    created_at = models.DateTimeField("indsendt", auto_now_add=True)
    updated_at = models.DateTimeField("opdateret", auto_now=True)

    class Meta:
        verbose_name = "ændringsanmodning"
        verbose_name_plural = "ændringsanmodninger"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"], name="change_request_queue_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.target_gln or self.target_sor_id}"

    OPEN = frozenset({Status.SUBMITTED, Status.NEEDS_INFO})

    @property
    def is_open(self) -> bool:
        """Whether the case is still undecided (submitted or waiting for the requester)."""
        return self.status in self.OPEN

    @property
    def on_location(self) -> bool:
        """Whether the request concerns a location number (else a unit)."""
        return self.kind.startswith("location_")


class RequestEvent(models.Model):
    """One step of a request's case: who did what, when, with which note."""

    class Action(models.TextChoices):
        FILED = "filed", "Indsendt"
        INFO_REQUESTED = "info_requested", "Flere oplysninger efterspurgt"
        ANSWERED = "answered", "Besvaret"
        APPROVED = "approved", "Godkendt"
        REJECTED = "rejected", "Afvist"
        WITHDRAWN = "withdrawn", "Trukket tilbage"

    request = models.ForeignKey(
        ChangeRequest, verbose_name="anmodning", on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField("tidspunkt", auto_now_add=True)
    actor = models.CharField("bruger", max_length=150)
    client = models.CharField("klient", max_length=150, blank=True)
    action = models.CharField("handling", max_length=20, choices=Action.choices)
    note = models.TextField("bemærkning", blank=True)
    payload = models.JSONField("ønskede værdier", null=True, blank=True)

    class Meta:
        verbose_name = "sagsskridt"
        verbose_name_plural = "sagsskridt"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"


class Outbox(models.Model):
    """A notification waiting to be sent (or sent), delivered by the configured sender.

    ``recipient`` is a user name, or ``authority`` for the case workers' shared queue;
    ``email`` is the address known for it when the message was queued (may be empty).
    """

    AUTHORITY = "authority"

    recipient = models.CharField("modtager", max_length=150)
    email = models.CharField("e-mail", max_length=254, blank=True)
    subject = models.CharField("emne", max_length=200)
    body = models.TextField("tekst")
    request = models.ForeignKey(
        ChangeRequest,
        verbose_name="anmodning",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    created_at = models.DateTimeField("oprettet", auto_now_add=True)
    sent_at = models.DateTimeField("sendt", null=True, blank=True)
    attempts = models.PositiveIntegerField("forsøg", default=0)
    last_error = models.TextField("seneste fejl", blank=True)

    class Meta:
        verbose_name = "udgående besked"
        verbose_name_plural = "udgående beskeder"
        ordering = ["id"]
        indexes = [models.Index(fields=["sent_at", "id"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"
