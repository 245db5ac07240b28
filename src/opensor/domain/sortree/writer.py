"""Streaming writer of SorTree XML 1.0.0 files.

:func:`write_sortree` writes units given in depth-first pre-order with ``lxml.etree.xmlfile``,
one element at a time, so memory stays flat however many units there are (:mod:`.pair`
writes one such stream as two files in the same pass). The nesting
(``InstitutionOwnerEntity`` → ``HealthInstitutionEntity`` → ``OrganizationalUnitEntity`` …) is
derived from ``parent_sor_id`` with a stack. The elements are emitted from the same content-model
table the reader validates with, and every value is checked against its simple type before it is
written: records the schema cannot represent raise :class:`SorTreeWriteError` naming the unit and
the field instead of producing an invalid file.

SorTree does not carry every attribute OpenSOR keeps; see :data:`SORTREE_EXTENSION_FIELDS` and
:func:`carry_over_extensions` for re-importing an export without losing them. A few values are
normalised because the format cannot tell them apart: a ``location_number_inherited`` of
``False`` on a unit with its own location number, or on an owner (IE), reads back as ``None``;
an empty :class:`~opensor.domain.records.Contact` is not written and reads back as ``None``;
a Faroese postcode (3 digits, country ``FO``) is written zero-padded to the 4 digits the
``PostCodeIdentifier`` field requires (``0100``) and read back as ``100``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, BinaryIO

from lxml import etree

from opensor.domain.errors import DomainError
from opensor.domain.records import (
    Address,
    Contact,
    Level,
    LocationNumberRecord,
    UnitRecord,
    Validity,
)
from opensor.domain.sortree import _schema as s
from opensor.domain.sortree.errors import SorTreeWriteError

__all__ = [
    "SORTREE_EXTENSION_FIELDS",
    "carry_over_extensions",
    "carry_over_location_extensions",
    "write_sortree",
]

SORTREE_EXTENSION_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "UnitRecord": ("cvr", "personal_data"),
        "Address": ("latitude", "longitude"),
        "LocationNumberRecord": ("message_types",),
    }
)
"""Record attributes that SorTree 1.0.0 has no element for, per record class.

