"""Streaming reader of SorTree XML 1.0.0 files.

:func:`read_sortree` returns a :class:`SorTreeReader`, an iterator of :class:`SorTreeItem` in
document order (every unit before its children). It never builds the whole tree: ``iterparse``
reports only the envelope and nesting elements (``SorTree``, the ``…Entity`` elements and the
three unit elements); each unit element is validated and mapped at its end tag and then
cleared, and processed siblings are deleted, so memory stays flat however large the file is.

Validation is equivalent to the schema and runs without the XSD files (the content models are
the table in :mod:`opensor.domain.sortree._schema`): root element and namespace, element order
and multiplicity, required elements, unknown elements and attributes, stray text, simple-type
rules, plus what the schema cannot express: SOR-ID and GLN check digits and SOR-IDs unique in
the file. Pass ``schema=`` to have lxml validate against the XSDs as well.

Files with a DOCTYPE are refused before anything is parsed: SorTree has no DTD, and a DTD is
how XML external entity (XXE) and entity-expansion ("billion laughs") attacks get in. Entities
are never resolved, the network is never used and lxml's ``huge_tree`` limits stay on.

Every problem raises :class:`~opensor.domain.sortree.errors.SorTreeError` with the line and,
where known, the unit's SOR-ID (or, with ``on_error``, problems inside units are collected and
reading goes on). Two limits of libxml2 show through: errors of a user-supplied XSD carry no
line (its streaming validator records none), and past line 65535 an element's line is taken
from its first text, so lines given for elements without text of their own (a unit element,
a missing child) may then be a line or two late. Elements nest at most 256 deep (about 248
nested OEs), as ``huge_tree`` stays off.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from datetime import date, datetime
from types import TracebackType
from typing import Any, BinaryIO, NamedTuple

from lxml import etree

from opensor.domain.records import (
    Address,
    Contact,
    Level,
    LocationNumberRecord,
    Speciality,
    UnitRecord,
    Validity,
)
from opensor.domain.sortree import _schema as s
from opensor.domain.sortree.errors import SorTreeError

__all__ = ["SorTreeHeader", "SorTreeItem", "SorTreeReader", "read_sortree"]

_WS = " \t\r\n"
_SNIFF_CHUNK = 16384
_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    # drops whitespace-only text between elements (never text inside a text-only element), so
    # that the tails the validator looks at are None; beyond line 65535, where libxml2 derives
    # an element's line from its first text, this costs no precision either
    "remove_blank_text": True,
}
_STRUCTURE = (s.SORTREE, s.CREATED_AT_TIME, s.SNAPSHOT_DATE, s.IOE, s.HIE, s.OUE, s.IO, s.HI, s.OU)
_CREATED_AT = s.Particle("CreatedAtTime", parse=s.parse_datetime)
_SNAPSHOT = s.Particle("SnapshotDate", parse=s.parse_date)
_SOR_IDENTIFIER = f"{{{s.NS}}}SorIdentifier"


class SorTreeHeader(NamedTuple):
    """The file's header: when it was made and the day its data describe."""

    created_at: datetime
    snapshot_date: date


class SorTreeItem(NamedTuple):
    """One unit read from a SorTree file.

    ``location_number`` is the unit's own EAN location number (``None`` when it has none or
    inherits one), ``parent`` the enclosing unit (``None`` for an owner), ``line`` the line of
    the unit's element (``InstitutionOwner``, ``HealthInstitution`` or ``OrganizationalUnit``).
    """

    unit: UnitRecord
    location_number: LocationNumberRecord | None
    parent: UnitRecord | None
    line: int


def read_sortree(
    source: str | os.PathLike[str] | BinaryIO,
    schema: etree.XMLSchema | None = None,
    *,
    on_error: Callable[[SorTreeError], None] | None = None,
) -> SorTreeReader:
    """Open a SorTree XML 1.0.0 file for streaming; iterate the result for its units.

    ``source`` is a path or a binary file object (which the reader leaves open). ``schema``,
    when given, makes lxml validate the document against it as well (e.g. the reference XSDs).

    By default the first problem raises :class:`SorTreeError`. With ``on_error``, a problem
    inside a unit's element (a value, a missing or unknown element, a check digit, a duplicate
    SOR-ID) is passed to ``on_error`` instead and reading goes on: that unit and the units
    below it are then checked but not yielded, so that one pass reports every such problem.
    Problems of the file itself (malformed XML, a DOCTYPE, the root, the nesting elements)
    still raise.
    """
    return SorTreeReader(source, schema=schema, on_error=on_error)


