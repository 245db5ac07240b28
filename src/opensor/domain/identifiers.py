"""Identifiers of the register and their check digits.

Every ``validate_*`` function takes what a person or a file may hand us (a string with stray
whitespace, or an ``int`` that lost its leading zeros), returns the canonical form, and raises
:class:`~opensor.domain.errors.InvalidIdentifier` with a reason a maintainer can act on when the
value breaks the rules. Nothing here looks anything up: whether an identifier *exists* is the
register's business.

The identifiers:

* **SOR-ID** — an SCTID-style number ``<item><namespace 1000016><partition 00><check digit>``
  of 11–18 digits, check digit by the Verhoeff algorithm (as SNOMED CT identifiers).
* **GLN** (EAN location number) — 13 digits, GS1 mod-10 check digit.
* **SHAK** — hospital (4 characters), department (6) and section (7) codes; the first four are
  always the hospital.
* **Ydernummer** (provider number) — up to 6 digits, written zero-padded to 6.
* **CVR** — the Danish business register number: 8 digits, modulus-11 check.
* **Postcodes** for Denmark, Greenland and the Faroe Islands, and **telephone numbers**.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from opensor.domain.errors import InvalidIdentifier

__all__ = [
    "SOR_NAMESPACE",
    "SOR_PARTITION",
    "format_postcode",
    "gs1_check_digit",
    "make_gln",
    "make_sor_id",
    "next_free_item",
    "normalize_phone",
    "phone_e164",
    "shak_hospital",
    "shak_parent",
    "sor_id_item",
    "validate_cvr",
    "validate_gln",
    "validate_postcode",
    "validate_provider_number",
    "validate_shak",
    "validate_sor_id",
    "verhoeff_check_digit",
    "verhoeff_is_valid",
]

SOR_NAMESPACE = "1000016"
"""The SNOMED CT namespace identifier that SOR-IDs are issued in."""
SOR_PARTITION = "00"
"""The partition identifier of SOR-IDs (SCTID partition ``00``, as in every real SOR-ID)."""

_SOR_ID_MIN_LENGTH = 11
_SOR_ID_MAX_LENGTH = 18
_SOR_ITEM_MAX = 99_999_999
"""The largest item: 8 item digits + 7 namespace + 2 partition + 1 check digit = 18 digits."""

_SOR_SUFFIX = SOR_NAMESPACE + SOR_PARTITION
_SOR_ID_SMALLEST = 10 ** (_SOR_ID_MIN_LENGTH - 1)
_SOR_ID_LARGEST = 10**_SOR_ID_MAX_LENGTH - 1

_DIGITS = re.compile(r"[0-9]+")
_SHAK = re.compile(r"[0-9A-Z]+")

# --------------------------------------------------------------------------------------------
# Check digits
# --------------------------------------------------------------------------------------------

# Verhoeff's dihedral-group D5 multiplication table, permutation table and inverse table.
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_VERHOEFF_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def _require_digits(kind: str, digits: object) -> str:
    if not isinstance(digits, str) or not _DIGITS.fullmatch(digits):
        raise InvalidIdentifier(kind, digits, "must be a non-empty string of the digits 0-9")
    return digits


# The two tables folded into one step per position (mod 8): _VERHOEFF_STEP[position % 8][check]
# maps the byte of a digit (b"0" is 48 … b"9" is 57) straight to the next check value, so the
# checksum loop is three tuple lookups per digit (the entries below 48 are never used).
_VERHOEFF_STEP = tuple(
    tuple(
        (0,) * 48 + tuple(_VERHOEFF_D[check][_VERHOEFF_P[position][digit]] for digit in range(10))
        for check in range(10)
    )
    for position in range(8)
)


def _verhoeff_checksum(number: str, *, first_position: int) -> int:
    """The Verhoeff checksum of a string of the ASCII digits 0-9 (checked by the caller)."""
    check = 0
    step = _VERHOEFF_STEP
    for position, byte in enumerate(number.encode("ascii")[::-1], first_position):
        check = step[position & 7][check][byte]
    return check


def verhoeff_check_digit(digits: str) -> str:
    """The Verhoeff check digit to append to ``digits``.

    Args:
        digits: The digits before the check digit.

    Returns:
        One digit, as a string.

    Raises:
        InvalidIdentifier: ``digits`` is empty or holds anything but the digits 0-9.

    """
    _require_digits("Verhoeff input", digits)
    return str(_VERHOEFF_INV[_verhoeff_checksum(digits, first_position=1)])


def verhoeff_is_valid(number: str) -> bool:
    """Whether the last digit of ``number`` is the Verhoeff check digit of the others.

    Args:
        number: Digits including the check digit.

    Returns:
        ``False`` also for anything that is not a string of at least two digits.

    """
    if not isinstance(number, str) or len(number) < 2 or not _DIGITS.fullmatch(number):
        return False
    return _verhoeff_checksum(number, first_position=0) == 0


def gs1_check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit to append to ``digits`` (GLN, GTIN, SSCC …).

    From the right, the digits are weighted 3, 1, 3, 1 …; the check digit brings the weighted
    sum up to a multiple of 10.

    Args:
        digits: The digits before the check digit (12 for a GLN).

    Returns:
        One digit, as a string.

    Raises:
        InvalidIdentifier: ``digits`` is empty or holds anything but the digits 0-9.

    """
    _require_digits("GS1 input", digits)
    total = sum(int(char) * (3 if i % 2 == 0 else 1) for i, char in enumerate(reversed(digits)))
    return str(-total % 10)


