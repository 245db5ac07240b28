"""Record time: every change to the register belongs to one change set.

A change set is one import, one demo load or one maintainer's write. Version rows point at the
change set that recorded them (``recorded_by``) and at the one that superseded them, so the
register can answer both "what was valid on date D" (valid time) and "what did the register say
at time T, and who put it there" (record time).
"""

from __future__ import annotations

from django.db import models

__all__ = ["ChangeSet"]


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
