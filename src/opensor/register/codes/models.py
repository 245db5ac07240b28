"""Code lists kept in the register: the authority's additions and the SHAK classification.

The bundled code lists live in the domain core (:mod:`opensor.domain.codelists`); codes that
the authority adds or retires later are rows here, merged in at run time, so no code change is
needed. The SHAK classification is loaded from the national SHAK complete file.
"""

from __future__ import annotations

from django.db import models

__all__ = ["CodeAddition", "ShakCode"]


class CodeAddition(models.Model):
    """A code added to (or retired from) a bundled code list by the authority."""

    list_name = models.CharField("kodeliste", max_length=40)
    code = models.CharField("kode", max_length=200)
    name_da = models.CharField("navn (dansk)", max_length=200)
    name_en = models.CharField("navn (engelsk)", max_length=200, blank=True)
    active = models.BooleanField("i brug", default=True)
    added_by = models.CharField("tilføjet af", max_length=150)
    added_at = models.DateTimeField("tilføjet", auto_now_add=True)

    class Meta:
        verbose_name = "tilføjet kode"
        verbose_name_plural = "tilføjede koder"
        constraints = [
            models.UniqueConstraint(fields=["list_name", "code"], name="code_addition_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.list_name}:{self.code} {self.name_da}"


class ShakCode(models.Model):
    """One validity period of a SHAK code (sygehus-afdelingsklassifikation).

    As in the SHAK file, ``valid_to`` is the last valid day (inclusive); open when empty.
    """

    code = models.CharField("SHAK-kode", max_length=20)
    kind = models.CharField("recordtype", max_length=3)
    valid_from = models.DateField("gyldig fra")
    valid_to = models.DateField("gyldig til og med", null=True, blank=True)
    changed = models.DateField("ændret", null=True, blank=True)
    text = models.CharField("tekst", max_length=200)

    class Meta:
        verbose_name = "SHAK-kode"
        verbose_name_plural = "SHAK-koder"
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="shak_code_period_unique"),
        ]
        indexes = [models.Index(fields=["code", "valid_from"], name="shak_code_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"
