"""The edit forms of the maintainers' UI: the fields of each attribute group.

Also how a posted form becomes a change in the JSON change format of
:mod:`opensor.domain.changes`.

Input names are the change format's field paths (``postal_address.postcode``,
``specialities.0.code``), so a :class:`~opensor.domain.validation.FieldProblem` from the
service lands beside the input it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from opensor.domain.codelists import CodeLists
from opensor.domain.records import Level, UnitRecord, record_to_dict

__all__ = [
    "GROUPS",
    "FormField",
    "Group",
    "changes_from_post",
    "group_fields",
    "parse_effective",
    "parse_sor_id",
    "type_field_of",
]


@dataclass
class FormField:
    """One input of a form: its name (a change-format path), label, kind, value and error."""

    name: str
    label: str
    kind: str = "text"  # text | select | tristate | checkbox | date | hidden | radio
    value: Any = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""
    help: str = ""
    required: bool = False
    legend: str = ""

    @property
    def input_id(self) -> str:
        """An HTML id for the input."""
        return "f-" + self.name.replace(".", "-").replace("_", "-")


@dataclass(frozen=True)
class Group:
    """An attribute group with its own edit form."""

    slug: str
    label: Any


GROUPS = {
    group.slug: group
    for group in (
        Group("basis", _("Navn, typer og koder")),
        Group("addresses", _("Adresser")),
        Group("contact", _("Kontaktoplysninger")),
        Group("specialities", _("Specialer")),
        Group("flags", _("Markeringer")),
    )
}

ADDRESS_KINDS = (
    ("postal_address", _("Postadresse")),
    ("visiting_address", _("Besøgsadresse")),
    ("activity_address", _("Aktivitetsadresse")),
)
ADDRESS_PARTS = (
    ("street_name", _("Vejnavn")),
    ("building", _("Husnummer")),
    ("floor", _("Etage")),
    ("suite", _("Side/dør")),
    ("postcode", _("Postnummer")),
    ("district", _("By")),
    ("country", _("Land")),
)
CONTACT_PARTS = (
    ("phone", _("Telefon")),
    ("email", _("E-mail")),
    ("website", _("Hjemmeside")),
    ("fax", _("Fax")),
)
FLAGS = (
    ("ambulant_activity", _("Ambulant aktivitet")),
    ("patients_admitted", _("Indlagte patienter")),
    ("reporting_level", _("Indberetningsniveau")),
    ("location_number_inherited", _("Lokationsnummer nedarvet")),
)
TEXT_CODES = (
    ("shak", _("SHAK-kode")),
    ("provider_number", _("Ydernummer")),
    ("cvr", _("CVR-nummer")),
    ("pharmacy_id", _("Apoteksnummer")),
    ("local_code", _("Lokal kode")),
)
EXTRA_SPECIALITY_ROWS = 3


def type_field_of(level: Level) -> tuple[str, str, Any]:
    """The type field of a level: ``(field, code list, label)``."""
    if level is Level.OWNER:
        return "owner_type", "owner_type", _("Ejerforhold")
    if level is Level.INSTITUTION:
        return "institution_type", "institution_type", _("Institutionstype")
    return "unit_type", "unit_type", _("Enhedstype")


def code_choices(codes: CodeLists, list_name: str, lang: str) -> list[tuple[str, str]]:
    """The active codes of a list as select choices, with an empty first choice."""
    return [("", "—")] + [
        (entry.code, f"{entry.name(lang)} ({entry.code})")  # type: ignore[arg-type]
        for entry in codes.get(list_name)
        if entry.active
    ]


def _tristate(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


TRISTATE_CHOICES = [("", _("ikke angivet")), ("true", _("ja")), ("false", _("nej"))]


def group_fields(group: str, record: UnitRecord, codes: CodeLists, lang: str) -> list[FormField]:
    """The inputs of one attribute group, filled in from the unit's own version."""
    own = record_to_dict(record)
    if group == "basis":
        type_name, list_name, type_label = type_field_of(record.level)
        fields = [
            FormField("name", str(_("Navn")), value=record.name, required=True),
            FormField(
                type_name,
                str(type_label),
                kind="select",
                value=own.get(type_name) or "",
                choices=code_choices(codes, list_name, lang),
            ),
        ]
        fields += [FormField(n, str(label), value=own.get(n) or "") for n, label in TEXT_CODES]
        return fields
    if group == "addresses":
        fields = []
        for kind, kind_label in ADDRESS_KINDS:
            address = own.get(kind) or {}
            for part, part_label in ADDRESS_PARTS:
                fields.append(
                    FormField(
                        f"{kind}.{part}",
                        str(part_label),
                        value=address.get(part) or "",
                        legend=str(kind_label),
                    )
                )
        return fields
    if group == "contact":
        contact = own.get("contact") or {}
        return [
            FormField(f"contact.{n}", str(label), value=contact.get(n) or "")
            for n, label in CONTACT_PARTS
        ]
    if group == "specialities":
        rows = list(own.get("specialities") or []) + [{}] * EXTRA_SPECIALITY_ROWS
        speciality = code_choices(codes, "speciality", lang)
        kinds = code_choices(codes, "speciality_type", lang)
        fields = []
        for index, row in enumerate(rows):
            legend = str(_("Speciale %(n)s")) % {"n": index + 1}
            fields.append(
                FormField(
                    f"specialities.{index}.code",
                    str(_("Speciale")),
                    kind="select",
                    value=row.get("code") or "",
                    choices=speciality,
                    legend=legend,
                )
            )
            fields.append(
                FormField(
                    f"specialities.{index}.type",
                    str(_("Specialetype")),
                    kind="select",
                    value=row.get("type") or "",
                    choices=kinds,
                    legend=legend,
                )
            )
        return fields
    if group == "flags":
        fields = [
            FormField(
                n,
                str(label),
                kind="select",
                value=_tristate(getattr(record, n)),
                choices=[(v, str(t)) for v, t in TRISTATE_CHOICES],
            )
            for n, label in FLAGS
        ]
        fields.append(
            FormField(
                "personal_data",
                str(_("Personoplysninger (enkeltmandsvirksomhed)")),
                kind="checkbox",
                value=record.personal_data,
            )
        )
        return fields
    raise KeyError(group)