# --------------------------------------------------------------------------------------------
# Common helpers
# --------------------------------------------------------------------------------------------


def _as_digit_string(kind: str, value: object, *, pad_int_to: int | None = None) -> str:
    """``value`` as a stripped string of digits, or :class:`InvalidIdentifier`.

    An ``int`` is written in decimal, zero-padded to ``pad_int_to`` when given (an integer cannot
    carry leading zeros, so a caller passing one cannot have meant them to be missing).
    """
    if isinstance(value, bool):
        raise InvalidIdentifier(kind, value, "must be a number or a string of digits, not a bool")
    if isinstance(value, int):
        if value < 0:
            raise InvalidIdentifier(kind, value, "must not be negative")
        text = str(value)
        if pad_int_to is not None:
            text = text.zfill(pad_int_to)
        return text
    if not isinstance(value, str):
        raise InvalidIdentifier(
            kind, value, f"must be a string or an int, not {type(value).__name__}"
        )
    text = value.strip()
    if not text:
        raise InvalidIdentifier(kind, value, "is empty")
    if not _DIGITS.fullmatch(text):
        raise InvalidIdentifier(kind, value, "must contain only the digits 0-9")
    return text


# --------------------------------------------------------------------------------------------
# SOR-ID
# --------------------------------------------------------------------------------------------


def validate_sor_id(value: int | str) -> int:
    """Check a SOR-ID and return it as an ``int``.

    A SOR-ID is ``<item>`` + namespace ``1000016`` + partition ``00`` + a Verhoeff check digit,
    11 to 18 digits in all, without leading zeros.

    Args:
        value: The SOR-ID as an ``int`` or a string of digits (surrounding whitespace allowed).

    Returns:
        The SOR-ID as an ``int``.

    Raises:
        InvalidIdentifier: with the rule it breaks: not digits, leading zero, length,
            namespace, partition, or check digit (naming the expected digit).

    """
    if type(value) is int and _SOR_ID_SMALLEST <= value <= _SOR_ID_LARGEST:
        # the common case (a SOR-ID read from a file or the database): 11 to 18 digits in
        # our namespace and partition with a good check digit is valid, and that is all
        text = str(value)
        if text[-10:-1] == _SOR_SUFFIX and _verhoeff_checksum(text, first_position=0) == 0:
            return value
    text = _as_digit_string("SOR-ID", value)
    if text.startswith("0"):
        raise InvalidIdentifier("SOR-ID", value, "must not start with 0")
    if not _SOR_ID_MIN_LENGTH <= len(text) <= _SOR_ID_MAX_LENGTH:
        raise InvalidIdentifier(
            "SOR-ID",
            value,
            f"must have {_SOR_ID_MIN_LENGTH} to {_SOR_ID_MAX_LENGTH} digits, has {len(text)}",
        )
    namespace, partition = text[-10:-3], text[-3:-1]
    if namespace != SOR_NAMESPACE:
        raise InvalidIdentifier(
            "SOR-ID",
            value,
            f"namespace (digits 10 to 4 from the right) is {namespace}, expected {SOR_NAMESPACE}",
        )
    if partition != SOR_PARTITION:
        raise InvalidIdentifier(
            "SOR-ID",
            value,
            f"partition (digits 3 and 2 from the right) is {partition}, expected {SOR_PARTITION}",
        )
    expected = verhoeff_check_digit(text[:-1])
    if text[-1] != expected:
        raise InvalidIdentifier(
            "SOR-ID", value, f"check digit is {text[-1]}, expected {expected} (Verhoeff)"
        )
    return int(text)


