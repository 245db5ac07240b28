"""Strict validation of what a maintainer writes: every problem, named by field.

Imports warn about unknown codes (the source is authoritative, see :mod:`findings`); a
maintainer's write is held to the rules: identifiers with valid check digits, codes from the
code lists, postcodes that exist and match their post town, at most eight specialities, a
level that fits its parent. :func:`unit_problems` and :func:`location_problems` return every
problem at once, so a form or an API client can show them all; an empty list means valid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from opensor.domain import geography
from opensor.domain.codelists import CodeListName, CodeLists
from opensor.domain.errors import DomainError
from opensor.domain.identifiers import (
    normalize_phone,
    validate_cvr,
    validate_gln,
    validate_postcode,
    validate_provider_number,
    validate_shak,
)
from opensor.domain.records import Address, Level, LocationNumberRecord, UnitRecord

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_SPECIALITIES",
    "FieldProblem",
    "location_problems",
    "unit_problems",
]

MAX_NAME_LENGTH = 200
MAX_SPECIALITIES = 8


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One invalid field: its name (dotted for nested values) and what is wrong.

    The message is given in Danish (for maintainers' screens) and in English (for the API).
    """

    field: str
    message_da: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        """The problem as JSON (``field``, ``detail`` in English, ``detail_da`` in Danish)."""
        return {"field": self.field, "detail": self.message_en, "detail_da": self.message_da}


def _identifier(
    field: str, value: Any, check: Callable[[Any], Any], label_da: str
) -> Iterator[FieldProblem]:
    if value is None:
        return
    try:
        check(value)
    except DomainError as error:
        yield FieldProblem(field, f"ugyldig {label_da}: {value!r}", str(error))


def _code(
    field: str, codes: CodeLists, list_name: str, value: str | None
) -> Iterator[FieldProblem]:
    if value is None:
        return
    try:
        codes.validate(list_name, value)
    except DomainError as error:
        label = codes.get(list_name).label("da")
        yield FieldProblem(field, f"{value!r} findes ikke i kodelisten {label}", str(error))


def _address(field: str, address: Address | None) -> Iterator[FieldProblem]:
    if address is None:
        return
    country = address.country or "DK"
    if not address.street_name.strip():
        yield FieldProblem(f"{field}.street_name", "vejnavn mangler", "street name is missing")
    try:
        code = validate_postcode(address.postcode, country)
    except DomainError as error:
        yield FieldProblem(
            f"{field}.postcode", f"ugyldigt postnummer {address.postcode!r}", str(error)
        )
        return
    known = geography.postcode(code, country)
    if known is None:
        yield FieldProblem(
            f"{field}.postcode",
            f"postnummer {code} findes ikke ({country})",
            f"postcode {code} does not exist in {country}",
        )
    elif address.district and address.district.strip().casefold() != known.name.casefold():
        yield FieldProblem(
            f"{field}.district",
            f"postnummer {code} hedder {known.name}, ikke {address.district}",
            f"postcode {code} is {known.name}, not {address.district}",
        )
    for name, value, low, high in (
        ("latitude", address.latitude, -90.0, 90.0),
        ("longitude", address.longitude, -180.0, 180.0),
    ):
        if value is not None and not low <= value <= high:
            yield FieldProblem(
                f"{field}.{name}",
                f"{value} ligger uden for {low}…{high}",
                f"{value} lies outside {low}…{high}",
            )


def _contact(record: UnitRecord) -> Iterator[FieldProblem]:
    contact = record.contact
    if contact is None:
        return
    country = (record.postal_address.country if record.postal_address else None) or "DK"
    for name in ("phone", "fax"):
        value = getattr(contact, name)
        if value:
            yield from _identifier(
                f"contact.{name}", value, lambda v: normalize_phone(v, country), "telefonnummer"
            )
    if contact.email and ("@" not in contact.email or " " in contact.email.strip()):
        yield FieldProblem(
            "contact.email",
            f"{contact.email!r} er ikke en e-mailadresse",
            f"{contact.email!r} is not an e-mail address",
        )
    if contact.website and " " in contact.website.strip():
        yield FieldProblem(
            "contact.website",
            f"{contact.website!r} er ikke en webadresse",
            f"{contact.website!r} is not a web address",
        )


