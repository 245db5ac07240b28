"""Reader for the SHAK complete file (``SHAKCOMPLETE.TXT``), the hospital-department classification.

The file is fixed width and latin-1, one line per version of a code:

========  ==========  =============================================================
columns   field       content
========  ==========  =============================================================
1-3       kind        record type: ``sgh`` hospital (sygehus), ``afd`` department
4-23      code        the SHAK code, left-aligned: 4 characters for a hospital,
                      6 for a department, 7 for a section (digits and capital letters)
24-31     valid-from  first day of this version, ``YYYYMMDD``
32-39     changed     the day the version was last changed, ``YYYYMMDD``
40-47     valid-to    last day of this version, ``YYYYMMDD``; ``25000101`` = open
48-167    text        the name
========  ==========  =============================================================

Lines may be longer (the real file has further columns after 167, which this reader ignores)
or end early after the text. Empty lines at the end of the file are ignored; an empty line
followed by more records is an error.

Decisions:

* **Record types.** Only ``sgh`` and ``afd`` are SHAK record types (the real 2010 file holds
  nothing else: 961 ``sgh`` and 17,685 ``afd`` lines). Any other record type is an error, never
  skipped: a line such as ``opr…`` means the input is another SKS file (or a newer format) and
  reading on would silently drop data.
* **Empty dates.** A blank change date gives ``changed=None``; a blank valid-to, like
  ``25000101``, gives ``valid_to=None`` (open). A blank valid-from is an error.
* **Valid-to is inclusive.** SHAK's valid-to is the *last day* a version is valid (a code that
  ends ``19781231`` has its next version from ``19790101``). OpenSOR's
  :class:`~opensor.domain.records.Validity` is half-open, so add one day when mapping.
* Codes are checked for their form (length by kind, digits and capital letters only), so a
  line whose columns have slid is caught at once instead of yielding a wrong code.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

from opensor.domain.errors import DomainError

__all__ = [
    "DEPARTMENT",
    "HOSPITAL",
    "KINDS",
    "OPEN_END",
    "ShakFormatError",
    "ShakRecord",
    "open_shak",
    "read_shak",
]

HOSPITAL = "sgh"
"""Record type of a hospital (sygehus)."""
DEPARTMENT = "afd"
"""Record type of a department or section (afdeling, afsnit)."""
KINDS: Mapping[str, str] = MappingProxyType({HOSPITAL: "hospital", DEPARTMENT: "department"})
"""The record types this reader accepts, with what they stand for."""
OPEN_END = "25000101"
"""The valid-to date that means "no end"."""

_CODE_LENGTHS = {HOSPITAL: (4,), DEPARTMENT: (6, 7)}
_CODE_CHARS = re.compile(r"[0-9A-Z]+")
_GZIP_MAGIC = b"\x1f\x8b"

# (field name, first column, last column), columns 1-based and inclusive as in the format.
_KIND = ("record type", 1, 3)
_CODE = ("code", 4, 23)
_VALID_FROM = ("valid-from date", 24, 31)
_CHANGED = ("change date", 32, 39)
_VALID_TO = ("valid-to date", 40, 47)
_TEXT = ("text", 48, 167)
_MIN_LENGTH = _VALID_TO[2]


class ShakFormatError(DomainError):
    """A line of a SHAK file that breaks the format; names the line, the columns and the value."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"SHAK file line {line}: {message}")