def make_sor_id(item: int) -> int:
    """Build the SOR-ID of an item number in the SOR namespace.

    Args:
        item: 1 to 99,999,999.

    Returns:
        ``<item>1000016 00<check digit>`` as an ``int``.

    Raises:
        InvalidIdentifier: ``item`` is not an ``int`` in range.

    """
    if isinstance(item, bool) or not isinstance(item, int):
        raise InvalidIdentifier("SOR-ID item", item, "must be an int")
    if not 1 <= item <= _SOR_ITEM_MAX:
        raise InvalidIdentifier("SOR-ID item", item, f"must be between 1 and {_SOR_ITEM_MAX}")
    body = f"{item}{SOR_NAMESPACE}{SOR_PARTITION}"
    return int(body + verhoeff_check_digit(body))


def sor_id_item(sor_id: int) -> int:
    """The item number of a SOR-ID (the digits before the namespace).

    Raises:
        InvalidIdentifier: ``sor_id`` is not a valid SOR-ID.

    """
    return int(str(validate_sor_id(sor_id))[:-10])


def next_free_item(used_sor_ids: Iterable[int]) -> int:
    """The item number for the next new SOR-ID: one past the largest item in use.

    IDs are never reused, so gaps are not filled. Values that are not valid SOR-IDs in our
    namespace are ignored.

    Args:
        used_sor_ids: Every SOR-ID the register has ever issued or imported.

    Returns:
        The next item number (1 when nothing is in use).

    Raises:
        InvalidIdentifier: the namespace is exhausted (the largest item is 99,999,999).

    """
    largest = 0
    for sor_id in used_sor_ids:
        try:
            item = sor_id_item(sor_id)
        except InvalidIdentifier:
            continue
        largest = max(largest, item)
    if largest >= _SOR_ITEM_MAX:
        raise InvalidIdentifier(
            "SOR-ID item", largest + 1, f"the namespace is exhausted (largest item {_SOR_ITEM_MAX})"
        )
    return largest + 1


# --------------------------------------------------------------------------------------------
# GLN (EAN location number)
# --------------------------------------------------------------------------------------------

_GLN_LENGTH = 13


def validate_gln(value: str | int) -> str:
    """Check a GLN (EAN location number) and return its 13 digits.

    Args:
        value: 13 digits as a string, or an ``int`` (zero-padded to 13 digits).

    Returns:
        The 13-digit GLN string.

    Raises:
        InvalidIdentifier: not digits, not 13 digits, or a wrong GS1 check digit.

    """
    text = _as_digit_string("GLN", value, pad_int_to=_GLN_LENGTH)
    if len(text) != _GLN_LENGTH:
        raise InvalidIdentifier("GLN", value, f"must have {_GLN_LENGTH} digits, has {len(text)}")
    expected = gs1_check_digit(text[:-1])
    if text[-1] != expected:
        raise InvalidIdentifier(
            "GLN", value, f"check digit is {text[-1]}, expected {expected} (GS1 mod-10)"
        )
    return text


def make_gln(first12: str) -> str:
    """Complete 12 digits with the GS1 check digit into a GLN.

    Raises:
        InvalidIdentifier: ``first12`` is not exactly 12 digits.

    """
    if not isinstance(first12, str) or not _DIGITS.fullmatch(first12) or len(first12) != 12:
        raise InvalidIdentifier("GLN prefix", first12, "must be exactly 12 digits")
    return first12 + gs1_check_digit(first12)


# --------------------------------------------------------------------------------------------
# SHAK
# --------------------------------------------------------------------------------------------

_SHAK_LENGTHS = (4, 6, 7)


def validate_shak(code: str) -> str:
    """Check a SHAK code and return it stripped and upper-cased.

    Args:
        code: 4 characters (hospital), 6 (department) or 7 (section); digits and letters A-Z.

    Returns:
        The normalised code, e.g. ``"665033L"``.

    Raises:
        InvalidIdentifier: not a string, wrong length or a character other than 0-9/A-Z.

    """
    if not isinstance(code, str):
        raise InvalidIdentifier(
            "SHAK",
            code,
            f"must be a string (codes may have leading zeros and letters), "
            f"not {type(code).__name__}",
        )
    text = code.strip().upper()
    if len(text) not in _SHAK_LENGTHS:
        raise InvalidIdentifier(
            "SHAK",
            code,
            f"must have 4 (hospital), 6 (department) or 7 (section) characters, has {len(text)}",
        )
    if not text.isascii() or not _SHAK.fullmatch(text):
        raise InvalidIdentifier("SHAK", code, "may contain only the digits 0-9 and letters A-Z")
    return text


