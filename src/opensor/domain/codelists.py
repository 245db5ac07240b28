"""SOR's classifications (code lists): which codes a field may hold and what they are called.

Every coded field of a unit or a location number takes its value from one code list, named by
:class:`CodeListName`. The lists ship with the package as one UTF-8 CSV file each
(``data/codelist_<name>.csv``, columns ``code,name_da,name_en``); the register's authority can
add codes, rename them or take them out of use, and those additions live in the register's
database and are merged in with :meth:`CodeLists.with_additions`.

Two kinds of list:

* a **closed** list accepts only its own codes (owner, institution and unit types, specialities,
  speciality types, message types, geographical parent relations);
* an **open** list (system types, system suppliers, communication suppliers/net operators, EDI
  administrators) accepts any code of 1 to 18 digits; its entries only give names. SOR assigns
  these codes itself and publishes no complete list, so the bundled entries are the codes seen
  in real extracts; entries whose name is unknown have empty names (``name_of`` gives ``None``).

Where the bundled data comes from:

* owner, institution and unit types: SNOMED CT (international release and the Danish extension,
  namespace 1000005) as SOR uses them. The codes named in DESIGN.md §3 plus the further SOR
  organisation types of HL7 Denmark's DK Core value set ``sor-organization-type`` whose Danish
  names are published too. SOR uses one classification for both levels; institution_type and
  unit_type here each get the codes that DESIGN.md lists for that level (unit_type adds the
  education and research unit types of the same series).
* specialities: the Danish medical specialities with their SNOMED CT codes as SOR and the Danish
  document-sharing metadata use them ("intern medicin" is 419192003 *Internal medicine*, two are
  Danish-extension codes: kirurgisk gastroenterologi, retsmedicin).
* speciality types: ``51000095001`` Hovedspeciale is taken from a real SorTree extract. The code
  for "Yderligere speciale/bispeciale" is **provisional**: SOR's code is not published where we
  could verify it, so ``61000095002`` is derived in the same namespace (item 6, namespace
  1000095, partition 00, Verhoeff check digit). Its English name says so. Replace it when the
  real code is known (an addition with the real code plus a deactivation of this one will do).
  Note that SOR's own classification codes do not all carry a valid Verhoeff digit (the real
  ``51000095001`` and ``1001000055001`` do not), so no check digit is enforced on codes here.
* message types: MedCom message definitions named by URN (EDIFACT, OIOXML and FHIR), as MedCom's
  endpoint register configuration names them.
* communication suppliers: the net operators MedCom's endpoint register mirrors from SOR.
* geographical parent relation: see :data:`GEOGRAPHICAL_PARENT_RELATION_NOTE`.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import Literal

from opensor.domain.errors import DomainError, InvalidCode

__all__ = [
    "GEOGRAPHICAL_PARENT_RELATION_NOTE",
    "MAX_DIGITS",
    "CodeEntry",
    "CodeList",
    "CodeListName",
    "CodeLists",
    "Language",
    "parse_code_list_csv",
]

Language = Literal["da", "en"]
"""The languages a code list names its codes in."""

MAX_DIGITS = 18
"""The most digits a numeric code may have (an SCTID has 6 to 18 digits)."""

GEOGRAPHICAL_PARENT_RELATION_NOTE = (
    "The SorTree schema (GeographicalParentRelation.xsd.meta.xml) names four meanings without "
    "numbers: anden geografisk mor, den organisatoriske mor, ingen geografisk placering, "
    "selvstændig geografisk placering. The numbers used here are our reading of the public "
    "sources: Trifork's SOR importer (Stamdata, SorFullRecordSpecs) documents 1 selvstændig "
    "geografisk placering, 2 den organisatoriske mor, 3 anden geografisk mor, 4 ingen geografisk "
    "placering and 5 ukendt geografisk placering, and the real 2010 extracts agree with it (a "
    "health institution without a geographical parent has 1; its provider-number unit at the "
    "same address has 2). Reading the schema's list in its written order would give other "
    "numbers; we did not take that order as a numbering."
)
"""Why the geographical parent relation codes mean what they mean here."""


class CodeListName(StrEnum):
    """The names of SOR's code lists, one per coded field."""

    OWNER_TYPE = "owner_type"
    """Institutionsejers type: region, kommune, stat, privat (SNOMED CT)."""
    INSTITUTION_TYPE = "institution_type"
    """Sundhedsinstitutionstype: hospital, almen lægepraksis, apotek … (SNOMED CT)."""
    UNIT_TYPE = "unit_type"
    """Organisatorisk enhedstype of units under a hospital (SNOMED CT)."""
    SPECIALITY = "speciality"
    """Klinisk speciale (SNOMED CT)."""
    SPECIALITY_TYPE = "speciality_type"
    """Specialetype: main speciality or further speciality."""
    MESSAGE_TYPE = "message_type"
    """MedCom message definitions (URNs) that a location number accepts."""
    SYSTEM_TYPE = "system_type"
    """EDB-system behind a location number (open list)."""
    SYSTEM_SUPPLIER = "system_supplier"
    """Systemleverandør of a location number (open list)."""
    COMMUNICATION_SUPPLIER = "communication_supplier"
    """Netoperatør (communication supplier) of a location number (open list)."""
    EDI_ADMINISTRATOR = "edi_administrator"
    """Administrator of a location number (open list)."""
    GEOGRAPHICAL_PARENT_RELATION = "geographical_parent_relation"
    """Enhedens geografiske tilknytning (1-5, see GEOGRAPHICAL_PARENT_RELATION_NOTE)."""


