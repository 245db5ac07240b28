"""Record time: every change to the register belongs to one change set.

A change set is one import, one demo load or one maintainer's write. Version rows point at the
change set that recorded them (``recorded_by``) and at the one that superseded them, so the
register can answer both "what was valid on date D" (valid time) and "what did the register say
at time T, and who put it there" (record time).
"""

from __future__ import annotations

from django.db import models

__all__ = ["AuditEvent", "ChangeSet"]


class ChangeSet(models.Model):
    """One recorded change to the register: who, when, from which source, with what result."""

    class Kind(models.TextChoices):
        IMPORT = "import", "Import"
        DEMO = "demo", "Demoregister"
        SERVICE = "service", "Vedligeholdelse"

    kind = models.CharField("art", max_length=16, choices=Kind.choices)
    actor = models.CharField("udført af", max_length=150)
    source = models.CharField("kilde", max_length=500, blank=True)
    source_sha256 = models.CharField("kildens SHA-256", max_length=64, blank=True)
    started_at = models.DateTimeField("startet", auto_now_add=True)
    finished_at = models.DateTimeField("afsluttet", null=True, blank=True)
    summary = models.JSONField("resumé", default=dict, blank=True)

    class Meta:
        verbose_name = "ændringssæt"
        verbose_name_plural = "ændringssæt"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.source or self.actor})"


class AuditEvent(models.Model):
    """One maintainer's operation on one unit, location number or request.

    Who, when, through which client and request, and the values before and after.

    Rows are only ever added. The trail can be read per unit (``target_type``/``target_id``)
    and per user (``actor``).
    """

    class Target(models.TextChoices):
        UNIT = "unit", "Enhed"
        LOCATION = "location", "Lokationsnummer"
        REQUEST = "request", "Ændringsanmodning"
        ACCOUNT = "account", "Bruger"

    change_set = models.ForeignKey(
        ChangeSet, verbose_name="ændringssæt", on_delete=models.PROTECT, related_name="events"
    )
    recorded_at = models.DateTimeField("registreret")
    actor = models.CharField("bruger", max_length=150)
    roles = models.CharField("roller", max_length=500, blank=True)
    client = models.CharField("klient", max_length=150)
    request_id = models.CharField("forespørgsels-id", max_length=100, blank=True)
    operation = models.CharField("handling", max_length=60)
    target_type = models.CharField("genstand", max_length=10, choices=Target.choices)
    target_id = models.CharField("genstandens id", max_length=40)
    effective_from = models.DateField("gælder fra", null=True, blank=True)
    before = models.JSONField("før", null=True, blank=True)
    after = models.JSONField("efter", null=True, blank=True)
    changed = models.JSONField("ændrede felter", default=list, blank=True)
    note = models.TextField("bemærkning", blank=True)

    class Meta:
        verbose_name = "revisionshændelse"
        verbose_name_plural = "revisionshændelser"
        indexes = [
            models.Index(fields=["target_type", "target_id", "id"], name="audit_event_target_idx"),
            models.Index(fields=["actor", "id"], name="audit_event_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recorded_at:%Y-%m-%d %H:%M} {self.actor} {self.operation} {self.target_id}"