# -- the content models, compiled for the hot path ------------------------------------------


class _Compiled:
    """A content model prepared for :meth:`SorTreeReader._walk`.

    ``index`` maps a child's Clark tag to ``(position, parse, sub-model, repeat)``: ``parse``
    is the simple type's parser (``None`` for complex content, and for an element with
    required attributes, which takes the slow path), ``repeat`` is maxOccurs when above 1,
    else 0. ``required[k]`` counts the required particles before position ``k``, so a jump
    from position a to b skips a required one iff the counts differ.
    """

    __slots__ = ("build", "choice", "index", "model", "name", "required", "size")

    def __init__(self, model: s.Model, build: Callable[[list[Any]], Any] | None) -> None:
        self.model = model
        self.name = model.name
        self.choice = model.choice
        self.size = len(model.particles)
        self.required = model.required_before
        self.build = build
        self.index: dict[str, tuple[int, Any, _Compiled | None, int]] = {}


# Records are immutable, so equal status periods and addresses (frequent: units share dates
# and their parent's address) are built once and shared, through small bounded caches.
_SHARED_MAX = 4096
_VALIDITIES: dict[tuple[Any, ...], Validity] = {}
_ADDRESSES: dict[tuple[Any, ...], Address] = {}


def _validity(v: list[Any]) -> Validity:
    key = tuple(v)
    validity = _VALIDITIES.get(key)
    if validity is None:
        validity = Validity(first_from=v[3], valid_from=v[0], valid_to=v[1], updated_at=v[2])
        if len(_VALIDITIES) >= _SHARED_MAX:
            _VALIDITIES.clear()
        _VALIDITIES[key] = validity
    return validity


def _address(v: list[Any]) -> Address:
    p, stairway = v
    key = (*p, stairway)
    address = _ADDRESSES.get(key)
    if address is None:
        postcode, country = p[8], p[10]
        if country is not None and postcode[0] == "0" and country.upper() == "FO":
            postcode = postcode[1:]  # Faroese postcodes have 3 digits, zero-padded in SorTree
        address = Address(
            street_name=p[1],
            building=p[3],
            postcode=postcode,
            district=p[9],
            country=p[10],
            street_for_addressing=p[2],
            floor=p[4],
            suite=p[5],
            district_subdivision=p[6],
            po_box=p[7],
            mail_delivery_sublocation=p[0],
            stairway=stairway,
        )
        if len(_ADDRESSES) >= _SHARED_MAX:
            _ADDRESSES.clear()
        _ADDRESSES[key] = address
    return address


def _contact(v: list[Any]) -> Contact:
    return Contact(phone=v[2], email=v[0], website=v[1], fax=v[3])


def _collection(v: list[Any]) -> tuple[Any, ...]:
    return tuple(v[0]) if v[0] else ()


_BUILDERS: dict[str, Callable[[list[Any]], Any]] = {
    "SorStatus": _validity,
    "AddressInformation": _address,
    "VirtualAddressInformation": _contact,
    "ClinicalSpeciality": lambda v: Speciality(code=v[0], type=v[1]),
    "ClinicalSpecialityCollection": _collection,
    "SorIdentifierCollection": _collection,
    "OrganizationalUnitInformation": tuple,
    "LocalAttributeCollection": tuple,
    "GeographicalParent": tuple,
    "OptionalEanLocationCode": tuple,
}
_COMPILED: dict[int, _Compiled] = {}


class _Memo(dict[str | None, Any]):
    """A simple type's parser with its results remembered, for types whose values repeat.

    A remembered value costs one dict lookup in C (``memo[text]``); a new one goes through the
    parser (an invalid one raises and is not remembered). The memo is bounded.
    """

    __slots__ = ("parse",)

    def __init__(self, parse: Callable[[str | None], Any]) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, text: str | None) -> Any:
        value = self.parse(text)
        if len(self) >= _SHARED_MAX:
            self.clear()
        self[text] = value
        return value


# codes, dates and flags repeat across units; names, identifiers and addresses mostly do not
_MEMOS: dict[Callable[[str | None], Any], Callable[[str | None], Any]] = {
    parse: _Memo(parse).__getitem__
    for parse in (s.parse_date, s.parse_bool, s.parse_long_str, s.parse_long_int)
}