The writer leaves them out and the reader returns their defaults; use
:func:`carry_over_extensions` / :func:`carry_over_location_extensions` to keep the register's
values when re-importing an export.
"""

# Attributes a level's element has no place for: a record that sets one cannot be written.
_NOT_CARRIED: dict[Level, tuple[str, ...]] = {
    Level.OWNER: (
        "institution_type",
        "unit_type",
        "shak",
        "provider_number",
        "pharmacy_id",
        "local_code",
        "local_attributes",
        "geographical_parent_relation",
        "geographical_parent_sor_id",
        "visiting_address",
        "activity_address",
        "specialities",
        "ambulant_activity",
        "patients_admitted",
        "reporting_level",
        "replaces",
        "replaced_by",
    ),
    Level.INSTITUTION: (
        "owner_type",
        "unit_type",
        "provider_number",
        "local_code",
        "local_attributes",
        "activity_address",
        "specialities",
        "ambulant_activity",
        "patients_admitted",
        "reporting_level",
    ),
    Level.UNIT: ("owner_type", "institution_type"),
}
_EMPTY_VALUES: tuple[Any, ...] = (None, (), (None, None, None, None, None))
_UNIT_ELEMENT = {
    Level.OWNER: (s.IOE, s.INSTITUTION_OWNER),
    Level.INSTITUTION: (s.HIE, s.HEALTH_INSTITUTION),
    Level.UNIT: (s.OUE, s.ORGANIZATIONAL_UNIT),
}
# SorTree, IOE, HIE, n × OUE, OU, OptionalEanLocationCode, EanLocationCodeEntity, SorStatus,
# FromDate: libxml2 refuses more than 256 levels, so n <= 248, i.e. at most 250 open entities
_MAX_OPEN = 250
_INDENTS = tuple("\n" + "\t" * depth for depth in range(64))


def _indent(depth: int) -> str:
    """A newline and ``depth`` tabs (capped: OEs may nest deeper than is worth indenting)."""
    return _INDENTS[depth] if depth < 64 else _INDENTS[63]


def write_sortree(
    out: str | os.PathLike[str] | BinaryIO,
    items: Iterable[tuple[UnitRecord, LocationNumberRecord | None]],
    *,
    created_at: datetime,
    snapshot_date: date,
) -> int:
    """Write units as a SorTree XML 1.0.0 file; return the number of units written.

    ``items`` are ``(unit, its own location number or None)`` in depth-first pre-order: every
    unit after its parent, and all of a unit's descendants before its next sibling (the order
    :func:`~opensor.domain.sortree.read_sortree` yields them in). ``out`` is a path or a binary
    file object (left open). On error :class:`SorTreeWriteError` is raised; a file written to a
    path is then removed, output to a file object stops short (its elements are left unclosed,
    so it is not well-formed XML) and must be discarded.
    """
    if isinstance(out, str | os.PathLike):
        path = os.fspath(out)
        try:
            with open(path, "wb") as stream:
                return _write(stream, items, created_at, snapshot_date)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
    return _write(out, items, created_at, snapshot_date)


def _write(
    stream: BinaryIO,
    items: Iterable[tuple[UnitRecord, LocationNumberRecord | None]],
    created_at: datetime,
    snapshot_date: date,
) -> int:
    with etree.xmlfile(stream, encoding="UTF-8", buffered=True) as xf:
        writer, root = begin_envelope(xf, created_at, snapshot_date)
        count = writer.units(items)
        end_envelope(xf, root)
    return count


def begin_envelope(xf: Any, created_at: datetime, snapshot_date: date) -> tuple[UnitWriter, Any]:
    """Write the declaration and the envelope's head; the writer for the units and the root."""
    xf.write_declaration()
    # The envelope and entity elements are entered and left by hand: on an error they are
    # left open, so that what was written is not well-formed XML and cannot be mistaken
    # for a complete file (lxml then closes the output without ending them).
    root = xf.element(s.SORTREE, nsmap=dict(s.NSMAP))
    root.__enter__()
    writer = UnitWriter(xf)
    writer.leaf(1, "CreatedAtTime", created_at.isoformat(), s.parse_datetime)
    writer.leaf(1, "SnapshotDate", snapshot_date.isoformat(), s.parse_date)
    return writer, root


def end_envelope(xf: Any, root: Any) -> None:
    """Close the envelope :func:`begin_envelope` opened."""
    xf.write("\n")
    root.__exit__(None, None, None)


class _Open:
    """An entity element that is still open, with the unit it holds."""

    __slots__ = ("context", "level", "sor_id")

    def __init__(self, sor_id: int, level: Level, context: Any) -> None:
        self.sor_id = sor_id
        self.level = level
        self.context = context