def _posted_text(post: Mapping[str, str], name: str) -> str | None:
    value = (post.get(name) or "").strip()
    return value or None


def _posted_flag(post: Mapping[str, str], name: str) -> bool | None:
    return {"true": True, "false": False}.get(post.get(name, ""))


def changes_from_post(
    group: str, post: Mapping[str, str], record: UnitRecord
) -> tuple[dict[str, Any], dict[str, str]]:
    """The change a posted group form asks for, and how to map problem fields back to inputs.

    The second value maps a field path of the change (``specialities.0.code``) to the input
    it came from, where they differ (empty speciality rows are left out of the change).
    """
    own = record_to_dict(record)
    renames: dict[str, str] = {}
    if group == "basis":
        type_name, _list, _label = type_field_of(record.level)
        names = ["name", type_name, *(n for n, _l in TEXT_CODES)]
        return {n: _posted_text(post, n) for n in names}, renames
    if group == "addresses":
        changes: dict[str, Any] = {}
        for kind, _kind_label in ADDRESS_KINDS:
            parts = {part: _posted_text(post, f"{kind}.{part}") for part, _l in ADDRESS_PARTS}
            if not any(parts.values()):
                changes[kind] = None
            else:
                changes[kind] = {**(own.get(kind) or {}), **parts}
        return changes, renames
    if group == "contact":
        contact = {n: _posted_text(post, f"contact.{n}") for n, _l in CONTACT_PARTS}
        return {"contact": contact if any(contact.values()) else None}, renames
    if group == "specialities":
        items = []
        index = 0
        while f"specialities.{index}.code" in post or f"specialities.{index}.type" in post:
            code = _posted_text(post, f"specialities.{index}.code")
            kind = _posted_text(post, f"specialities.{index}.type")
            if code or kind:
                position = len(items)
                items.append({"code": code, "type": kind})
                for part in ("code", "type"):
                    renames[f"specialities.{position}.{part}"] = f"specialities.{index}.{part}"
            index += 1
            if index > 200:
                break
        return {"specialities": items}, renames
    if group == "flags":
        changes = {n: _posted_flag(post, n) for n, _l in FLAGS}
        changes["personal_data"] = post.get("personal_data") == "on"
        return changes, renames
    raise KeyError(group)


def parse_effective(text: str, today: date) -> tuple[date | None, str]:
    """The effective-from date of a form (today when empty), or an error message in Danish."""
    text = (text or "").strip()
    if not text:
        return today, ""
    try:
        return date.fromisoformat(text), ""
    except ValueError:
        return None, str(_("Datoen skal skrives som ÅÅÅÅ-MM-DD"))


def parse_sor_id(text: str) -> tuple[int | None, str]:
    """A SOR-ID typed into a form, or an error message."""
    text = (text or "").strip()
    if not text.isdigit() or len(text) > 18:
        return None, str(_("Skriv enhedens SOR-ID (kun cifre)"))
    return int(text), ""