@dataclass(frozen=True, slots=True)
class ShakRecord:
    """One line of a SHAK file: one version of a hospital or department code.

    ``kind`` is ``"sgh"`` (hospital) or ``"afd"`` (department); ``valid_to`` is the last valid
    day (inclusive) or ``None`` while open; ``line`` is the 1-based line number in the file.
    """

    code: str
    kind: str
    valid_from: date
    changed: date | None
    valid_to: date | None
    text: str
    line: int

    @property
    def hospital_code(self) -> str:
        """The hospital part of the code (its first 4 characters)."""
        return self.code[:4]

    @property
    def is_hospital(self) -> bool:
        """Whether this is a hospital (``sgh``) record."""
        return self.kind == HOSPITAL

    def is_valid_on(self, day: date) -> bool:
        """Whether this version is valid on ``day`` (valid-to counts as a valid day)."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _columns(spec: tuple[str, int, int]) -> str:
    name, first, last = spec
    return f"columns {first}-{last} ({name})"


def _slice(line: str, spec: tuple[str, int, int]) -> str:
    return line[spec[1] - 1 : spec[2]]


def _date(line: str, number: int, spec: tuple[str, int, int], *, required: bool) -> date | None:
    raw = _slice(line, spec)
    value = raw.strip()
    if not value:
        if required:
            raise ShakFormatError(number, f"{_columns(spec)}: empty; a date YYYYMMDD is required")
        return None
    if len(value) == 8 and value.isascii() and value.isdigit():
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    raise ShakFormatError(number, f"{_columns(spec)}: {raw!r} is not a date in the form YYYYMMDD")


def _parse_line(line: str, number: int) -> ShakRecord:
    if len(line) < _MIN_LENGTH:
        missing = next(
            spec for spec in (_KIND, _CODE, _VALID_FROM, _CHANGED, _VALID_TO) if len(line) < spec[2]
        )
        raise ShakFormatError(
            number,
            f"the line has only {len(line)} characters, so the {_columns(missing)} is cut short "
            f"or missing: {_slice(line, missing)!r}; a line needs at least {_MIN_LENGTH} "
            "characters (through the valid-to date)",
        )
    kind = _slice(line, _KIND)
    if kind not in KINDS:
        expected = " or ".join(f"{k!r} ({v})" for k, v in KINDS.items())
        raise ShakFormatError(
            number, f"{_columns(_KIND)}: {kind!r} is not a SHAK record type; expected {expected}"
        )
    raw_code = _slice(line, _CODE)
    code = raw_code.strip()
    if not code:
        raise ShakFormatError(number, f"{_columns(_CODE)}: empty")
    if _CODE_CHARS.fullmatch(code) is None:
        raise ShakFormatError(
            number,
            f"{_columns(_CODE)}: {raw_code!r} may hold only digits and capital letters A-Z",
        )
    lengths = _CODE_LENGTHS[kind]
    if len(code) not in lengths:
        allowed = " or ".join(str(n) for n in lengths)
        raise ShakFormatError(
            number,
            f"{_columns(_CODE)}: {code!r} has {len(code)} characters; a {KINDS[kind]} code "
            f"({kind}) has {allowed}",
        )
    valid_from = _date(line, number, _VALID_FROM, required=True)
    assert valid_from is not None
    changed = _date(line, number, _CHANGED, required=False)
    valid_to = (
        None
        if _slice(line, _VALID_TO) == OPEN_END
        else _date(line, number, _VALID_TO, required=False)
    )
    if valid_to is not None and valid_to < valid_from:
        raise ShakFormatError(
            number,
            f"{_columns(_VALID_TO)}: {_slice(line, _VALID_TO)!r} is before the valid-from date "
            f"{_slice(line, _VALID_FROM)!r}",
        )
    return ShakRecord(
        code=code,
        kind=kind,
        valid_from=valid_from,
        changed=changed,
        valid_to=valid_to,
        text=_slice(line, _TEXT).strip(),
        line=number,
    )


def read_shak(stream: BinaryIO | Iterable[bytes]) -> Iterator[ShakRecord]:
    """Parse a SHAK complete file from a binary stream or any iterable of byte lines.

    Yields one :class:`ShakRecord` per line, in file order. Lines are decoded as latin-1 and
    may end in LF or CR LF. Raises :class:`ShakFormatError` at the first bad line
    (the records before it have been yielded), and :class:`TypeError` for text instead of bytes.
    """
    if isinstance(stream, str):
        raise TypeError("read_shak reads bytes: pass a file opened in binary mode ('rb')")
    blank_at: int | None = None
    for number, raw in enumerate(stream, start=1):
        if not isinstance(raw, bytes | bytearray):
            raise TypeError(
                f"read_shak reads bytes, got {type(raw).__name__} on line {number}: "
                "open the file in binary mode ('rb')"
            )
        line = bytes(raw).rstrip(b"\r\n").decode("latin-1")
        if not line.strip():
            if blank_at is None:
                blank_at = number
            continue
        if blank_at is not None:
            raise ShakFormatError(
                blank_at, "empty line before the end of the file; only trailing lines may be empty"
            )
        yield _parse_line(line, number)


def open_shak(path: str | Path) -> Iterator[ShakRecord]:
    """Read the SHAK file at ``path``, gunzipping it when it is gzip data (e.g. ``*.gz``).

    Compression is recognised by the gzip magic bytes, not the file name. The file is opened
    at once (so a missing file raises here) and closed when the iterator is exhausted, fails or
    is closed. Damaged or truncated gzip data raises :class:`ShakFormatError`.
    """
    # Opened here, not in the generator, so that a missing file fails at the call; the
    # generator takes ownership and closes it.
    file = Path(path).open("rb")  # noqa: SIM115
    try:
        gzipped = file.read(2) == _GZIP_MAGIC
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return _read_file(file, gzipped=gzipped)


def _read_file(file: BinaryIO, *, gzipped: bool) -> Iterator[ShakRecord]:
    with contextlib.ExitStack() as stack:
        stack.enter_context(file)
        stream: Iterable[bytes] = file
        if gzipped:
            stream = stack.enter_context(gzip.GzipFile(fileobj=file, mode="rb"))
        last_line = 0
        try:
            for record in read_shak(stream):
                last_line = record.line
                yield record
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            if not gzipped:
                raise
            raise ShakFormatError(
                last_line + 1, f"the gzip data is damaged or cut short ({exc})"
            ) from exc
