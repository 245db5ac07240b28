"""FHIR R4 data types built from the register's value objects.

Instants, addresses, telecom, codings and references. Every function returns plain JSON-ready
dicts holding only elements that have a value: FHIR forbids empty strings, arrays and objects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from opensor.domain.codelists import CodeListName, CodeLists
from opensor.domain.fhir.systems import (
    LEVEL_SYSTEM,
    SNOMED_SYSTEM,
    SPECIALITY_TYPE_EXTENSION,
)
from opensor.domain.inheritance import Sourced
from opensor.domain.records import Address, Level, Speciality, UnitRecord, Validity

__all__ = [
    "FHIR_ID",
    "address",
    "check_id",
    "instant",
    "is_active",
    "level_concept",
    "period",
    "reference",
    "speciality_concept",
    "telecom",
    "type_concept",
]

FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
"""What FHIR allows as a resource id or a version id."""

_TYPE_LIST = {
    Level.OWNER: CodeListName.OWNER_TYPE,
    Level.INSTITUTION: CodeListName.INSTITUTION_TYPE,
    Level.UNIT: CodeListName.UNIT_TYPE,
}

_TELECOM_SYSTEMS = (("phone", "phone"), ("fax", "fax"), ("email", "email"), ("website", "url"))
"""Contact field → ``ContactPoint.system``, in the order they are written."""


def check_id(kind: str, value: str) -> str:
    """``value`` when it is a valid FHIR id, else :class:`ValueError` naming ``kind``."""
    if not isinstance(value, str) or FHIR_ID.fullmatch(value) is None:
        raise ValueError(
            f"invalid FHIR {kind} {value!r}: 1 to 64 characters of A-Z, a-z, 0-9, '-' and '.'"
        )
    return value


def instant(moment: datetime) -> str:
    """``moment`` as a FHIR ``instant`` in UTC (``…Z``); a naive datetime is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a FHIR instant needs a time zone; got the naive datetime {moment}")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def reference(resource_type: str, resource_id: object) -> dict[str, str]:
    """A relative reference, e.g. ``{"reference": "Organization/8341000016002"}``."""
    return {"reference": f"{resource_type}/{resource_id}"}


def period(validity: Validity) -> dict[str, str]:
    """A ``Period`` from a valid time.

    SOR's ``valid_to`` is the first day no longer valid; a FHIR ``Period.end`` includes the
    day it names, so the end written is the day before ``valid_to``.
    """
    result = {"start": validity.valid_from.isoformat()}
    if validity.valid_to is not None:
        result["end"] = (validity.valid_to - timedelta(days=1)).isoformat()
    return result


def _street_line(value: Address) -> str:
    line = " ".join(part for part in (value.street_name, value.building) if part)
    if value.floor:
        line += f", {value.floor}."
    if value.suite:
        line += f" {value.suite}"
    return line


def address(value: Address, *, kind: str) -> dict[str, Any]:
    """A Danish address as a FHIR ``Address`` (``use`` work; ``type`` postal, physical or both).

    Lines: the c/o or attention line (``mail_delivery_sublocation``) first, then street,
    building, floor and suite, then the supplementary town name (``district_subdivision``)
    and the PO box. ``district`` (the post town) is the city.
    """
    lines = [
        text
        for text in (
            value.mail_delivery_sublocation,
            _street_line(value),
            value.district_subdivision,
            f"Postboks {value.po_box}" if value.po_box else None,
        )
        if text
    ]
    result: dict[str, Any] = {"use": "work", "type": kind, "text": value.one_line()}
    if lines:
        result["line"] = lines
    if value.district:
        result["city"] = value.district
    if value.postcode:
        result["postalCode"] = value.postcode
    if value.country:
        result["country"] = value.country
    return result


def telecom(contact: Mapping[str, Sourced[str]]) -> list[dict[str, str]]:
    """The effective contact values as ``ContactPoint`` s (telephone, fax, e-mail, website)."""
    points = []
    for field_name, system in _TELECOM_SYSTEMS:
        sourced = contact.get(field_name)
        if sourced is not None and sourced.value:
            points.append({"system": system, "value": sourced.value, "use": "work"})
    return points


def _coding(system: str, code: str, display: str | None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def type_concept(unit: UnitRecord, codes: CodeLists) -> dict[str, Any] | None:
    """The unit's owner, institution or unit type (SNOMED CT, Danish display), if it has one."""
    list_name = _TYPE_LIST[unit.level]
    code = getattr(unit, list_name.value)
    if not code:
        return None
    return {"coding": [_coding(SNOMED_SYSTEM, code, codes.name_of(list_name, code))]}


def level_concept(level: Level) -> dict[str, Any]:
    """The SOR level (IE, SI, OE) in MedCom EER's code system, with the Danish name."""
    return {"coding": [_coding(LEVEL_SYSTEM, level.value, level.label_da)]}


def speciality_concept(speciality: Speciality, codes: CodeLists) -> dict[str, Any]:
    """A clinical speciality (SNOMED CT) with its SOR speciality type as an extension."""
    return {
        "extension": [{"url": SPECIALITY_TYPE_EXTENSION, "valueCode": speciality.type}],
        "coding": [
            _coding(
                SNOMED_SYSTEM,
                speciality.code,
                codes.name_of(CodeListName.SPECIALITY, speciality.code),
            )
        ],
    }


def is_active(validity: Validity, day: date | None) -> bool:
    """Whether a version counts as active: valid on ``day``, or (no day) not closed."""
    if day is not None:
        return validity.contains(day)
    return validity.valid_to is None