def shak_parent(code: str) -> str | None:
    """The SHAK code one level up: section → department → hospital → ``None``.

    Raises:
        InvalidIdentifier: ``code`` is not a valid SHAK code.

    """
    text = validate_shak(code)
    if len(text) == 7:
        return text[:6]
    if len(text) == 6:
        return text[:4]
    return None


def shak_hospital(code: str) -> str:
    """The hospital part (first 4 characters) of a SHAK code.

    Raises:
        InvalidIdentifier: ``code`` is not a valid SHAK code.

    """
    return validate_shak(code)[:4]


# --------------------------------------------------------------------------------------------
# Provider number (ydernummer) and CVR
# --------------------------------------------------------------------------------------------

_PROVIDER_NUMBER_LENGTH = 6


def validate_provider_number(value: str | int) -> str:
    """Check a provider number (ydernummer) and return it zero-padded to 6 digits.

    Args:
        value: 1 to 6 digits (``19062`` or ``"019062"``).

    Returns:
        Six digits, e.g. ``"019062"``.

    Raises:
        InvalidIdentifier: not digits, more than 6 digits, or zero.

    """
    text = _as_digit_string("provider number", value)
    if len(text) > _PROVIDER_NUMBER_LENGTH:
        raise InvalidIdentifier(
            "provider number",
            value,
            f"must have at most {_PROVIDER_NUMBER_LENGTH} digits, has {len(text)}",
        )
    if int(text) == 0:
        raise InvalidIdentifier("provider number", value, "must not be zero")
    return text.zfill(_PROVIDER_NUMBER_LENGTH)


_CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def validate_cvr(value: str | int) -> str:
    """Check a CVR number (Danish business register) and return its 8 digits.

    Args:
        value: 8 digits, the first not 0.

    Returns:
        The 8-digit CVR number.

    Raises:
        InvalidIdentifier: not digits, not 8 digits, a leading 0, or the weighted sum
            (weights 2,7,6,5,4,3,2,1) is not divisible by 11.

    """
    text = _as_digit_string("CVR number", value)
    if len(text) != len(_CVR_WEIGHTS):
        raise InvalidIdentifier("CVR number", value, f"must have 8 digits, has {len(text)}")
    if text[0] == "0":
        raise InvalidIdentifier("CVR number", value, "must not start with 0")
    total = sum(int(char) * weight for char, weight in zip(text, _CVR_WEIGHTS, strict=True))
    if total % 11:
        raise InvalidIdentifier(
            "CVR number",
            value,
            f"fails the modulus-11 check (weighted sum {total} leaves remainder {total % 11})",
        )
    return text


# --------------------------------------------------------------------------------------------
# Postcodes
# --------------------------------------------------------------------------------------------

_POSTCODE_COUNTRIES = ("DK", "GL", "FO")


def _country(kind: str, value: object, country: object) -> str:
    if not isinstance(country, str) or country.strip().upper() not in _POSTCODE_COUNTRIES:
        raise InvalidIdentifier(
            kind,
            value,
            f"unknown country {country!r}; expected one of {', '.join(_POSTCODE_COUNTRIES)}",
        )
    return country.strip().upper()


def validate_postcode(value: str | int, country: str = "DK") -> str:
    """Check a postcode of Denmark, Greenland or the Faroe Islands; return its canonical form.

    * ``DK``: 4 digits, 0800-9999.
    * ``GL``: 4 digits, 3900-3999 (Greenland uses the 39xx block of the Danish series).
    * ``FO``: 3 digits, 100-999; the 4-digit form with a leading zero (``"0100"``) is accepted
      and returned as ``"100"``.

    An ``int`` is zero-padded (``800`` → ``"0800"`` in Denmark).

    Args:
        value: The postcode.
        country: ISO 3166 alpha-2 code of the country the postcode belongs to.

    Returns:
        The postcode string.

    Raises:
        InvalidIdentifier: unknown country, not digits, wrong length or out of range.

    """
    country = _country("postcode", value, country)
    text = _as_digit_string("postcode", value, pad_int_to=3 if country == "FO" else 4)
    if country == "FO":
        if len(text) == 4 and text.startswith("0"):
            text = text[1:]
        if len(text) != 3:
            raise InvalidIdentifier(
                "postcode", value, f"a Faroese postcode has 3 digits, this has {len(text)}"
            )
        if not 100 <= int(text) <= 999:
            raise InvalidIdentifier("postcode", value, "a Faroese postcode lies in 100-999")
        return text
    if len(text) != 4:
        raise InvalidIdentifier(
            "postcode", value, f"a postcode in {country} has 4 digits, this has {len(text)}"
        )
    number = int(text)
    if country == "GL" and not 3900 <= number <= 3999:
        raise InvalidIdentifier("postcode", value, "a Greenlandic postcode lies in 3900-3999")
    if country == "DK" and number < 800:
        raise InvalidIdentifier("postcode", value, "a Danish postcode lies in 0800-9999")
    return text