class UnitWriter:
    """Writes units into one open ``xmlfile``, keeping the entities still open on a stack."""

    def __init__(self, xf: Any) -> None:
        self._xf = xf
        self._sor_id: int | None = None
        self._path: list[_Open] = []
        self._seen: set[int] = set()
        self.count = 0

    def leaf(self, depth: int, name: str, text: str, parse: Any) -> None:
        try:
            parse(text)
        except s.Invalid as exc:  # pragma: no cover - isoformat() output always parses
            raise SorTreeWriteError(f"{name} {text!r}: {exc.reason}") from None
        self._xf.write(_indent(depth))
        with self._xf.element(f"{{{s.NS}}}{name}"):
            self._xf.write(text)

    def units(self, items: Iterable[tuple[UnitRecord, LocationNumberRecord | None]]) -> int:
        """Write every item; the number of units written."""
        for unit, location_number in items:
            self.place(unit)
            self.write(unit, self.values(unit, location_number))
        return self.finish()

    def place(self, unit: UnitRecord) -> None:
        """Check where ``unit`` goes in the tree and close the entities it does not sit in."""
        sor_id = unit.sor_id
        self._sor_id = sor_id
        level = unit.level
        path = self._path
        if sor_id in self._seen:
            raise self._error("the unit occurs twice", "sor_id")
        if level is Level.OWNER:
            if unit.parent_sor_id is not None:
                raise self._error(
                    "an owner (IE) has no parent in SorTree, but parent_sor_id is "
                    f"{unit.parent_sor_id}",
                    "parent_sor_id",
                )
            self._close(0)
        else:
            parent = unit.parent_sor_id
            if parent is None:
                raise self._error(
                    f"{_a(level)} needs a parent_sor_id",
                    "parent_sor_id",
                )
            depth = len(path)
            while depth and path[depth - 1].sor_id != parent:
                depth -= 1
            if not depth:
                if parent in self._seen:
                    why = (
                        f"its parent {parent} was written earlier but other units came in "
                        "between; items must be in depth-first pre-order (all of a unit's "
                        "descendants before its next sibling)"
                    )
                else:
                    why = (
                        f"its parent {parent} has not been written before it; items must "
                        "be in depth-first pre-order (every unit after its parent)"
                    )
                raise self._error(why, "parent_sor_id")
            parent_level = path[depth - 1].level
            if parent_level not in level.allowed_parent_levels:
                raise self._error(
                    f"{_a(level)} cannot sit under {_a(parent_level)} in SorTree",
                    "parent_sor_id",
                )
            self._close(depth)
        if len(path) >= _MAX_OPEN:
            raise self._error(
                f"the unit would be the {len(path) - 1}th nested OE; XML parsers refuse "
                f"documents nested deeper than 256 elements (libxml2 without huge_tree), "
                f"which allows at most {_MAX_OPEN - 2} nested OEs",
                "parent_sor_id",
            )

    def write(self, unit: UnitRecord, values: list[Any]) -> None:
        """Write ``unit``, just placed, from its :meth:`values`; it stays open for children."""
        self._sor_id = unit.sor_id
        xf = self._xf
        wrapper, model = _UNIT_ELEMENT[unit.level]
        depth = len(self._path) + 1
        xf.write(_indent(depth))
        context = xf.element(wrapper)
        context.__enter__()
        self._path.append(_Open(unit.sor_id, unit.level, context))
        xf.write(_indent(depth + 1))
        with xf.element(f"{{{s.NS}}}{model.name}"):
            self._emit(model, values, depth + 2, "")
            xf.write(_indent(depth + 1))
        self._seen.add(unit.sor_id)
        self.count += 1
        self._sor_id = None

    def finish(self, output: str = "") -> int:
        """Close every open entity; the number of units written (at least one owner)."""
        if not self.count:
            raise SorTreeWriteError(
                f"a SorTree file needs at least one owner (InstitutionOwnerEntity){output}"
            )
        self._close(0)
        return self.count

    def _close(self, depth: int) -> None:
        xf = self._xf
        path = self._path
        while len(path) > depth:
            xf.write(_indent(len(path)))
            path.pop().context.__exit__(None, None, None)

    # -- records to particle values ---------------------------------------------------------

    def values(self, unit: UnitRecord, location_number: LocationNumberRecord | None) -> list[Any]:
        """The particle values of ``unit``'s element, checked against what SorTree can hold."""
        self._sor_id = unit.sor_id
        level = unit.level
        for name in _NOT_CARRIED[level]:
            if getattr(unit, name) not in _EMPTY_VALUES:
                raise self._error(
                    f"SorTree has no element for {name} on {_a(level)}",
                    name,
                )
        ean: list[Any] | None = None
        if location_number is not None:
            if location_number.owner_sor_id != unit.sor_id:
                raise self._error(
                    f"location number {location_number.gln} belongs to "
                    f"{location_number.owner_sor_id}, not to this unit",
                    "location_number.owner_sor_id",
                )
            if unit.location_number_inherited:
                raise self._error(
                    "the unit has its own location number but location_number_inherited is True",
                    "location_number_inherited",
                )
            ean = _location_values(location_number)
        name_and_id = [str(unit.sor_id), unit.name]
        if level is Level.OWNER:
            if unit.location_number_inherited:
                raise self._error(
                    "an owner (IE) has no ancestor to inherit a location number from",
                    "location_number_inherited",
                )
            return [
                *name_and_id,
                unit.owner_type,
                ean,
                _address(unit.postal_address),
                self._contact(unit.contact, required=True),
                _validity_values(unit.validity),
            ]
        if ean is not None:
            optional_ean: list[Any] = [None, ean]
        else:
            optional_ean = [_bool(unit.location_number_inherited), None]
        geo: list[Any] | None = None
        if unit.geographical_parent_relation is not None:
            geo = [
                str(unit.geographical_parent_relation),
                _str(unit.geographical_parent_sor_id),
            ]
        elif unit.geographical_parent_sor_id is not None:
            raise self._error(
                "geographical_parent_sor_id is set but geographical_parent_relation is not "
                "(GeographicalParentRelation is required in GeographicalParent)",
                "geographical_parent_relation",
            )
        postal = _address(unit.postal_address)
        visiting = _address(unit.visiting_address)
        contact = self._contact(unit.contact, required=False)
        replaces = [[str(i) for i in unit.replaces]] if unit.replaces else None
        replaced_by = [[str(i) for i in unit.replaced_by]] if unit.replaced_by else None
        if level is Level.INSTITUTION:
            return [
                *name_and_id,
                unit.institution_type,
                unit.pharmacy_id,
                unit.shak,
                optional_ean,
                geo,
                postal,
                visiting,
                contact,
                _validity_values(unit.validity),
                replaces,
                replaced_by,
            ]
        information = (unit.ambulant_activity, unit.patients_admitted, unit.reporting_level)
        if information == (None, None, None):
            information_values = None
        elif None in information:
            missing = ("ambulant_activity", "patients_admitted", "reporting_level")[
                information.index(None)
            ]
            raise self._error(
                "OrganizationalUnitInformation needs all of ambulant_activity, "
                f"patients_admitted and reporting_level, but {missing} is None",
                missing,
            )
        else:
            information_values = [_bool(flag) for flag in information]
        local = unit.local_attributes
        if len(local) != 5:
            raise self._error(
                f"local_attributes must have 5 entries, has {len(local)}", "local_attributes"
            )
        return [
            *name_and_id,
            unit.unit_type,
            unit.local_code,
            unit.pharmacy_id,
            unit.shak,
            unit.provider_number,
            optional_ean,
            geo,
            postal,
            visiting,
            _address(unit.activity_address),
            contact,
            [[[sp.code, sp.type] for sp in unit.specialities]] if unit.specialities else None,
            _validity_values(unit.validity),
            replaces,
            replaced_by,
            information_values,
            list(local) if any(v is not None for v in local) else None,
        ]

    def _contact(self, contact: Contact | None, *, required: bool) -> list[Any] | None:
        if contact is None or contact.is_empty():
            return None if not required else [None, None, None, None]
        return [contact.email, contact.website, contact.phone, contact.fax]

    # -- emitting ---------------------------------------------------------------------------

    def _emit(self, model: s.Model, values: list[Any], depth: int, path: str) -> None:
        xf = self._xf
        indent = _indent(depth)
        if model.choice and sum(v is not None for v in values) > 1:  # pragma: no cover
            raise self._error(f"{model.name} holds only one element", path)
        for particle, value in zip(model.particles, values, strict=True):
            target = particle.target
            if model.flat or not path:
                field = target or path
            else:
                field = f"{path}.{target}" if target else path
            if value is None:
                if particle.min and not model.choice:
                    raise self._error(
                        f"{particle.display} is required in {model.name} but {field} is not set",
                        field,
                    )
                continue
            items = (value,) if particle.max == 1 else value
            if len(items) > particle.max:
                raise self._error(
                    f"at most {particle.max} {particle.display} are allowed in {model.name}, "
                    f"got {len(items)}",
                    field,
                )
            sub = particle.model
            for item in items:
                xf.write(indent)
                if sub is None:
                    self._check(particle, item, field)
                    attrib = {"scheme": s.country_scheme(item)} if particle.attrs else None
                    with xf.element(particle.tag, attrib):
                        xf.write(item)
                else:
                    with xf.element(particle.tag):
                        if not sub.choice or any(v is not None for v in item):
                            self._emit(sub, item, depth + 1, field)
                            xf.write(indent)

    def _check(self, particle: s.Particle, text: Any, field: str) -> None:
        if not isinstance(text, str):
            raise self._error(f"{field} must be a str, not {type(text).__name__} ({text!r})", field)
        try:
            value = particle.parse(text) if particle.parse else text
        except s.Invalid as exc:
            raise self._error(
                f"{field} {text!r} cannot be written as {particle.display}: {exc.reason}", field
            ) from None
        if isinstance(value, str) and value != text:
            raise self._error(
                f"{field} {text!r} cannot be written as {particle.display}: it would read back "
                f"as {value!r}",
                field,
            )
        if not _xml_safe(text):
            raise self._error(
                f"{field} {text!r} contains characters that XML 1.0 cannot carry", field
            )

    def _error(self, message: str, field: str | None) -> SorTreeWriteError:
        return SorTreeWriteError(message, self._sor_id, field)