def _compile(model: s.Model) -> _Compiled:
    compiled = _COMPILED.get(id(model))
    if compiled is None:
        compiled = _COMPILED[id(model)] = _Compiled(model, _BUILDERS.get(model.name))
        for i, particle in enumerate(model.particles):
            sub = _compile(particle.model) if particle.model is not None else None
            parse = None if particle.required_attrs else particle.parse
            parse = _MEMOS.get(parse, parse) if parse is not None else None
            repeat = particle.max if particle.max > 1 else 0
            compiled.index[particle.tag] = (i, parse, sub, repeat)
    return compiled


# per unit element: its entity wrapper, its compiled content model and its level
_RECORDS: dict[str, tuple[str, _Compiled, Level]] = {
    s.IO: (s.IOE, _compile(s.INSTITUTION_OWNER), Level.OWNER),
    s.HI: (s.HIE, _compile(s.HEALTH_INSTITUTION), Level.INSTITUTION),
    s.OU: (s.OUE, _compile(s.ORGANIZATIONAL_UNIT), Level.UNIT),
}
# per entity wrapper: the elements it may sit in, and the state its parent must have reached
_WRAPPERS: dict[str, tuple[tuple[str, ...], int]] = {
    s.IOE: ((s.SORTREE,), 2),
    s.HIE: ((s.IOE,), 1),
    s.OUE: ((s.HIE, s.OUE), 1),
}
_NO_LOCAL_ATTRIBUTES: tuple[str | None, ...] = (None, None, None, None, None)


class _Frame:
    """An open envelope or entity element on the reader's stack."""

    __slots__ = ("elem", "kind", "last", "state", "unit")

    def __init__(self, elem: Any, kind: str) -> None:
        self.elem = elem
        self.kind = kind
        # SorTree: 0 start, 1 after CreatedAtTime, 2 after SnapshotDate, 3 after an owner;
        # an …Entity: 0 start, 1 after its unit element.
        self.state = 0
        self.unit: UnitRecord | None = None
        self.last: Any = None  # the last processed child, still in the tree


class _Chained:
    """A binary stream that first replays the bytes read while sniffing the root element."""

    __slots__ = ("_head", "_rest")

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        head = self._head
        if not head:
            return self._rest.read(size)
        if 0 <= size < len(head):
            self._head = head[size:]
            return head[:size]
        self._head = b""
        return head + self._rest.read() if size < 0 else head