@dataclass(frozen=True, slots=True)
class _ListMeta:
    label_da: str
    label_en: str
    open: bool


_META: dict[CodeListName, _ListMeta] = {
    CodeListName.OWNER_TYPE: _ListMeta("Institutionsejers type", "owner type", False),
    CodeListName.INSTITUTION_TYPE: _ListMeta(
        "Sundhedsinstitutionstype", "health institution type", False
    ),
    CodeListName.UNIT_TYPE: _ListMeta(
        "Organisatorisk enhedstype", "organisational unit type", False
    ),
    CodeListName.SPECIALITY: _ListMeta("Klinisk speciale", "clinical speciality", False),
    CodeListName.SPECIALITY_TYPE: _ListMeta("Specialetype", "speciality type", False),
    CodeListName.MESSAGE_TYPE: _ListMeta("Meddelelsestype", "message type", False),
    CodeListName.SYSTEM_TYPE: _ListMeta("EDB-system", "system type", True),
    CodeListName.SYSTEM_SUPPLIER: _ListMeta("Systemleverandør", "system supplier", True),
    CodeListName.COMMUNICATION_SUPPLIER: _ListMeta(
        "Netoperatør", "communication supplier (net operator)", True
    ),
    CodeListName.EDI_ADMINISTRATOR: _ListMeta("EDI-administrator", "EDI administrator", True),
    CodeListName.GEOGRAPHICAL_PARENT_RELATION: _ListMeta(
        "Enhedens geografiske tilknytning", "geographical parent relation", False
    ),
}

# Lists whose codes are URNs; every other list has numeric codes.
_URN_LISTS = frozenset({CodeListName.MESSAGE_TYPE.value})
_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
_URN = re.compile(r"(?i:urn):[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+")
_CSV_HEADER = ["code", "name_da", "name_en"]


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """One code of a code list with its Danish and English name.

    ``active`` is ``False`` for a code the authority has taken out of use: it keeps its names
    (old versions of units still show them) but is no longer accepted for new data.
    """

    list_name: str
    code: str
    name_da: str
    name_en: str
    active: bool = True

    def name(self, lang: Language = "da") -> str:
        """The name in ``lang`` ("da" or "en"); empty when the name is unknown."""
        return self.name_da if _language(lang) == "da" else self.name_en


def _language(lang: str) -> Language:
    if lang == "da":
        return "da"
    if lang == "en":
        return "en"
    raise ValueError(f"unknown language {lang!r}: code lists have names in 'da' and 'en'")


def _sort_key(code: str) -> tuple[int, int, str]:
    # Numeric codes in numeric order, then any others (URNs) in text order.
    if code.isascii() and code.isdigit():
        return (0, int(code), code)
    return (1, 0, code)


