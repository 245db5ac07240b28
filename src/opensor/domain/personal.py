"""Personal data: which fields of a unit marked as personal data are personal, and removing them.

A unit is marked as personal data (``personal_data`` of its version) when it is, or belongs
to, a sole proprietorship. Its **personal fields** (:data:`PERSONAL_CONTACT_FIELDS`) are the
contact details that reach a person: telephone, e-mail and fax, own and effective. The name,
codes, addresses, location numbers and website stay public.

This module is the one definition both sides use: the publisher writes every public document,
resource and file from :func:`public_record`, :func:`public_effective` and
:func:`redact_unit_document`, and the lookup service redacts a document it resolves itself
(``as_of``) with :func:`redact_unit_document`; only the protected channel (scope
``lookup:personal-data``) serves the whole document.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from opensor.domain.inheritance import EffectiveUnit, Sourced
from opensor.domain.records import UnitRecord

__all__ = [
    "PERSONAL_CONTACT_FIELDS",
    "REDACTED_MARK",
    "is_personal_document",
    "public_effective",
    "public_record",
    "public_unit_document",
    "redact_unit_document",
]

PERSONAL_CONTACT_FIELDS: tuple[str, ...] = ("phone", "email", "fax")
"""The personal fields of a personal-data unit: its contact details except the website."""

REDACTED_MARK = "personal_data_redacted"
"""The key a redacted unit document carries, listing the fields removed."""

_NO_VALUE: Sourced[str] = Sourced(None, None, False, "none")


def public_record(record: UnitRecord) -> UnitRecord:
    """``record`` without its personal fields when it is marked as personal data."""
    contact = record.contact
    if not record.personal_data or contact is None:
        return record
    if all(getattr(contact, name) is None for name in PERSONAL_CONTACT_FIELDS):
        return record
    cleared = dataclasses.replace(contact, **dict.fromkeys(PERSONAL_CONTACT_FIELDS))
    return dataclasses.replace(record, contact=cleared)


def public_effective(effective: EffectiveUnit) -> EffectiveUnit:
    """``effective`` without the personal fields when its unit is marked as personal data.

    The own record and the effective contact lose telephone, e-mail and fax (whether own or
    inherited); everything else is kept.
    """
    if not effective.unit.personal_data:
        return effective
    contact = {
        name: (_NO_VALUE if name in PERSONAL_CONTACT_FIELDS else value)
        for name, value in effective.contact.items()
    }
    return dataclasses.replace(effective, unit=public_record(effective.unit), contact=contact)


def is_personal_document(document: dict[str, Any]) -> bool:
    """Whether a unit document is of a unit marked as personal data."""
    unit = document.get("unit")
    return isinstance(unit, dict) and bool(unit.get("personal_data"))


def redact_unit_document(document: dict[str, Any]) -> dict[str, Any]:
    """A unit document with the personal fields emptied, marked :data:`REDACTED_MARK`.

    Wherever a ``contact`` object appears (the own record's and the effective one), each
    personal field keeps its key but loses its value: ``null`` for an own value, a value
    without a source (``rule`` ``none``) for an effective one, so the document keeps its
    shape.
    """

    def empty(item: Any) -> Any:
        if isinstance(item, dict):
            return {"value": None, "source_sor_id": None, "inherited": False, "rule": "none"}
        return None

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key == "contact" and isinstance(item, dict):
                    out[key] = {
                        k: (empty(v) if k in PERSONAL_CONTACT_FIELDS else strip(v))
                        for k, v in item.items()
                    }
                else:
                    out[key] = strip(item)
            return out
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    redacted: dict[str, Any] = strip(document)
    redacted[REDACTED_MARK] = list(PERSONAL_CONTACT_FIELDS)
    return redacted


def public_unit_document(document: dict[str, Any]) -> dict[str, Any]:
    """The public form of a unit document: redacted when personal, else as it is."""
    if is_personal_document(document) and REDACTED_MARK not in document:
        return redact_unit_document(document)
    return document