def unit_problems(
    record: UnitRecord, codes: CodeLists, *, parent_level: Level | None = None
) -> list[FieldProblem]:
    """Every problem with a unit version a maintainer wants to record.

    ``parent_level`` is the level of the unit's parent on the date the version starts (``None``
    for an owner, or when the caller checks the parent itself).
    """
    problems: list[FieldProblem] = []
    name = record.name.strip()
    if not name:
        problems.append(FieldProblem("name", "navn mangler", "name is missing"))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(
            FieldProblem(
                "name",
                f"navnet er længere end {MAX_NAME_LENGTH} tegn",
                f"name is longer than {MAX_NAME_LENGTH} characters",
            )
        )
    if record.level is Level.OWNER and record.parent_sor_id is not None:
        problems.append(
            FieldProblem(
                "parent", "en institutionsejer har ingen overordnet", "an owner has no parent"
            )
        )
    if record.level is not Level.OWNER and record.parent_sor_id is None:
        problems.append(FieldProblem("parent", "overordnet enhed mangler", "parent is missing"))
    if parent_level is not None and parent_level not in record.level.allowed_parent_levels:
        problems.append(
            FieldProblem(
                "parent",
                f"en {record.level.label_da.lower()} kan ikke ligge under en "
                f"{parent_level.label_da.lower()}",
                f"a {record.level.value} cannot sit under a {parent_level.value}",
            )
        )
    required = {
        Level.OWNER: ("owner_type", CodeListName.OWNER_TYPE),
        Level.INSTITUTION: ("institution_type", CodeListName.INSTITUTION_TYPE),
    }
    field, list_name = required.get(record.level, ("unit_type", CodeListName.UNIT_TYPE))
    if record.level in required and getattr(record, field) is None:
        label = codes.get(list_name).label("da")
        problems.append(FieldProblem(field, f"{label} mangler", f"{field} is missing"))
    for field, list_name in (
        ("owner_type", CodeListName.OWNER_TYPE),
        ("institution_type", CodeListName.INSTITUTION_TYPE),
        ("unit_type", CodeListName.UNIT_TYPE),
    ):
        problems.extend(_code(field, codes, list_name, getattr(record, field)))
    problems.extend(_identifier("shak", record.shak, validate_shak, "SHAK-kode"))
    problems.extend(
        _identifier(
            "provider_number", record.provider_number, validate_provider_number, "ydernummer"
        )
    )
    problems.extend(_identifier("cvr", record.cvr, validate_cvr, "CVR-nummer"))
    for field in ("postal_address", "visiting_address", "activity_address"):
        problems.extend(_address(field, getattr(record, field)))
    problems.extend(_contact(record))
    if len(record.specialities) > MAX_SPECIALITIES:
        problems.append(
            FieldProblem(
                "specialities",
                f"højst {MAX_SPECIALITIES} specialer",
                f"at most {MAX_SPECIALITIES} specialities",
            )
        )
    seen: set[str] = set()
    for index, speciality in enumerate(record.specialities):
        where = f"specialities.{index}"
        problems.extend(_code(f"{where}.code", codes, CodeListName.SPECIALITY, speciality.code))
        problems.extend(
            _code(f"{where}.type", codes, CodeListName.SPECIALITY_TYPE, speciality.type)
        )
        if speciality.code in seen:
            problems.append(
                FieldProblem(
                    f"{where}.code",
                    f"specialet {speciality.code} står der allerede",
                    f"speciality {speciality.code} is listed twice",
                )
            )
        seen.add(speciality.code)
    if record.geographical_parent_relation is not None:
        problems.extend(
            _code(
                "geographical_parent_relation",
                codes,
                CodeListName.GEOGRAPHICAL_PARENT_RELATION,
                str(record.geographical_parent_relation),
            )
        )
    if record.sor_id in record.replaces or record.sor_id in record.replaced_by:
        problems.append(
            FieldProblem(
                "replaces", "en enhed kan ikke erstatte sig selv", "a unit cannot replace itself"
            )
        )
    return problems


def location_problems(record: LocationNumberRecord, codes: CodeLists) -> list[FieldProblem]:
    """Every problem with a location-number version a maintainer wants to record."""
    problems = list(_identifier("gln", record.gln, validate_gln, "lokationsnummer"))
    seen: set[str] = set()
    for index, message_type in enumerate(record.message_types):
        field = f"message_types.{index}"
        problems.extend(_code(field, codes, CodeListName.MESSAGE_TYPE, message_type))
        if message_type in seen:
            problems.append(
                FieldProblem(
                    field,
                    f"meddelelsestypen {message_type} står der allerede",
                    f"message type {message_type} is listed twice",
                )
            )
        seen.add(message_type)
    for field, list_name in (
        ("system_type", CodeListName.SYSTEM_TYPE),
        ("system_supplier", CodeListName.SYSTEM_SUPPLIER),
        ("communication_supplier", CodeListName.COMMUNICATION_SUPPLIER),
        ("edi_administrator", CodeListName.EDI_ADMINISTRATOR),
    ):
        value = getattr(record, field)
        problems.extend(_code(field, codes, list_name, value or None))
    if record.region_code:
        try:
            geography.region(record.region_code)
        except DomainError as error:
            problems.append(
                FieldProblem(
                    "region_code", f"ukendt regionskode {record.region_code!r}", str(error)
                )
            )
    return problems
