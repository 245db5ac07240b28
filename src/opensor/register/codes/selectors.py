"""Reads of the register's code lists."""

from __future__ import annotations

from datetime import date

from opensor.domain.codelists import CodeEntry, CodeLists
from opensor.register.codes.models import CodeAddition, ShakCode

__all__ = ["code_lists", "shak_code_set", "shak_code_valid_on"]


def code_lists() -> CodeLists:
    """The bundled code lists with the authority's additions and retirements merged in."""
    additions = [
        CodeEntry(
            list_name=row.list_name,
            code=row.code,
            name_da=row.name_da,
            name_en=row.name_en,
            active=row.active,
        )
        for row in CodeAddition.objects.order_by("id")
    ]
    bundled = CodeLists.bundled()
    return bundled.with_additions(additions) if additions else bundled


def shak_code_set() -> frozenset[str]:
    """Every SHAK code the register knows, whatever its validity (empty before a SHAK import)."""
    return frozenset(ShakCode.objects.values_list("code", flat=True).distinct())


def shak_code_valid_on(code: str, day: date) -> bool:
    """Whether the SHAK classification holds ``code`` on ``day``."""
    return (
        ShakCode.objects.filter(code=code, valid_from__lte=day)
        .exclude(valid_to__lt=day)  # the SHAK file gives the last valid day, inclusive
        .exists()
    )
