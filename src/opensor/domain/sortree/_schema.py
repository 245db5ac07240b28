"""The SorTree XML 1.0.0 schema as a small declarative table.

The reader validates against this table while it streams, and the writer emits elements from it,
so that OpenSOR checks SorTree files *without* the XSD files. The table mirrors the published
schema set (SorTree.xsd and the OIO xkom/dkcc/cpr types it pulls in): for every complex type the
ordered element particles with their ``minOccurs``/``maxOccurs``, and for every simple type the
lexical rules (xs:long, xs:boolean, xs:date, string lengths, patterns).

Simple-type parsers take the element's text (``None`` for an empty element) and return the
Python value or raise :class:`Invalid` with the reason. Whitespace is handled as XSD does:
``xs:string`` types keep it, the numeric, boolean and date types collapse it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

from opensor.domain.errors import InvalidIdentifier
from opensor.domain.identifiers import validate_gln, validate_sor_id

__all__ = [
    "ADDRESS_INFORMATION",
    "ADDRESS_POSTAL",
    "CLINICAL_SPECIALITY",
    "CLINICAL_SPECIALITY_COLLECTION",
    "COUNTRY_SCHEMES",
    "CPR_2005",
    "CREATED_AT_TIME",
    "DKCC_2003",
    "DKCC_2005",
    "DKCC_2005_05",
    "EAN_LOCATION_CODE_ENTITY",
    "GEOGRAPHICAL_PARENT",
    "HEALTH_INSTITUTION",
    "HI",
    "HIE",
    "INSTITUTION_OWNER",
    "IO",
    "IOE",
    "LOCAL_ATTRIBUTE_COLLECTION",
    "NS",
    "NSMAP",
    "OPTIONAL_EAN_LOCATION_CODE",
    "ORGANIZATIONAL_UNIT",
    "ORGANIZATIONAL_UNIT_INFORMATION",
    "OU",
    "OUE",
    "SNAPSHOT_DATE",
    "SORTREE",
    "SOR_IDENTIFIER_COLLECTION",
    "SOR_STATUS",
    "UNBOUNDED",
    "VIRTUAL_ADDRESS_INFORMATION",
    "XKOM_2005",
    "XKOM_2006",
    "XSI",
    "XSI_ATTRIBUTES",
    "Invalid",
    "Model",
    "Particle",
    "country_scheme",
    "display_name",
    "parse_bool",
    "parse_country",
    "parse_country_scheme",
    "parse_date",
    "parse_datetime",
    "parse_email",
    "parse_gln",
    "parse_long_int",
    "parse_long_str",
    "parse_po_box",
    "parse_sor_id",
    "pattern",
    "string",
]

NS = "urn:oio:sundhedsstyrelsen:organisation:1.0.0"
"""The SorTree 1.0.0 target namespace."""
XKOM_2006 = "http://rep.oio.dk/xkom.dk/xml/schemas/2006/01/06/"
XKOM_2005 = "http://rep.oio.dk/xkom.dk/xml/schemas/2005/03/15/"
DKCC_2003 = "http://rep.oio.dk/ebxml/xml/schemas/dkcc/2003/02/13/"
DKCC_2005 = "http://rep.oio.dk/ebxml/xml/schemas/dkcc/2005/03/15/"
DKCC_2005_05 = "http://rep.oio.dk/ebxml/xml/schemas/dkcc/2005/05/13/"
CPR_2005 = "http://rep.oio.dk/cpr.dk/xml/schemas/core/2005/03/18/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

NSMAP: Mapping[str | None, str] = MappingProxyType(
    {
        None: NS,
        # the prefixes of the real SOR extracts …
        "xkom-1": XKOM_2006,
        "dkcc": DKCC_2003,
        "dkcc2005": DKCC_2005,
        # … and the namespaces of the optional address/e-mail elements they happen not to use
        "xkom": XKOM_2005,
        "cpr": CPR_2005,
        "dkcc2005-05": DKCC_2005_05,
    }
)
"""Namespace prefixes the writer declares on the root element."""

_XML_WS = " \t\r\n"
UNBOUNDED = sys.maxsize
_LONG_MIN = -(2**63)
_LONG_MAX = 2**63 - 1


class Invalid(Exception):
    """A value that breaks its simple type; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# simple types


_LONG_RE = re.compile(r"[+-]?[0-9]+")