def format_postcode(code: str, country: str, width: int | None = None) -> str:
    """A postcode for output, optionally zero-padded to a fixed width.

    The code is validated and canonicalised first (see :func:`validate_postcode`). With
    ``width=4`` a Faroese postcode ``"100"`` is written ``"0100"``, as fixed-width files do.

    Raises:
        InvalidIdentifier: the postcode is invalid, or ``width`` is narrower than the code.

    """
    text = validate_postcode(code, country)
    if width is None:
        return text
    if width < len(text):
        raise InvalidIdentifier(
            "postcode", code, f"does not fit in width {width} ({len(text)} digits)"
        )
    return text.zfill(width)


# --------------------------------------------------------------------------------------------
# Telephone numbers
# --------------------------------------------------------------------------------------------

_PHONE_SEPARATORS = str.maketrans("", "", " \u00a0\t-./()")
_CALLING_CODES = {"DK": "45", "GL": "299", "FO": "298"}
_NATIONAL_LENGTHS = {"DK": 8, "GL": 6, "FO": 6}


def _split_calling_code(text: str) -> tuple[str | None, str]:
    """Split ``+CC``/``00CC`` off a number: (country or ``None``, national digits)."""
    if text.startswith("+"):
        rest = text[1:]
    elif text.startswith("00"):
        rest = text[2:]
    else:
        return None, text
    for country, calling_code in _CALLING_CODES.items():
        if rest.startswith(calling_code):
            return country, rest[len(calling_code) :]
    return "", rest


def normalize_phone(value: str, country: str = "DK") -> str:
    """Normalise a telephone number of Denmark, Greenland or the Faroe Islands.

    Spaces, dashes, dots, slashes and parentheses are removed. A Danish number is returned as
    its 8 national digits (``"48300204"``), a ``+45``/``0045`` prefix removed. Greenlandic and
    Faroese numbers (6 digits) are returned with their calling code, ``"+299xxxxxx"`` and
    ``"+298xxxxxx"``. A number that carries a calling code (+45, +299, +298) is taken as that
    country's whatever ``country`` says; ``country`` decides only numbers without one.

    Args:
        value: The number as written.
        country: ISO 3166 alpha-2 code (DK, GL, FO) for numbers without a calling code.

    Returns:
        The normalised number.

    Raises:
        InvalidIdentifier: unknown country or calling code, a character other than digits and
            separators, or the wrong number of digits.

    """
    if not isinstance(value, str):
        raise InvalidIdentifier(
            "phone number", value, f"must be a string, not {type(value).__name__}"
        )
    text = value.translate(_PHONE_SEPARATORS)
    if not text:
        raise InvalidIdentifier("phone number", value, "is empty")
    found, national = _split_calling_code(text)
    if found == "":
        raise InvalidIdentifier(
            "phone number",
            value,
            "has a calling code other than +45 (DK), +299 (GL) or +298 (FO)",
        )
    if found is None:
        if not isinstance(country, str) or country.strip().upper() not in _CALLING_CODES:
            raise InvalidIdentifier(
                "phone number",
                value,
                f"unknown country {country!r}; expected one of {', '.join(_CALLING_CODES)}",
            )
        found = country.strip().upper()
    if not _DIGITS.fullmatch(national):
        raise InvalidIdentifier(
            "phone number",
            value,
            "may contain only digits, a leading + and the separators space - . / ( )",
        )
    length = _NATIONAL_LENGTHS[found]
    if len(national) != length:
        raise InvalidIdentifier(
            "phone number",
            value,
            f"a number in {found} has {length} digits after the calling code, "
            f"this has {len(national)}",
        )
    if found == "DK":
        return national
    return f"+{_CALLING_CODES[found]}{national}"


def phone_e164(value: str, country: str = "DK") -> str:
    """A telephone number in E.164 form (``"+4548300204"``, ``"+299321000"``).

    Raises:
        InvalidIdentifier: as :func:`normalize_phone`.

    """
    normalized = normalize_phone(value, country)
    if normalized.startswith("+"):
        return normalized
    return f"+{_CALLING_CODES['DK']}{normalized}"
