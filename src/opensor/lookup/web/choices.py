"""Names of codes for the public pages: code lists, regions and municipalities, per language.

Everything here comes from the bundled code lists and geography tables of
:mod:`opensor.domain`, read once; the filter choices of the search page are built from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from opensor.domain import geography
from opensor.domain.codelists import CodeLists

__all__ = ["Choices", "Names", "choices", "names"]

_TYPE_LISTS = {"IE": "owner_type", "SI": "institution_type", "OE": "unit_type"}


class Names:
    """Looks up the display name of a code in one language (the code itself when unknown)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.codes = CodeLists.bundled()
        self._regions = {r.code: r.name for r in geography.regions()}
        self._municipalities = {m.code: m.name for m in geography.municipalities()}

    def code(self, list_name: str, code: object) -> str:
        """The name of ``code`` in code list ``list_name``."""
        if code is None or code == "":
            return ""
        name = self.codes.get(list_name).name_of(code, self.lang)  # type: ignore[arg-type]
        return name or str(code)

    def unit_type(self, level: str, code: object) -> str:
        """The name of a unit's type code (owner, institution or unit type by level)."""
        return self.code(_TYPE_LISTS.get(level, "unit_type"), code)

    def region(self, code: str | None) -> str:
        """The name of a region code."""
        return self._regions.get(code or "", code or "")

    def municipality(self, code: str | None) -> str:
        """The name of a municipality code."""
        return self._municipalities.get(code or "", code or "")


@dataclass(frozen=True)
class Choices:
    """The options of the search filters: ``(value, label)`` pairs in display order."""

    regions: list[tuple[str, str]]
    municipalities: list[tuple[str, str]]
    unit_types: list[tuple[str, str]]
    specialities: list[tuple[str, str]]
    message_types: list[tuple[str, str]]


def _entries(codes: CodeLists, list_name: str, lang: str) -> list[tuple[str, str]]:
    pairs = [(e.code, e.name(lang)) for e in codes.get(list_name) if e.active]  # type: ignore[arg-type]
    return sorted(pairs, key=lambda pair: pair[1].casefold())


@cache
def choices(lang: str) -> Choices:
    """The filter options in ``lang``."""
    codes = CodeLists.bundled()
    types: dict[str, str] = {}
    for list_name in ("owner_type", "institution_type", "unit_type"):
        types.update(_entries(codes, list_name, lang))
    return Choices(
        regions=[(r.code, r.name) for r in geography.regions()],
        municipalities=sorted(
            ((m.code, m.name) for m in geography.municipalities()), key=lambda p: p[1]
        ),
        unit_types=sorted(types.items(), key=lambda pair: pair[1].casefold()),
        specialities=_entries(codes, "speciality", lang),
        message_types=_entries(codes, "message_type", lang),
    )


@cache
def names(lang: str) -> Names:
    """The code names in ``lang``."""
    return Names(lang)
