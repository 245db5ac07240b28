"""Reads of the register's code lists."""

from __future__ import annotations

from datetime import date

from opensor.domain.codelists import CodeEntry, CodeLists
from opensor.register.codes.models import CodeAddition, ShakCode
from opensor.register.prepared import PreparedSelect

__all__ = ["code_lists", "shak_code_set", "shak_code_valid_on"]


_ADDITIONS = PreparedSelect(
    lambda: CodeAddition.objects.order_by("id").values(
        "list_name", "code", "name_da", "name_en", "active"
    ),
    keys=0,
)
_MERGED: tuple[tuple[CodeEntry, ...], CodeLists] | None = None


def code_lists() -> CodeLists:
    """The bundled code lists with the authority's additions and retirements merged in.

    The additions are read on every call (every write validates against the lists in force);
    merging them into the bundled lists is done again only when they have changed.
    """
    global _MERGED
    additions = tuple(CodeEntry(**row) for row in _ADDITIONS.rows())
    if not additions:
        return CodeLists.bundled()
    merged = _MERGED
    if merged is None or merged[0] != additions:
        merged = _MERGED = (additions, CodeLists.bundled().with_additions(list(additions)))
    return merged[1]


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
