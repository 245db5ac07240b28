"""The practice's request forms: which fields they show and how a posted form becomes a payload.

A form posts plain fields (``name``, ``street_name`` …); :func:`payload_from_form` turns them
into the change format of :mod:`opensor.domain.changes`, sending for an update only what
differs from the register (an address or the contact data as a whole group, keeping the
group's other parts as they are).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import QueryDict

from opensor.domain import geography
from opensor.domain.errors import DomainError
from opensor.domain.records import LocationNumberRecord, UnitRecord, record_to_dict
from opensor.domain.validation import FieldProblem

__all__ = [
    "ADDRESS_FIELDS",
    "CONTACT_FIELDS",
    "FormField",
    "effective_of",
    "message_types_payload",
    "payload_from_form",
    "postcode_hint",
    "unit_fields",
]

ADDRESS_FIELDS = (
    ("street_name", "Vejnavn"),
    ("building", "Husnummer"),
    ("postcode", "Postnummer"),
    ("district", "Postdistrikt (by)"),
)
CONTACT_FIELDS = (("phone", "Telefon"), ("email", "E-mail"), ("website", "Hjemmeside"))


@dataclass(frozen=True)
class FormField:
    """One input of a request form with its current value."""

    name: str
    label: str
    value: str
    problem_key: str

    @property
    def input_id(self) -> str:
        """The HTML id of the input."""
        return f"f-{self.name}"


def _current(unit: UnitRecord | None) -> dict[str, Any]:
    return record_to_dict(unit) if unit is not None else {}


def unit_fields(unit: UnitRecord | None, posted: QueryDict | None = None) -> list[FormField]:
    """The fields of the unit form, filled from the post or else from the unit."""
    current = _current(unit)
    address = current.get("postal_address") or {}
    contact = current.get("contact") or {}

    def value(name: str, fallback: Any) -> str:
        if posted is not None:
            return str(posted.get(name, "")).strip()
        return "" if fallback is None else str(fallback)

    fields = [FormField("name", "Navn", value("name", current.get("name")), "name")]
    fields += [
        FormField(n, label, value(n, address.get(n)), f"postal_address.{n}")
        for n, label in ADDRESS_FIELDS
    ]
    fields += [
        FormField(n, label, value(n, contact.get(n)), f"contact.{n}") for n, label in CONTACT_FIELDS
    ]
    return fields


def _group(
    form: QueryDict, names: tuple[tuple[str, str], ...], current: dict[str, Any] | None
) -> dict[str, Any] | None:
    given = {n: str(form.get(n, "")).strip() for n, _ in names}
    if not any(given.values()) and not current:
        return None
    merged = dict(current or {})
    for name, text in given.items():
        merged[name] = text or None
    return merged


def payload_from_form(
    form: QueryDict, unit: UnitRecord | None, *, creating: bool
) -> dict[str, Any]:
    """The change-format payload of a posted unit form (only what differs, for an update)."""
    current = _current(unit) if not creating else {}
    payload: dict[str, Any] = {}
    name = str(form.get("name", "")).strip()
    if creating or name != current.get("name"):
        payload["name"] = name
    if creating:
        type_field = "institution_type" if form.get("level") == "SI" else "unit_type"
        payload[type_field] = str(form.get("type_code", "")).strip() or None
    for group, names in (("postal_address", ADDRESS_FIELDS), ("contact", CONTACT_FIELDS)):
        before = current.get(group)
        after = _group(form, names, before)
        if after is not None and after != before:
            if group == "postal_address":
                after.setdefault("country", "DK")
            payload[group] = after
    return payload


def message_types_payload(form: QueryDict, location: LocationNumberRecord) -> dict[str, Any]:
    """The payload of the message-type form: the checked message types, in code-list order."""
    return {"message_types": [str(code) for code in form.getlist("message_types")]}


def effective_of(form: QueryDict) -> tuple[date | None, list[FieldProblem]]:
    """The posted "gælder fra" date, or a problem naming it."""
    text = str(form.get("effective", "")).strip()
    if not text:
        return None, []
    try:
        return date.fromisoformat(text), []
    except ValueError:
        return None, [FieldProblem("effective", "skriv datoen som ÅÅÅÅ-MM-DD", "not a date")]


def postcode_hint(form: QueryDict) -> str:
    """The post town and municipality of the posted postcode, as help while typing."""
    code = str(form.get("postcode", "")).strip()
    if not code:
        return ""
    try:
        known = geography.postcode(code)
    except DomainError:
        return ""
    if known is None:
        return ""
    municipalities = []
    for municipality_code in known.municipality_codes:
        try:
            municipalities.append(f"{geography.municipality(municipality_code).name} Kommune")
        except DomainError:
            continue
    where = f" · {', '.join(municipalities)}" if municipalities else ""
    return f"{known.code} {known.name}{where}"