def _long_text(text: str | None) -> str:
    """The collapsed lexical form of an ``xs:long`` (checked), e.g. ``' 1084 '`` → ``'1084'``."""
    if text is not None and text.isdigit() and text.isascii() and len(text) < 19:
        return text  # the common case: plain digits
    value = (text or "").strip(_XML_WS)
    if not value:
        raise Invalid("empty, expected an integer")
    if _LONG_RE.fullmatch(value) is None:
        raise Invalid("not an integer (xs:long)")
    if not _LONG_MIN <= int(value) <= _LONG_MAX:
        raise Invalid("outside the range of xs:long")
    return value


def parse_long_str(text: str | None) -> str:
    """An ``xs:long`` kept as its (collapsed) text, as the register keeps codes."""
    return _long_text(text)


def parse_long_int(text: str | None) -> int:
    """An ``xs:long`` as an ``int``."""
    return int(_long_text(text))


def parse_sor_id(text: str | None) -> int:
    """An ``xs:long`` that must be a valid SOR-ID."""
    value = int(_long_text(text))
    try:
        return validate_sor_id(value)
    except InvalidIdentifier as exc:
        raise Invalid(exc.reason) from None


def parse_gln(text: str | None) -> str:
    """An ``xs:long`` that must be a valid EAN location number (GLN)."""
    value = _long_text(text)
    try:
        return validate_gln(value)
    except InvalidIdentifier as exc:
        raise Invalid(exc.reason) from None


_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}


def parse_bool(text: str | None) -> bool:
    """An ``xs:boolean``: ``true``, ``false``, ``1`` or ``0``."""
    if text is not None:
        value = _BOOLEANS.get(text)
        if value is None:
            value = _BOOLEANS.get(text.strip(_XML_WS))
        if value is not None:
            return value
    raise Invalid("not a boolean (true, false, 1 or 0)")


_TZ = r"(Z|[+-][0-9]{2}:[0-9]{2})?"
_DATE_RE = re.compile(r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})" + _TZ)
_DATETIME_RE = re.compile(
    r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?" + _TZ
)


def _tzinfo(tz: str | None) -> timezone | None:
    if tz is None:
        return None
    if tz == "Z":
        return UTC
    hours, minutes = int(tz[1:3]), int(tz[4:6])
    if minutes > 59 or hours * 60 + minutes > 14 * 60:
        raise Invalid("time zone offset out of range")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if tz[0] == "-" else offset)


def _year(text: str) -> int:
    if len(text) != 4 or text[0] == "-":
        raise Invalid("years outside 0001–9999 are not supported")
    return int(text)


_DATES: dict[str, date] = {}
_DATES_MAX = 8192