@dataclass(frozen=True, slots=True)
class CodeList:
    """One classification: its name, its labels, whether it is open, and its entries.

    ``entries`` maps each code to its :class:`CodeEntry` (inactive codes included) and is
    read-only. ``code in code_list`` tells whether the list *accepts* the code now (see
    :meth:`validate`); :meth:`get` also finds codes that are no longer in use. Iteration yields
    the entries sorted by code (numeric codes in numeric order).
    """

    name: str
    label_da: str
    label_en: str
    open: bool
    entries: Mapping[str, CodeEntry]
    _folded: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered: dict[str, CodeEntry] = {}
        for code in sorted(self.entries, key=_sort_key):
            entry = self.entries[code]
            if entry.code != code or entry.list_name != self.name:
                raise ValueError(
                    f"code list {self.name!r}: entry {entry!r} is filed under code {code!r}"
                )
            ordered[code] = entry
        object.__setattr__(self, "entries", MappingProxyType(ordered))
        folded = {code.casefold(): code for code in ordered} if self.uses_urns else {}
        object.__setattr__(self, "_folded", MappingProxyType(folded))

    @property
    def uses_urns(self) -> bool:
        """Whether the codes are URNs (message types) rather than numbers."""
        return self.name in _URN_LISTS

    @property
    def active_count(self) -> int:
        """How many of the entries are in use."""
        return sum(1 for entry in self.entries.values() if entry.active)

    def label(self, lang: Language = "da") -> str:
        """The list's name in ``lang`` ("da" or "en")."""
        return self.label_da if _language(lang) == "da" else self.label_en

    def describe(self) -> str:
        """The list named in Danish and English, e.g. ``'Specialetype' (speciality type)``."""
        return f"{self.label_da!r} ({self.label_en})"

    def get(self, code: object) -> CodeEntry | None:
        """The entry of ``code`` (active or not), or ``None`` when the list has no such entry."""
        text = _as_text(code)
        if text is None:
            return None
        return self.entries.get(self._canonical(text))

    def validate(self, code: object) -> str:
        """The normalised code when this list accepts ``code``; else raise :class:`InvalidCode`.

        Normalising strips surrounding white space, turns a whole number into its digits and,
        for message types, finds the URN regardless of letter case.
        """
        result, reason = self._check(code)
        if reason is not None:
            raise InvalidCode(self.name, code, reason)
        assert result is not None
        return result

    def name_of(self, code: object, lang: Language = "da") -> str | None:
        """The name of ``code`` in ``lang``; ``None`` for an unknown or unnamed code."""
        lang = _language(lang)
        entry = self.get(code)
        if entry is None:
            return None
        return entry.name(lang) or None

    def __contains__(self, code: object) -> bool:
        return self._check(code)[1] is None

    def __hash__(self) -> int:
        return hash((self.name, self.open, tuple(self.entries.values())))

    def __iter__(self) -> Iterator[CodeEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def _canonical(self, text: str) -> str:
        if self.uses_urns and text not in self.entries:
            return self._folded.get(text.casefold(), text)
        return text

    def _format_reason(self, text: str) -> str | None:
        """Why ``text`` cannot be a code of this list at all, or ``None`` when it could be."""
        if not text:
            return f"empty code; the code list {self.describe()} needs one"
        if self.uses_urns:
            if _URN.fullmatch(text) is None:
                return f"the code list {self.describe()} takes URNs ('urn:…' without spaces)"
        elif _DIGITS.fullmatch(text) is None:
            return f"the code list {self.describe()} takes numbers of 1 to {MAX_DIGITS} digits"
        return None

    def _check(self, code: object) -> tuple[str | None, str | None]:
        """``(normalised code, None)`` when the list accepts ``code``, else ``(None, reason)``."""
        text = _as_text(code)
        if text is None:
            return None, f"not a code: expected text or a whole number of 0 or more, got {code!r}"
        if not text:
            return None, self._format_reason(text)
        text = self._canonical(text)
        entry = self.entries.get(text)
        if entry is not None:
            return (text, None) if entry.active else (None, "no longer in use")
        if not self.open:
            active = self.active_count
            return None, (
                f"not in the code list {self.describe()}, which has "
                f"{active} code{'' if active == 1 else 's'} in use"
            )
        reason = self._format_reason(text)
        return (None, reason) if reason is not None else (text, None)


def _as_text(code: object) -> str | None:
    if isinstance(code, str):
        return code.strip()
    if isinstance(code, int) and not isinstance(code, bool) and code >= 0:
        return str(code)
    return None


def _new_list(name: CodeListName, entries: Iterable[CodeEntry]) -> CodeList:
    meta = _META[name]
    return CodeList(
        name=name.value,
        label_da=meta.label_da,
        label_en=meta.label_en,
        open=meta.open,
        entries={entry.code: entry for entry in entries},
    )


def parse_code_list_csv(list_name: str, text: str, source: str = "<csv>") -> tuple[CodeEntry, ...]:
    """Read code list entries from CSV text with the columns ``code,name_da,name_en``.

    This is the format of the bundled ``data/codelist_<name>.csv`` files; the register can use
    it to import an authority's additions. Codes must have the list's form (digits, or a URN
    for message types) and may not repeat. Raises :class:`DomainError` naming ``source`` and
    the line on any fault.
    """
    try:
        kind = CodeListName(list_name)
    except ValueError:
        known = ", ".join(name.value for name in CodeListName)
        raise InvalidCode("code list", list_name, f"no such code list; known: {known}") from None
    probe = _new_list(kind, ())
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(reader, None)
    if header != _CSV_HEADER:
        found = "an empty file" if header is None else repr(",".join(header))
        raise DomainError(
            f"{source} line 1: the header must be {','.join(_CSV_HEADER)}, found {found}"
        )
    entries: list[CodeEntry] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not row:
            continue
        if len(row) != len(_CSV_HEADER):
            raise DomainError(
                f"{source} line {line}: expected 3 fields (code,name_da,name_en), "
                f"got {len(row)}: {row!r}"
            )
        code, name_da, name_en = (cell.strip() for cell in row)
        reason = probe._format_reason(code)
        if reason is not None:
            raise DomainError(f"{source} line {line}: bad code {code!r}: {reason}")
        if code in seen:
            raise DomainError(f"{source} line {line}: code {code!r} repeats line {seen[code]}")
        seen[code] = line
        entries.append(CodeEntry(kind.value, code, name_da, name_en))
    return tuple(entries)


class CodeLists:
    """The registry of all code lists: look a list up, validate a code, name a code.

    A registry is immutable; :meth:`with_additions` makes a new one. Use :meth:`bundled` for the
    lists shipped with the package.
    """

    __slots__ = ("_lists",)

    def __init__(self, lists: Iterable[CodeList]) -> None:
        """Build a registry from code lists with distinct names."""
        by_name: dict[str, CodeList] = {}
        for code_list in lists:
            if code_list.name in by_name:
                raise ValueError(f"code list {code_list.name!r} given twice")
            by_name[code_list.name] = code_list
        self._lists: Mapping[str, CodeList] = MappingProxyType(by_name)

    @classmethod
    def bundled(cls) -> CodeLists:
        """The code lists shipped in the package (loaded once, then shared)."""
        return _bundled()

    def lists(self) -> tuple[CodeList, ...]:
        """Every code list, in the order of :class:`CodeListName`, then any others by name."""
        order = {name.value: i for i, name in enumerate(CodeListName)}
        return tuple(
            sorted(self._lists.values(), key=lambda cl: (order.get(cl.name, len(order)), cl.name))
        )

    def get(self, list_name: str) -> CodeList:
        """The code list called ``list_name``; raises :class:`InvalidCode` when there is none."""
        code_list = self._lists.get(list_name)
        if code_list is None:
            known = ", ".join(cl.name for cl in self.lists())
            raise InvalidCode("code list", list_name, f"no such code list; known: {known}")
        return code_list

    def validate(self, list_name: str, code: object) -> str:
        """The normalised code when list ``list_name`` accepts ``code``.

        Raises :class:`InvalidCode` (``code_list`` = ``list_name``) whose reason names the list
        in Danish and English and says how many codes it has, or ``"no longer in use"`` for a
        code the authority has deactivated.
        """
        return self.get(list_name).validate(code)

    def name_of(self, list_name: str, code: object, lang: Language = "da") -> str | None:
        """The name of ``code`` in list ``list_name``; ``None`` for an unknown or unnamed code.

        Codes no longer in use still have their names.
        """
        return self.get(list_name).name_of(code, lang)

    def with_additions(self, entries: Iterable[CodeEntry]) -> CodeLists:
        """A new registry with the authority's additions merged in; this one is unchanged.

        Each entry adds a code to its list, renames an existing code (an empty name keeps the
        old one) or, with ``active=False``, takes a code out of use. Entries apply in order, so
        a later entry for the same code wins. An entry for an unknown list or with a code of the
        wrong form raises :class:`InvalidCode`.
        """
        merged: dict[str, dict[str, CodeEntry]] = {
            name: dict(code_list.entries) for name, code_list in self._lists.items()
        }
        for entry in entries:
            code_list = self.get(entry.list_name)
            text = _as_text(entry.code)
            if text is None:
                raise InvalidCode(code_list.name, entry.code, "not a code: expected text")
            reason = code_list._format_reason(text)
            if reason is not None:
                raise InvalidCode(code_list.name, entry.code, reason)
            current = merged[code_list.name]
            if code_list.uses_urns:
                text = next((c for c in current if c.casefold() == text.casefold()), text)
            old = current.get(text)
            current[text] = CodeEntry(
                list_name=code_list.name,
                code=text,
                name_da=entry.name_da or (old.name_da if old else ""),
                name_en=entry.name_en or (old.name_en if old else ""),
                active=entry.active,
            )
        return CodeLists(
            CodeList(
                name=code_list.name,
                label_da=code_list.label_da,
                label_en=code_list.label_en,
                open=code_list.open,
                entries=merged[code_list.name],
            )
            for code_list in self._lists.values()
        )

    def __contains__(self, list_name: object) -> bool:
        return list_name in self._lists

    def __repr__(self) -> str:
        sizes = ", ".join(f"{cl.name}={len(cl)}" for cl in self.lists())
        return f"CodeLists({sizes})"


@functools.cache
def _bundled() -> CodeLists:
    data = resources.files("opensor.domain").joinpath("data")
    lists: list[CodeList] = []
    for name in CodeListName:
        file_name = f"codelist_{name.value}.csv"
        text = data.joinpath(file_name).read_text(encoding="utf-8")
        lists.append(_new_list(name, parse_code_list_csv(name.value, text, file_name)))
    return CodeLists(lists)
