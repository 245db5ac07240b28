"""Applying a maintainer's changes (JSON values by field name) to a unit or location number.

The write API, the web forms and approved change requests all describe a change the same way:
a mapping from field names (those of :class:`~opensor.domain.records.UnitRecord` and
:class:`~opensor.domain.records.LocationNumberRecord`) to JSON values — an address or the
contact data as an object, specialities as a list of ``{"code", "type"}``. An attribute group
given replaces the group; a field not given keeps its value; ``null`` clears it.

The identity, level, validity and tree position are not changed this way: they have their own
operations (create, move, close, reopen, successor), so the rules of each are checked once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from opensor.domain.records import Address, Contact, LocationNumberRecord, Speciality, UnitRecord
from opensor.domain.validation import FieldProblem

__all__ = [
    "LOCATION_CHANGEABLE_FIELDS",
    "UNIT_CHANGEABLE_FIELDS",
    "apply_location_changes",
    "apply_unit_changes",
    "changed_fields",
]

_ADDRESS_FIELDS = {f.name for f in dataclasses.fields(Address)}
_ADDRESS_REQUIRED = ("street_name", "building", "postcode", "district")
_CONTACT_FIELDS = {f.name for f in dataclasses.fields(Contact)}


class _Invalid(Exception):
    def __init__(self, field: str, message_da: str, message_en: str) -> None:
        self.problem = FieldProblem(field, message_da, message_en)


def _text(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid(field, "skal være tekst", f"must be text, not {type(value).__name__}")
    value = value.strip()
    return value or None


def _required_text(field: str, value: Any) -> str:
    text = _text(field, value)
    if text is None:
        raise _Invalid(field, "skal udfyldes", "must not be empty")
    return text


def _open_text(field: str, value: Any) -> str:
    return _text(field, value) or ""


def _flag(field: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise _Invalid(field, "skal være ja, nej eller tom", "must be true, false or null")


def _required_flag(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _Invalid(field, "skal være ja eller nej", "must be true or false")


def _whole(field: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Invalid(field, "skal være et helt tal", "must be a whole number")
    try:
        return int(value)
    except ValueError:
        raise _Invalid(field, "skal være et helt tal", "must be a whole number") from None


def _number(field: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(field, "skal være et tal", "must be a number")
    return float(value)


def _object(field: str, value: Any, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Invalid(field, "skal være et objekt", "must be an object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _Invalid(
            f"{field}.{unknown[0]}",
            "ukendt felt",
            f"unknown field (use {', '.join(sorted(allowed))})",
        )
    return value


def _address(field: str, value: Any) -> Address | None:
    if value is None:
        return None
    data = _object(field, value, _ADDRESS_FIELDS)
    parts: dict[str, Any] = {}
    for name in _ADDRESS_FIELDS:
        where = f"{field}.{name}"
        if name in ("latitude", "longitude"):
            parts[name] = _number(where, data.get(name))
        elif name in _ADDRESS_REQUIRED:
            parts[name] = _required_text(where, data.get(name))
        elif name == "country":
            parts[name] = (_text(where, data.get(name)) or "DK").upper()
        else:
            parts[name] = _text(where, data.get(name))
    return Address(**parts)


def _contact(field: str, value: Any) -> Contact | None:
    if value is None:
        return None
    data = _object(field, value, _CONTACT_FIELDS)
    contact = Contact(
        **{name: _text(f"{field}.{name}", data.get(name)) for name in _CONTACT_FIELDS}
    )
    return None if contact.is_empty() else contact


def _specialities(field: str, value: Any) -> tuple[Speciality, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Invalid(field, "skal være en liste", "must be a list")
    result = []
    for index, item in enumerate(value):
        where = f"{field}.{index}"
        if isinstance(item, list | tuple) and len(item) == 2:
            item = {"code": item[0], "type": item[1]}
        data = _object(where, item, {"code", "type"})
        result.append(
            Speciality(
                code=_required_text(f"{where}.code", data.get("code")),
                type=_required_text(f"{where}.type", data.get("type")),
            )
        )
    return tuple(result)


def _local_attributes(field: str, value: Any) -> tuple[str | None, ...]:
    if value is None:
        return (None,) * 5
    if not isinstance(value, list) or len(value) > 5:
        raise _Invalid(
            field, "skal være en liste med højst 5 værdier", "must be a list of at most 5"
        )
    texts = [_text(f"{field}.{i}", v) for i, v in enumerate(value)]
    return tuple(texts + [None] * (5 - len(texts)))


def _message_types(field: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Invalid(field, "skal være en liste", "must be a list")
    return tuple(_required_text(f"{field}.{i}", v) for i, v in enumerate(value))


_Parser = Callable[[str, Any], Any]

UNIT_CHANGEABLE_FIELDS: dict[str, _Parser] = {
    "name": _required_text,
    "owner_type": _text,
    "institution_type": _text,
    "unit_type": _text,
    "shak": _text,
    "provider_number": _text,
    "pharmacy_id": _text,
    "local_code": _text,
    "local_attributes": _local_attributes,
    "location_number_inherited": _flag,
    "geographical_parent_relation": _whole,
    "geographical_parent_sor_id": _whole,
    "postal_address": _address,
    "visiting_address": _address,
    "activity_address": _address,
    "contact": _contact,
    "specialities": _specialities,
    "ambulant_activity": _flag,
    "patients_admitted": _flag,
    "reporting_level": _flag,
    "cvr": _text,
    "personal_data": _required_flag,
}
"""The unit fields a change may set, each with the parser of its JSON value."""

LOCATION_CHANGEABLE_FIELDS: dict[str, _Parser] = {
    "only_internal": _required_flag,
    "non_active": _required_flag,
    "system_supplier": _open_text,
    "system_type": _open_text,
    "communication_supplier": _open_text,
    "region_code": _open_text,
    "edi_administrator": _open_text,
    "note": _text,
    "message_types": _message_types,
}
"""The location-number fields a change may set, each with the parser of its JSON value."""

_FIXED = {
    "sor_id": "SOR-ID'et ændres aldrig",
    "level": "niveauet ændres aldrig",
    "gln": "lokationsnummeret ændres aldrig",
    "parent_sor_id": "brug flytning for at skifte overordnet enhed",
    "owner_sor_id": "brug flytning for at give nummeret til en anden enhed",
    "validity": "gyldighed ændres ved oprettelse, lukning og genåbning",
    "replaces": "brug efterfølger-handlingen",
    "replaced_by": "brug efterfølger-handlingen",
}


def _apply(
    record: Any, changes: Mapping[str, Any], parsers: dict[str, _Parser]
) -> tuple[Any, list[FieldProblem]]:
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name in _FIXED:
            problems.append(FieldProblem(name, _FIXED[name], f"{name} cannot be changed this way"))
            continue
        parser = parsers.get(name)
        if parser is None:
            problems.append(
                FieldProblem(
                    name, "ukendt felt", f"unknown field (use {', '.join(sorted(parsers))})"
                )
            )
            continue
        try:
            values[name] = parser(name, value)
        except _Invalid as error:
            problems.append(error.problem)
    # Apply what could be read, so validation reports the other fields' problems too.
    return record.with_changes(**values), problems


def apply_unit_changes(
    record: UnitRecord, changes: Mapping[str, Any]
) -> tuple[UnitRecord, list[FieldProblem]]:
    """``record`` with ``changes`` applied, and every problem found reading them.

    The fields that could be read are applied even when others could not, so that the caller
    can validate them and report every problem at once.
    """
    result, problems = _apply(record, changes, UNIT_CHANGEABLE_FIELDS)
    return result, problems


def apply_location_changes(
    record: LocationNumberRecord, changes: Mapping[str, Any]
) -> tuple[LocationNumberRecord, list[FieldProblem]]:
    """``record`` with ``changes`` applied, and every problem found reading them."""
    result, problems = _apply(record, changes, LOCATION_CHANGEABLE_FIELDS)
    return result, problems


def changed_fields(before: Any, after: Any) -> list[str]:
    """The names of the fields whose values differ between two records of the same kind."""
    return [
        f.name
        for f in dataclasses.fields(before)
        if f.name != "validity" and getattr(before, f.name) != getattr(after, f.name)
    ]