def parse_date(text: str | None) -> date:
    """An ``xs:date`` (``YYYY-MM-DD``, an optional time zone is accepted and dropped)."""
    if text is None:
        raise Invalid("empty, expected a date (YYYY-MM-DD)")
    day = _DATES.get(text)
    if day is not None:
        return day  # dates repeat a lot: a small cache of parsed ones
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        # the common case; with dashes at 4 and 7, fromisoformat accepts only YYYY-MM-DD
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            if len(_DATES) >= _DATES_MAX:
                _DATES.clear()
            _DATES[text] = day
            return day
    match = _DATE_RE.fullmatch(text.strip(_XML_WS))
    if match is None:
        raise Invalid("not a date (YYYY-MM-DD)")
    _tzinfo(match[4])
    try:
        return date(_year(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise Invalid("not a valid calendar date") from None


def parse_datetime(text: str | None) -> datetime:
    """An ``xs:dateTime``; aware when the text has a time zone, naive otherwise.

    Fractions of a second beyond microseconds are truncated; ``24:00:00`` is the next midnight.
    """
    if text is None:
        raise Invalid("empty, expected a date and time")
    match = _DATETIME_RE.fullmatch(text.strip(_XML_WS))
    if match is None:
        raise Invalid("not a date and time (YYYY-MM-DDThh:mm:ss[zone])")
    hour, minute, second = int(match[4]), int(match[5]), int(match[6])
    micro = int((match[7][1:] + "00000")[:6]) if match[7] else 0
    tz = _tzinfo(match[8])
    next_day = hour == 24 and minute == 0 and second == 0 and micro == 0
    try:
        result = datetime(
            _year(match[1]),
            int(match[2]),
            int(match[3]),
            0 if next_day else hour,
            minute,
            second,
            micro,
            tzinfo=tz,
        )
    except ValueError:
        raise Invalid("not a valid date and time") from None
    return result + timedelta(days=1) if next_day else result


def string(min_length: int, max_length: int) -> Callable[[str | None], str]:
    """An ``xs:string`` restricted by length (whitespace is kept, as XSD does)."""

    def parse(text: str | None) -> str:
        value = "" if text is None else text
        length = len(value)
        if length > max_length:
            raise Invalid(f"longer than {max_length} characters ({length})")
        if length < min_length:
            if length == 0:
                raise Invalid("empty")
            raise Invalid(f"shorter than {min_length} characters ({length})")
        return value

    parse.__doc__ = f"xs:string of {min_length}–{max_length} characters"
    return parse


def pattern(regex: str, description: str) -> Callable[[str | None], str]:
    """An ``xs:string`` restricted by an (implicitly anchored) XSD pattern."""
    compiled = re.compile(regex)

    def parse(text: str | None) -> str:
        value = "" if text is None else text
        if compiled.fullmatch(value) is None:
            raise Invalid(f"not {description}")
        return value

    parse.__doc__ = f"xs:string matching {regex}"
    return parse


def parse_po_box(text: str | None) -> str:
    """A post office box number: ``xs:integer`` 1–9999, kept as its collapsed text."""
    if text is None:
        raise Invalid("empty, expected a number 1–9999")
    value = text.strip(_XML_WS)
    if _LONG_RE.fullmatch(value) is None or not 1 <= int(value) <= 9999:
        raise Invalid("not a number 1–9999")
    return value


# XSD's \s is exactly the four XML whitespace characters, so it is spelt out here.
_EMAIL_CHARS = r"[^>()\[\]\\,;:@ \t\n\r]"
parse_email = pattern(
    f"{_EMAIL_CHARS}{{0,191}}@{_EMAIL_CHARS}{{1,64}}",
    "an e-mail address (xkom:EmailAddressIdentifier)",
)

_COUNTRY_PATTERNS = (
    ("iso3166-alpha2", re.compile("[a-z,A-Z]{2}")),
    ("iso3166-alpha3", re.compile("[a-z,A-Z]{3}")),
    ("un-numeric3", re.compile("[0-9]{3}")),
    ("imk", re.compile("[0-9]{4}")),
)
COUNTRY_SCHEMES = frozenset(name for name, _ in _COUNTRY_PATTERNS)
parse_country = pattern(
    "[a-z,A-Z]{2}|[a-z,A-Z]{3}|[0-9]{3}|[0-9]{4}",
    "a country code (ISO 3166 alpha-2/alpha-3, UN numeric or CPR authority code)",
)


def country_scheme(value: str) -> str:
    """The ``scheme`` attribute that fits a country code (``DK`` → ``iso3166-alpha2``)."""
    for name, regex in _COUNTRY_PATTERNS:
        if regex.fullmatch(value):
            return name
    raise Invalid("not a country code")


def parse_country_scheme(text: str) -> str:
    """The ``scheme`` attribute of ``dkcc:CountryIdentificationCode``."""
    if text not in COUNTRY_SCHEMES:
        raise Invalid(f"not one of {', '.join(sorted(COUNTRY_SCHEMES))}")
    return text


# ---------------------------------------------------------------------------------------------
# content models


@dataclass(frozen=True, slots=True)
class Particle:
    """One element in a complex type's content model.

    ``parse`` is set for simple content, ``model`` for complex content. ``target`` names the
    record attribute the element carries (for the writer's error messages). ``attrs`` lists the
    attributes the element may carry, with the required ones in ``required_attrs``.
    """

    name: str
    ns: str = NS
    min: int = 1
    max: int = 1
    parse: Callable[[str | None], Any] | None = None
    model: Model | None = None
    target: str | None = None
    attrs: Mapping[str, Callable[[str], Any]] = field(default_factory=dict)
    required_attrs: tuple[str, ...] = ()
    tag: str = field(init=False)
    """The element's name in Clark notation (``{namespace}local``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tag", f"{{{self.ns}}}{self.name}")

    @property
    def display(self) -> str:
        """The element's name as shown in messages (local name, prefixed when foreign)."""
        return display_name(self.tag)


@dataclass(frozen=True, slots=True)
class Model:
    """The content model of a complex type: a sequence (or a choice) of particles.

    ``flat`` says that the particles' targets are attributes of the record itself rather than
    of a value object (``GeographicalParent`` holds two ``UnitRecord`` attributes, while
    ``SorStatus`` holds the attributes of a ``Validity``).
    """

    name: str
    particles: tuple[Particle, ...]
    choice: bool = False
    flat: bool = False
    index: Mapping[str, int] = field(init=False)
    required_before: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        index = {p.tag: i for i, p in enumerate(self.particles)}
        counts = [0]
        for particle in self.particles:
            counts.append(counts[-1] + (particle.min > 0))
        object.__setattr__(self, "index", index)
        # required_before[k] = number of required particles before position k: a jump from
        # position a to b skips a required one iff required_before[b] != required_before[a].
        object.__setattr__(self, "required_before", tuple(counts))

    def first_required(self, start: int, stop: int) -> Particle | None:
        """The first required particle in positions ``start`` … ``stop - 1``, if any."""
        for particle in self.particles[start:stop]:
            if particle.min > 0:
                return particle
        return None


_PREFIXES = {v: k for k, v in NSMAP.items() if k is not None}


def display_name(tag: str) -> str:
    """A Clark-notation tag as shown in messages: ``Foo``, ``dkcc:Foo`` or ``{ns}Foo``.

    Elements of the SorTree namespace show their local name, those of the OIO namespaces the
    prefix the writer uses, others their full name.
    """
    if tag[:1] != "{":
        return f"{tag} (in no namespace)"
    ns, _, local = tag[1:].partition("}")
    if ns == NS:
        return local
    prefix = _PREFIXES.get(ns)
    return f"{prefix}:{local}" if prefix else tag


def _sp(name: str, parse: Callable[[str | None], Any], *, ns: str = NS, **kw: Any) -> Particle:
    return Particle(name, ns=ns, parse=parse, **kw)


def _cp(name: str, model: Model, **kw: Any) -> Particle:
    return Particle(name, model=model, **kw)


_name = string(1, 60)

SOR_STATUS = Model(
    "SorStatus",
    (
        _sp("FromDate", parse_date, target="valid_from"),
        _sp("ToDate", parse_date, min=0, target="valid_to"),
        _sp("UpdatedAt", parse_date, min=0, target="updated_at"),
        _sp("FirstFromDate", parse_date, target="first_from"),
    ),
)

EAN_LOCATION_CODE_ENTITY = Model(
    "EanLocationCodeEntity",
    (
        _sp("EanLocationCode", parse_gln, target="gln"),
        _sp("OnlyInternalIndicator", parse_bool, target="only_internal"),
        _sp("NonActiveIndicator", parse_bool, target="non_active"),
        _sp("SystemSupplier", parse_long_str, target="system_supplier"),
        _sp("SystemType", parse_long_str, target="system_type"),
        _sp("CommunicationSupplier", parse_long_str, target="communication_supplier"),
        _sp("RegionCode", parse_long_str, target="region_code"),
        _sp("EdiAdministrator", parse_long_str, target="edi_administrator"),
        _sp("SorNote", string(0, 254), min=0, target="note"),
        _cp("SorStatus", SOR_STATUS, min=0, target="validity"),
    ),
)

OPTIONAL_EAN_LOCATION_CODE = Model(
    "OptionalEanLocationCode",
    (
        _sp("EntityInheritedIndicator", parse_bool, min=0, target="location_number_inherited"),
        _cp("EanLocationCodeEntity", EAN_LOCATION_CODE_ENTITY, target="location_number"),
    ),
    choice=True,
    flat=True,
)

GEOGRAPHICAL_PARENT = Model(
    "GeographicalParent",
    (
        _sp("GeographicalParentRelation", parse_long_int, target="geographical_parent_relation"),
        _sp(
            "GeographicalParentSorIdentifier",
            parse_sor_id,
            min=0,
            target="geographical_parent_sor_id",
        ),
    ),
    flat=True,
)

ADDRESS_POSTAL = Model(
    "xkom-1:AddressPostal",
    (
        _sp(
            "MailDeliverySublocationIdentifier",
            string(1, 34),
            ns=DKCC_2003,
            min=0,
            target="mail_delivery_sublocation",
        ),
        _sp("StreetName", string(1, 40), ns=DKCC_2005, target="street_name"),
        _sp(
            "StreetNameForAddressingName",
            string(1, 20),
            ns=CPR_2005,
            min=0,
            target="street_for_addressing",
        ),
        _sp(
            "StreetBuildingIdentifier",
            pattern(
                "([1-9]|[1-9][0-9]|[1-9][0-9]{2})|([1-9][A-Z]|[1-9][0-9][A-Z]|[1-9][0-9]{2}[A-Z])",
                "a house number (1–999, optionally followed by a capital letter)",
            ),
            ns=DKCC_2003,
            target="building",
        ),
        _sp(
            "FloorIdentifier",
            pattern(
                "[1-9]|[1-9][0-9]|KL|ST|kl|st|k[2-9]|K[2-9]",
                "a floor (1–99, ST, KL or K2–K9)",
            ),
            ns=DKCC_2003,
            min=0,
            target="floor",
        ),
        _sp("SuiteIdentifier", string(1, 4), ns=DKCC_2003, min=0, target="suite"),
        _sp(
            "DistrictSubdivisionIdentifier",
            string(1, 34),
            ns=DKCC_2005,
            min=0,
            target="district_subdivision",
        ),
        _sp("PostOfficeBoxIdentifier", parse_po_box, ns=DKCC_2005_05, min=0, target="po_box"),
        _sp(
            "PostCodeIdentifier",
            pattern("[0-9]{4}", "a postcode of 4 digits"),
            ns=DKCC_2005,
            target="postcode",
        ),
        _sp("DistrictName", string(1, 20), ns=DKCC_2005, target="district"),
        _sp(
            "CountryIdentificationCode",
            parse_country,
            ns=DKCC_2003,
            min=0,
            target="country",
            attrs={"scheme": parse_country_scheme},
            required_attrs=("scheme",),
        ),
    ),
)

ADDRESS_INFORMATION = Model(
    "AddressInformation",
    (
        Particle("AddressPostal", ns=XKOM_2006, model=ADDRESS_POSTAL),
        _sp("Stairway", string(1, 40), min=0, target="stairway"),
    ),
)

VIRTUAL_ADDRESS_INFORMATION = Model(
    "VirtualAddressInformation",
    (
        _sp("EmailAddressIdentifier", parse_email, ns=XKOM_2005, min=0, target="contact.email"),
        _sp("Website", string(1, 254), min=0, target="contact.website"),
        _sp("TelephoneNumberIdentifier", string(8, 20), target="contact.phone"),
        _sp("FaxNumberIdentifier", string(8, 20), min=0, target="contact.fax"),
    ),
    flat=True,
)

CLINICAL_SPECIALITY = Model(
    "ClinicalSpeciality",
    (
        _sp("SpecialityCode", parse_long_str, target="code"),
        _sp("SpecialityType", parse_long_str, target="type"),
    ),
)

CLINICAL_SPECIALITY_COLLECTION = Model(
    "ClinicalSpecialityCollection",
    (_cp("ClinicalSpeciality", CLINICAL_SPECIALITY, min=0, max=8, target="specialities"),),
    flat=True,
)

SOR_IDENTIFIER_COLLECTION = Model(
    "SorIdentifierCollection",
    (_sp("SorIdentifier", parse_sor_id, min=0, max=UNBOUNDED),),
)

ORGANIZATIONAL_UNIT_INFORMATION = Model(
    "OrganizationalUnitInformation",
    (
        _sp("AmbulantActivityIndicator", parse_bool, target="ambulant_activity"),
        _sp("PatientsAdmittedIndicator", parse_bool, target="patients_admitted"),
        _sp("ReportingLevelIndicator", parse_bool, target="reporting_level"),
    ),
    flat=True,
)

LOCAL_ATTRIBUTE_COLLECTION = Model(
    "LocalAttributeCollection",
    tuple(
        _sp(f"LocalAttribute{n}", string(1, 20), min=0, target=f"local_attributes[{n - 1}]")
        for n in range(1, 6)
    ),
    flat=True,
)


def _postal(**kw: Any) -> Particle:
    return _cp("PostalAddressInformation", ADDRESS_INFORMATION, target="postal_address", **kw)


def _virtual(**kw: Any) -> Particle:
    return _cp("VirtualAddressInformation", VIRTUAL_ADDRESS_INFORMATION, target="contact", **kw)


_SOR_ID = _sp("SorIdentifier", parse_sor_id, target="sor_id")
_ENTITY_NAME = _sp("EntityName", _name, target="name")
_STATUS = _cp("SorStatus", SOR_STATUS, target="validity")
_PHARMACY = _sp("PharmacyIdentifier", string(1, 20), min=0, target="pharmacy_id")
_SHAK = _sp("ShakIdentifier", string(4, 7), min=0, target="shak")
_OPTIONAL_EAN = _cp("OptionalEanLocationCode", OPTIONAL_EAN_LOCATION_CODE)
_REPLACES = _cp("ReplacesEntityCollection", SOR_IDENTIFIER_COLLECTION, min=0, target="replaces")
_REPLACED_BY = _cp(
    "ReplacedByEntityCollection", SOR_IDENTIFIER_COLLECTION, min=0, target="replaced_by"
)

INSTITUTION_OWNER = Model(
    "InstitutionOwner",
    (
        _SOR_ID,
        _ENTITY_NAME,
        _sp("OwnerType", parse_long_str, target="owner_type"),
        _cp("EanLocationCodeEntity", EAN_LOCATION_CODE_ENTITY, min=0, target="location_number"),
        _postal(),
        _virtual(),
        _STATUS,
    ),
)

HEALTH_INSTITUTION = Model(
    "HealthInstitution",
    (
        _SOR_ID,
        _ENTITY_NAME,
        _sp("InstitutionType", parse_long_str, target="institution_type"),
        _PHARMACY,
        _SHAK,
        _OPTIONAL_EAN,
        _cp(
            "GeographicalParent", GEOGRAPHICAL_PARENT, min=0, target="geographical_parent_relation"
        ),
        _postal(min=0),
        _cp(
            "VisitingAddressInformation",
            ADDRESS_INFORMATION,
            min=0,
            target="visiting_address",
        ),
        _virtual(min=0),
        _STATUS,
        _REPLACES,
        _REPLACED_BY,
    ),
)

ORGANIZATIONAL_UNIT = Model(
    "OrganizationalUnit",
    (
        _SOR_ID,
        _ENTITY_NAME,
        _sp("UnitType", parse_long_str, min=0, target="unit_type"),
        _sp("LocalCode", string(1, 20), min=0, target="local_code"),
        _PHARMACY,
        _SHAK,
        _sp("ProviderIdentifier", string(1, 9), min=0, target="provider_number"),
        _OPTIONAL_EAN,
        _cp("GeographicalParent", GEOGRAPHICAL_PARENT, target="geographical_parent_relation"),
        _postal(min=0),
        _cp(
            "VisitingAddressInformation",
            ADDRESS_INFORMATION,
            min=0,
            target="visiting_address",
        ),
        _cp(
            "ActivityAddressInformation",
            ADDRESS_INFORMATION,
            min=0,
            target="activity_address",
        ),
        _virtual(min=0),
        _cp(
            "ClinicalSpecialityCollection",
            CLINICAL_SPECIALITY_COLLECTION,
            min=0,
            target="specialities",
        ),
        _STATUS,
        _REPLACES,
        _REPLACED_BY,
        _cp(
            "OrganizationalUnitInformation",
            ORGANIZATIONAL_UNIT_INFORMATION,
            min=0,
            target="ambulant_activity/patients_admitted/reporting_level",
        ),
        _cp(
            "LocalAttributeCollection",
            LOCAL_ATTRIBUTE_COLLECTION,
            min=0,
            target="local_attributes",
        ),
    ),
)

# The tree's envelope and nesting elements, handled by the reader's structural state machine:
#   SorTree                  = CreatedAtTime, SnapshotDate, InstitutionOwnerEntity+
#   InstitutionOwnerEntity   = InstitutionOwner, HealthInstitutionEntity*
#   HealthInstitutionEntity  = HealthInstitution, OrganizationalUnitEntity*
#   OrganizationalUnitEntity = OrganizationalUnit, OrganizationalUnitEntity*
SORTREE = f"{{{NS}}}SorTree"
CREATED_AT_TIME = f"{{{NS}}}CreatedAtTime"
SNAPSHOT_DATE = f"{{{NS}}}SnapshotDate"
IOE = f"{{{NS}}}InstitutionOwnerEntity"
HIE = f"{{{NS}}}HealthInstitutionEntity"
OUE = f"{{{NS}}}OrganizationalUnitEntity"
IO = f"{{{NS}}}InstitutionOwner"
HI = f"{{{NS}}}HealthInstitution"
OU = f"{{{NS}}}OrganizationalUnit"

XSI_ATTRIBUTES = frozenset({f"{{{XSI}}}schemaLocation", f"{{{XSI}}}noNamespaceSchemaLocation"})
"""Attributes any element may carry (schema location hints)."""