class SorTreeReader(Iterator[SorTreeItem]):
    """An iterator of the units in a SorTree file, see :func:`read_sortree`.

    ``header`` is available once the first item has been read (accessing it earlier reads just
    the header); ``count`` is the number of units read so far. Use the reader as a context
    manager, or call :meth:`close`, to close a file opened from a path before its end.
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | BinaryIO,
        *,
        schema: etree.XMLSchema | None = None,
        on_error: Callable[[SorTreeError], None] | None = None,
    ) -> None:
        self._stream: BinaryIO
        if isinstance(source, str | os.PathLike):
            self._stream = open(source, "rb")  # noqa: SIM115 - closed by close()
            self._owns_stream = True
        else:
            self._stream = source
            self._owns_stream = False
        self._schema = schema
        self._on_error = on_error
        self._header: SorTreeHeader | None = None
        self._created_at: datetime | None = None
        self._line = 1
        self._root: Any = None
        self._record_elem: Any = None
        self._seen: set[int] = set()
        self.count = 0
        """The number of units read so far."""
        self._items = self._run()

    # -- public API -----------------------------------------------------------------------

    @property
    def header(self) -> SorTreeHeader:
        """CreatedAtTime and SnapshotDate of the file (reads the header if not yet read)."""
        while self._header is None:
            next(self._items)  # the header is yielded before any unit
        return self._header

    def __iter__(self) -> SorTreeReader:
        return self

    def __next__(self) -> SorTreeItem:
        item = next(self._items)
        if item.__class__ is SorTreeHeader:
            item = next(self._items)
        assert isinstance(item, SorTreeItem)
        return item

    def close(self) -> None:
        """Stop reading and close the file if the reader opened it."""
        self._items.close()
        self._close_stream()

    def _close_stream(self) -> None:
        if self._owns_stream:
            self._stream.close()

    def __enter__(self) -> SorTreeReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the parse ------------------------------------------------------------------------

    def _run(self) -> Generator[SorTreeItem | SorTreeHeader, None, None]:
        try:
            stream = self._sniff()
            events = etree.iterparse(
                stream,
                events=("start", "end"),
                tag=_STRUCTURE,
                schema=self._schema,
                **_PARSER_OPTIONS,
            )
            try:
                yield from self._structure(events)
            except etree.XMLSyntaxError as exc:
                raise self._syntax_error(exc, events.error_log) from None
        finally:
            self._close_stream()

    def _sniff(self) -> _Chained:
        """Parse up to the root element's start tag and check it before the real parse.

        A DOCTYPE or a foreign root element is refused at once, before anything is built.
        """
        parser = etree.XMLPullParser(events=("start",), **_PARSER_OPTIONS)
        chunks: list[bytes] = []
        while True:
            chunk = self._stream.read(_SNIFF_CHUNK)
            if not isinstance(chunk, bytes):
                raise TypeError("read_sortree needs a binary file object (open it with 'rb')")
            try:
                if not chunk:
                    parser.close()
                    raise SorTreeError("the file has no root element", 1)
                chunks.append(chunk)
                parser.feed(chunk)
            except etree.XMLSyntaxError as exc:
                head = b"".join(chunks)
                if b"<!DOCTYPE" in head:  # e.g. entity expansion stopped by libxml2's limits
                    raise self._doctype_error(head, None) from None
                raise self._syntax_error(exc, parser.error_log) from None
            for _event, root in parser.read_events():
                head = b"".join(chunks)
                self._check_root(root, head)
                return _Chained(head, self._stream)

    def _doctype_error(self, head: bytes, line: int | None) -> SorTreeError:
        at = head.find(b"<!DOCTYPE")
        if at >= 0:
            line = head.count(b"\n", 0, at) + 1
        return SorTreeError(
            "DOCTYPE declarations are not allowed in a SorTree file (they are how external "
            "entity (XXE) and entity-expansion attacks get in); the file is refused",
            line,
        )

    def _check_root(self, root: Any, head: bytes = b"") -> None:
        line = root.sourceline
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
            raise self._doctype_error(head, line)
        tag = root.tag
        if tag != s.SORTREE:
            ns, _, local = tag[1:].partition("}") if tag[:1] == "{" else ("", "", tag)
            if local == "SorTree":
                raise SorTreeError(
                    f"root element SorTree is in namespace {ns or '(none)'!r}, expected {s.NS!r}",
                    line,
                )
            raise SorTreeError(
                f"root element is {s.display_name(tag)!r}, expected SorTree in namespace {s.NS!r}",
                line,
            )
        if root.keys():
            self._check_attributes(root, None)

    def _syntax_error(self, exc: etree.XMLSyntaxError, log: Any) -> SorTreeError:
        """Turn lxml's syntax or schema error into a SorTreeError with the best line we know."""
        entry = None
        for candidate in log:
            if candidate.level >= etree.ErrorLevels.ERROR:
                entry = candidate
                break
        message: str = entry.message if entry is not None else exc.msg
        line = entry.line if entry is not None and entry.line > 0 else exc.lineno
        if entry is not None and entry.domain == etree.ErrorDomains.SCHEMASV:
            # libxml2's streaming XSD validation reports no position (and lxml raises it some
            # events later), so there is no line to give; the built-in checks give one
            return SorTreeError(
                f"not valid against the schema: {_strip_namespaces(message).rstrip('.')} "
                "(the XSD validator gives no position)"
            )
        message = "malformed XML: " + message.split(", line ")[0]
        return SorTreeError(message, line if line and line > 0 else self._line)

    def _structure(self, events: Any) -> Iterator[SorTreeItem | SorTreeHeader]:
        """The state machine over the envelope and entity elements.

        SorTree = CreatedAtTime, SnapshotDate, InstitutionOwnerEntity+;
        InstitutionOwnerEntity = InstitutionOwner, HealthInstitutionEntity*;
        HealthInstitutionEntity = HealthInstitution, OrganizationalUnitEntity*;
        OrganizationalUnitEntity = OrganizationalUnit, OrganizationalUnitEntity*.
        """
        stack: list[_Frame] = []
        record: Any = None
        for event, elem in events:
            tag = elem.tag
            if event == "start":
                self._line = elem.sourceline
                if record is not None:
                    raise self._unexpected(elem.getparent(), elem)
                if not stack:
                    self._check_root(elem)
                    self._root = elem
                    stack.append(_Frame(elem, s.SORTREE))
                    continue
                top = stack[-1]
                if tag in _RECORDS:
                    if top.kind != _RECORDS[tag][0] or elem.getparent() is not top.elem:
                        raise self._unexpected(elem.getparent(), elem, top)
                    self._check_preceding(top, elem)
                    if top.state:
                        raise self._error(
                            f"more than one {s.display_name(tag)} in {s.display_name(top.kind)}",
                            elem,
                            _unit_id(top),
                        )
                    record = self._record_elem = elem
                elif tag in _WRAPPERS:
                    parents, state = _WRAPPERS[tag]
                    if top.kind not in parents or elem.getparent() is not top.elem:
                        raise self._unexpected(elem.getparent(), elem, top)
                    self._check_preceding(top, elem)
                    if top.state < state:
                        raise self._missing_before(top, elem)
                    if elem.keys():
                        self._check_attributes(elem, None)
                    stack.append(_Frame(elem, tag))
                elif tag == s.SORTREE:
                    raise self._unexpected(elem.getparent(), elem, top)
                else:  # CreatedAtTime or SnapshotDate
                    state = 0 if tag == s.CREATED_AT_TIME else 1
                    if top.kind != s.SORTREE or elem.getparent() is not top.elem:
                        raise self._unexpected(elem.getparent(), elem, top)
                    self._check_preceding(top, elem)
                    if top.state != state:
                        if top.state < state:
                            raise self._missing_before(top, elem)
                        raise self._error(
                            f"element {s.display_name(tag)} in SorTree is out of order", elem
                        )
            elif tag in _RECORDS:
                top = stack[-1]
                parent = stack[-2].unit if len(stack) > 2 else None
                try:
                    if parent is None and tag != s.IO:
                        # below a unit that was in error (collect mode): check, don't yield
                        self._record(elem, tag, 0)
                        raise _Skipped
                    unit, location_number = self._record(
                        elem, tag, parent.sor_id if parent is not None else None
                    )
                except (SorTreeError, _Skipped) as problem:
                    if self._on_error is None:
                        raise
                    if isinstance(problem, SorTreeError):
                        self._on_error(problem)
                    sor_id = _record_sor_id(elem)
                    if sor_id is not None:
                        self._seen.add(sor_id)
                    top.state = 1
                    top.last = elem
                    record = self._record_elem = None
                    elem.clear(keep_tail=True)
                    continue
                top.state = 1
                top.unit = unit
                top.last = elem
                record = self._record_elem = None
                # (past line 65535 libxml2 derives an element's line from its content, so
                # read it before clearing)
                line = elem.sourceline
                elem.clear(keep_tail=True)
                self.count += 1
                yield SorTreeItem(unit, location_number, parent, line)
            elif tag in _WRAPPERS or tag == s.SORTREE:
                top = stack.pop()
                if top.state < (3 if tag == s.SORTREE else 1):
                    raise self._missing_before(top, None)
                self._check_trailing(top)
                if stack:
                    stack[-1].last = elem
                    if stack[-1].kind == s.SORTREE:
                        stack[-1].state = 3
                elem.clear(keep_tail=True)
            else:  # CreatedAtTime or SnapshotDate
                top = stack[-1]
                if tag == s.CREATED_AT_TIME:
                    self._created_at = self._leaf(elem, _CREATED_AT)
                    top.state = 1
                else:
                    assert self._created_at is not None
                    header = SorTreeHeader(self._created_at, self._leaf(elem, _SNAPSHOT))
                    self._header = header
                    top.state = 2
                    yield header
                top.last = elem

    # -- structure checks -----------------------------------------------------------------

    def _check_preceding(self, frame: _Frame, elem: Any) -> None:
        """Check that ``elem`` directly follows the frame's last processed child; drop that one.

        Anything else before it (an unknown element, text) is an error. Deleting the processed
        sibling keeps memory flat.
        """
        last = frame.last
        if elem.getprevious() is not last:
            for child in frame.elem:
                if child is not last:
                    raise self._unexpected(frame.elem, child, frame)
        text = frame.elem.text if last is None else last.tail
        if text is not None and text.strip(_WS):
            raise self._stray_text(frame.elem, text, elem, _unit_id(frame))
        if last is not None:
            frame.elem.remove(last)

    def _check_trailing(self, frame: _Frame) -> None:
        """At an element's end: nothing but the last processed child may remain in it."""
        last = frame.last
        parent = frame.elem
        if len(parent) != 1 or parent[0] is not last:
            for child in parent:
                if child is not last:
                    raise self._unexpected(parent, child, frame)
        text = last.tail
        if text is not None and text.strip(_WS):
            raise self._stray_text(parent, text, last, _unit_id(frame))

    def _missing_before(self, frame: _Frame, elem: Any) -> SorTreeError:
        kind = frame.kind
        if kind == s.SORTREE:
            name = ("CreatedAtTime", "SnapshotDate", "InstitutionOwnerEntity")[frame.state]
        else:
            name = s.display_name({s.IOE: s.IO, s.HIE: s.HI, s.OUE: s.OU}[kind])
        where = s.display_name(kind)
        if elem is None:
            return self._error(
                f"missing required element {name} in {where}", frame.elem, _unit_id(frame)
            )
        found = s.display_name(elem.tag)
        return self._error(
            f"missing required element {name} in {where} before {found}",
            elem,
            _unit_id(frame),
        )

    # -- a unit ---------------------------------------------------------------------------

    def _record(
        self, elem: Any, tag: str, parent_sor_id: int | None
    ) -> tuple[UnitRecord, LocationNumberRecord | None]:
        _wrapper, model, level = _RECORDS[tag]
        if elem.keys():
            self._check_attributes(elem, None)
        v = self._walk(elem, model)
        sor_id: int = v[0]
        if sor_id in self._seen:
            raise self._error(
                f"SorIdentifier {sor_id}: duplicate SOR-ID (already used earlier in the file)",
                elem[0],
            )
        self._seen.add(sor_id)
        location: list[Any] | None
        if level is Level.OWNER:
            location = v[3]
            unit = UnitRecord(
                sor_id=sor_id,
                level=level,
                name=v[1],
                validity=v[6],
                owner_type=v[2],
                postal_address=v[4],
                contact=v[5],
            )
        else:
            if level is Level.INSTITUTION:
                (
                    _id,
                    name,
                    institution_type,
                    pharmacy_id,
                    shak,
                    (inherited, location),
                    geo,
                    postal,
                    visiting,
                    contact,
                    validity,
                    replaces,
                    replaced_by,
                ) = v
                relation, geo_sor_id = geo if geo is not None else (None, None)
                unit = UnitRecord(
                    sor_id=sor_id,
                    level=level,
                    name=name,
                    validity=validity,
                    parent_sor_id=parent_sor_id,
                    institution_type=institution_type,
                    shak=shak,
                    pharmacy_id=pharmacy_id,
                    location_number_inherited=inherited,
                    geographical_parent_relation=relation,
                    geographical_parent_sor_id=geo_sor_id,
                    postal_address=postal,
                    visiting_address=visiting,
                    contact=contact,
                    replaces=replaces or (),
                    replaced_by=replaced_by or (),
                )
            else:
                (
                    _id,
                    name,
                    unit_type,
                    local_code,
                    pharmacy_id,
                    shak,
                    provider_number,
                    (inherited, location),
                    (relation, geo_sor_id),
                    postal,
                    visiting,
                    activity,
                    contact,
                    specialities,
                    validity,
                    replaces,
                    replaced_by,
                    information,
                    local_attributes,
                ) = v
                ambulant, admitted, reporting = information or (None, None, None)
                unit = UnitRecord(
                    sor_id=sor_id,
                    level=level,
                    name=name,
                    validity=validity,
                    parent_sor_id=parent_sor_id,
                    unit_type=unit_type,
                    shak=shak,
                    provider_number=provider_number,
                    pharmacy_id=pharmacy_id,
                    local_code=local_code,
                    local_attributes=local_attributes or _NO_LOCAL_ATTRIBUTES,
                    location_number_inherited=inherited,
                    geographical_parent_relation=relation,
                    geographical_parent_sor_id=geo_sor_id,
                    postal_address=postal,
                    visiting_address=visiting,
                    activity_address=activity,
                    contact=contact,
                    specialities=specialities or (),
                    ambulant_activity=ambulant,
                    patients_admitted=admitted,
                    reporting_level=reporting,
                    replaces=replaces or (),
                    replaced_by=replaced_by or (),
                )
        if location is None:
            return unit, None
        return unit, LocationNumberRecord(
            gln=location[0],
            owner_sor_id=sor_id,
            only_internal=location[1],
            non_active=location[2],
            system_supplier=location[3],
            system_type=location[4],
            communication_supplier=location[5],
            region_code=location[6],
            edi_administrator=location[7],
            note=location[8],
            validity=location[9],
        )

    def _walk(self, elem: Any, model: _Compiled) -> Any:
        """Validate ``elem``'s children against ``model`` and return their (built) values.

        This is the hot path: one dict lookup per child for its particle, two integer compares
        for order and multiplicity, the simple type's parser for the value. Everything unusual
        (attributes, stray text, errors) is left to slower methods.
        """
        if model.choice:
            return self._walk_choice(elem, model)
        index = model.index
        required = model.required
        values: list[Any] = [None] * model.size
        pos = -1
        if elem.text is not None:
            self._check_text(elem, elem.text, elem)
        for child in elem:
            try:
                i, parse, sub, repeat = index[child.tag]
            except KeyError:
                raise self._unexpected(elem, child) from None
            if i > pos:
                if required[i] != required[pos + 1]:
                    raise self._missing(model, pos + 1, i, elem, child)
                pos = i
            elif i != pos or not repeat:
                raise self._misplaced(model, i, pos, child)
            tail = child.tail
            if tail is not None and tail.strip(_WS):
                raise self._stray_text(elem, tail, child)
            if parse is not None:
                if child.keys() or len(child):
                    self._check_simple(child, model, i)
                try:
                    value = parse(child.text)
                except s.Invalid as exc:
                    raise self._invalid(child, model, i, exc) from None
            elif sub is not None:
                if child.keys():
                    self._check_attributes(child, None)
                value = self._walk(child, sub)
            else:
                value = self._simple_with_attributes(child, model, i)
            if not repeat:
                values[i] = value
            elif values[i] is None:
                values[i] = [value]
            elif len(values[i]) < repeat:
                values[i].append(value)
            else:
                raise self._error(
                    f"more than {repeat} {model.model.particles[i].display} elements in "
                    f"{model.name}",
                    child,
                )
        if required[-1] != required[pos + 1]:
            raise self._missing(model, pos + 1, model.size, elem, None)
        build = model.build
        return values if build is None else build(values)

    def _walk_choice(self, elem: Any, model: _Compiled) -> Any:
        """Like :meth:`_walk` for a choice: at most one child, of any of the particles."""
        values: list[Any] = [None] * model.size
        if elem.text is not None:
            self._check_text(elem, elem.text, elem)
        chosen = False
        for child in elem:
            entry = model.index.get(child.tag)
            if entry is None:
                raise self._unexpected(elem, child)
            i, parse, sub, _repeat = entry
            if chosen:
                names = " or ".join(p.display for p in model.model.particles)
                raise self._error(f"{model.name} holds one of {names}, not more", child)
            chosen = True
            tail = child.tail
            if tail is not None and tail.strip(_WS):
                raise self._stray_text(elem, tail, child)
            if parse is not None:
                if child.keys() or len(child):
                    self._check_simple(child, model, i)
                try:
                    values[i] = parse(child.text)
                except s.Invalid as exc:
                    raise self._invalid(child, model, i, exc) from None
            elif sub is not None:
                if child.keys():
                    self._check_attributes(child, None)
                values[i] = self._walk(child, sub)
            else:  # pragma: no cover - no choice holds an element with attributes
                values[i] = self._simple_with_attributes(child, model, i)
        if not chosen and all(p.min for p in model.model.particles):  # pragma: no cover
            raise self._missing(model, 0, model.size, elem, None)
        build = model.build
        return values if build is None else build(values)

    def _check_simple(self, elem: Any, model: _Compiled, i: int) -> None:
        """A simple-content element has attributes or children: check them (slow path)."""
        if len(elem):
            raise self._unexpected(elem, elem[0])
        self._check_attributes(elem, model.model.particles[i])

    def _simple_with_attributes(self, elem: Any, model: _Compiled, i: int) -> Any:
        """The value of a simple-content element that has required attributes."""
        particle = model.model.particles[i]
        self._check_simple(elem, model, i)
        assert particle.parse is not None
        try:
            return particle.parse(elem.text)
        except s.Invalid as exc:
            raise self._invalid(elem, model, i, exc) from None

    def _leaf(self, elem: Any, particle: s.Particle) -> Any:
        """The value of a simple-content element outside a unit (the header's)."""
        if len(elem):
            raise self._unexpected(elem, elem[0])
        if elem.keys():
            self._check_attributes(elem, None)
        assert particle.parse is not None
        try:
            return particle.parse(elem.text)
        except s.Invalid as exc:
            raise self._invalid(elem, particle, -1, exc) from None

    def _check_attributes(self, elem: Any, particle: s.Particle | None) -> None:
        """Attributes of ``elem``: only those its particle declares (and schema hints)."""
        allowed = particle.attrs if particle is not None else {}
        for name in elem.attrib:
            if name not in allowed and name not in s.XSI_ATTRIBUTES:
                shown = s.display_name(name) if name[:1] == "{" else name
                raise self._error(
                    f"attribute {shown!r} is not allowed on {s.display_name(elem.tag)}",
                    elem,
                )
        for name, parse in allowed.items():
            value = elem.get(name)
            if value is None:
                if particle is not None and name in particle.required_attrs:
                    raise self._error(
                        f"{s.display_name(elem.tag)} lacks the required attribute {name!r}",
                        elem,
                    )
                continue
            try:
                parse(value)
            except s.Invalid as exc:
                raise self._error(
                    f"{s.display_name(elem.tag)} attribute {name}={value!r}: {exc.reason}", elem
                ) from None

    def _check_text(self, parent: Any, text: str, near: Any) -> None:
        if text.strip(_WS):
            raise self._stray_text(parent, text, near)

    # -- error messages -------------------------------------------------------------------

    def _error(self, message: str, elem: Any, sor_id: int | None = None) -> SorTreeError:
        """An error at ``elem``'s line, in the unit being read (or ``sor_id``)."""
        line = elem.sourceline if elem is not None else None
        if sor_id is None and self._record_elem is not None:
            sor_id = _record_sor_id(self._record_elem)
        return SorTreeError(message, line or self._line, sor_id)

    def _invalid(
        self, elem: Any, model: _Compiled | s.Particle, i: int, exc: s.Invalid
    ) -> SorTreeError:
        particle = model.model.particles[i] if isinstance(model, _Compiled) else model
        text = elem.text or ""
        shown = text if len(text) <= 80 else text[:77] + "..."
        return self._error(f"{particle.display} {shown!r}: {exc.reason}", elem)

    def _unexpected(self, parent: Any, child: Any, frame: _Frame | None = None) -> SorTreeError:
        where = s.display_name(parent.tag) if parent is not None else "the document"
        return self._error(
            f"unexpected element {s.display_name(child.tag)!r} in {where}",
            child,
            _unit_id(frame),
        )

    def _stray_text(
        self, parent: Any, text: str, near: Any, sor_id: int | None = None
    ) -> SorTreeError:
        shown = text.strip(_WS)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return self._error(
            f"text {shown!r} is not allowed in {s.display_name(parent.tag)} "
            "(it holds elements only)",
            near,
            sor_id,
        )

    def _missing(
        self, model: _Compiled, start: int, stop: int, elem: Any, found: Any
    ) -> SorTreeError:
        particle = model.model.first_required(start, stop)
        assert particle is not None
        if found is None:
            return self._error(f"missing required element {particle.display} in {model.name}", elem)
        return self._error(
            f"missing required element {particle.display} in {model.name} "
            f"before {s.display_name(found.tag)}",
            found,
        )

    def _misplaced(self, model: _Compiled, i: int, pos: int, child: Any) -> SorTreeError:
        particles = model.model.particles
        if i == pos:
            return self._error(f"more than one {particles[i].display} in {model.name}", child)
        return self._error(
            f"element {particles[i].display} in {model.name} is out of order "
            f"(it must come before {particles[pos].display})",
            child,
        )


class _Skipped(Exception):
    """A unit below a unit in error, checked but not yielded (``on_error`` mode)."""


def _unit_id(frame: _Frame | None) -> int | None:
    return frame.unit.sor_id if frame is not None and frame.unit is not None else None


def _record_sor_id(record: Any) -> int | None:
    """The SOR-ID of a unit element being read, if its SorIdentifier is there and valid."""
    if not len(record) or record[0].tag != _SOR_IDENTIFIER:
        return None
    try:
        sor_id: int = s.parse_sor_id(record[0].text)
    except s.Invalid:
        return None
    return sor_id


def _strip_namespaces(message: str) -> str:
    for ns in (
        s.NS,
        s.XKOM_2006,
        s.XKOM_2005,
        s.DKCC_2003,
        s.DKCC_2005,
        s.DKCC_2005_05,
        s.CPR_2005,
    ):
        message = message.replace(f"{{{ns}}}", "")
    return message