def _a(level: Level) -> str:
    """``an SI (Sundhedsinstitution)``: a level as named in messages."""
    return f"an {level.value} ({level.label_da})"


def _xml_safe(text: str) -> bool:
    if text.isprintable():
        return True
    return all(
        ch in "\t\n\r" or "\x20" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd" or ch > "\uffff"
        for ch in text
    )


def _address(address: Address | None) -> list[Any] | None:
    if address is None:
        return None
    postcode = address.postcode
    if len(postcode) == 3 and address.country is not None and address.country.upper() == "FO":
        # the Faroese 3-digit postcodes go zero-padded into xkom's 4-digit field
        postcode = "0" + postcode
    return [
        [
            address.mail_delivery_sublocation,
            address.street_name,
            address.street_for_addressing,
            address.building,
            address.floor,
            address.suite,
            address.district_subdivision,
            address.po_box,
            postcode,
            address.district,
            address.country,
        ],
        address.stairway,
    ]


def _bool(flag: bool | None) -> str | None:
    return None if flag is None else ("true" if flag else "false")


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)


def _date(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _validity_values(validity: Validity) -> list[Any]:
    return [
        validity.valid_from.isoformat(),
        _date(validity.valid_to),
        _date(validity.updated_at),
        validity.first_from.isoformat(),
    ]


def _location_values(record: LocationNumberRecord) -> list[Any]:
    return [
        record.gln,
        _bool(record.only_internal),
        _bool(record.non_active),
        record.system_supplier,
        record.system_type,
        record.communication_supplier,
        record.region_code,
        record.edi_administrator,
        record.note,
        _validity_values(record.validity) if record.validity is not None else None,
    ]


# -- re-import --------------------------------------------------------------------------------


def _without_position(address: Address) -> Address:
    return dataclasses.replace(address, latitude=None, longitude=None)


def carry_over_extensions(read: UnitRecord, current: UnitRecord) -> UnitRecord:
    """``read`` (a unit just read from SorTree) with the fields SorTree does not carry.

    ``cvr`` and ``personal_data`` come from ``current`` (the register's version of the same
    unit); an address's ``latitude``/``longitude`` come from ``current``'s address of the same
    kind when the address itself is unchanged (a changed address keeps no stale position).
    """
    if read.sor_id != current.sor_id:
        raise DomainError(
            f"cannot carry extension fields from unit {current.sor_id} to unit {read.sor_id}"
        )
    changes: dict[str, Any] = {"cvr": current.cvr, "personal_data": current.personal_data}
    for name in ("postal_address", "visiting_address", "activity_address"):
        new: Address | None = getattr(read, name)
        old: Address | None = getattr(current, name)
        if new is not None and old is not None and _without_position(new) == _without_position(old):
            changes[name] = dataclasses.replace(new, latitude=old.latitude, longitude=old.longitude)
    return read.with_changes(**changes)


def carry_over_location_extensions(
    read: LocationNumberRecord, current: LocationNumberRecord
) -> LocationNumberRecord:
    """``read`` (a location number just read from SorTree) with ``current``'s message types."""
    if read.gln != current.gln:
        raise DomainError(
            f"cannot carry extension fields from location number {current.gln} to {read.gln}"
        )
    return read.with_changes(message_types=current.message_types)
