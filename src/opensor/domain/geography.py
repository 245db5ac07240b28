"""Regions, municipalities and postcodes of Denmark, Greenland and the Faroe Islands.

The tables are bundled as CSV files in ``opensor/domain/data`` (UTF-8, comma-separated, with a
header) and read once, on first use.

``regions.csv``
    The five Danish regions (codes 1081-1085) with a bounding box each. The boxes are drawn
    by hand around each region's land and islands, padded by a few kilometres; they are meant
    for plausibility checks of coordinates ("is this unit of Region Sjælland anywhere near
    it?"), not for deciding borders: neighbouring boxes overlap. Region Hovedstaden's box
    includes Bornholm and therefore also covers the sea and part of southern Sweden between.

``municipalities.csv``
    The 98 Danish municipalities (kommuner) since 2007, with the official municipality code
    written as 4 digits (``"0101"`` København … ``"0860"`` Hjørring), the region and an
    approximate position (town hall or main town; good to a few kilometres). Names are the
    short names the Danish address register uses (``"Nordfyns"``, ``"Vesthimmerlands"``).
    Christiansø (code 0411) is not a municipality (the state administers it) and is not
    listed; :func:`municipality` raises for ``"0411"``.

    Greenland's municipalities are listed with country ``GL`` and no region. The codes follow
    the Danish/Greenlandic CPR municipality codes: 0955 Kommune Kujalleq, 0956 Kommuneqarfik
    Sermersooq, 0957 Qeqqata Kommunia, 0958 Qaasuitsup Kommunia, 0959 Kommune Qeqertalik,
    0960 Avannaata Kommunia. Qaasuitsup (0958) was split into Qeqertalik and Avannaata on
    1 January 2018; it is kept because older register data refers to it. Areas outside any
    municipality (Pituffik, the national park; code 0961 in CPR) are not listed. Positions are
    the administrative seats (Qaqortoq, Nuuk, Sisimiut, Ilulissat, Aasiaat, Ilulissat).

``postcodes.csv``
    The Danish postcodes in use for addresses (including the street-level codes of central
    Copenhagen and Frederiksberg C, but not the business and PO-box-only codes), the
    Greenlandic 39xx codes and the Faroese 3-digit codes. ``municipality_codes`` lists, space
    separated, every municipality a postcode area reaches, the post town's own municipality
    first. The relation follows Post Nord's public postcode file (October 2020 edition, which
    links each postcode to every municipality it reaches), checked by hand; two links in it
    that contradict geography were left out (4600 Køge–Holbæk, 6430 Nordborg–Kolding), as was
    Christiansø's share of 3760 Gudhjem. Greenlandic postcodes outside any municipality
    (Pituffik, Station Nord, Mestersvig, Danmarkshavn, Sirius) and Constable Pynt, whose
    municipality we could not confirm, have none. Faroese municipalities are not modelled, so
    Faroese postcodes have none either. Postcodes change rarely, but they do change: refresh
    the table from the address register when one is added.

Postcodes that are valid but missing from the bundled table are *unknown*, not wrong:
:func:`postcode` answers ``None`` and :func:`postcode_in_municipality` answers ``None``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from opensor.domain.errors import InvalidCode
from opensor.domain.identifiers import validate_postcode

__all__ = [
    "Municipality",
    "Postcode",
    "Region",
    "municipalities",
    "municipality",
    "postcode",
    "postcode_in_municipality",
    "postcodes",
    "postcodes_of_municipality",
    "region",
    "regions",
]


@dataclass(frozen=True, slots=True)
class Region:
    """A Danish region with a rough bounding box (WGS84 degrees) around its territory."""

    code: str
    name: str
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point lies in the region's bounding box (edges included)."""
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass(frozen=True, slots=True)
class Municipality:
    """A municipality: 4-digit code, name, region (``None`` outside Denmark) and position."""

    code: str
    name: str
    region_code: str | None
    country: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Postcode:
    """A postcode with its post town and the municipalities its area reaches.

    ``municipality_codes`` starts with the post town's municipality; it is empty where no
    municipality is known (the Faroe Islands, Greenland's areas outside municipalities).
    """

    code: str
    name: str
    country: str
    municipality_codes: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _read_table(filename: str) -> list[dict[str, str]]:
    text = resources.files("opensor.domain").joinpath("data", filename).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def _regions() -> dict[str, Region]:
    return {
        row["code"]: Region(
            code=row["code"],
            name=row["name"],
            min_lat=float(row["min_lat"]),
            max_lat=float(row["max_lat"]),
            min_lon=float(row["min_lon"]),
            max_lon=float(row["max_lon"]),
        )
        for row in _read_table("regions.csv")
    }


@cache
def _municipalities() -> dict[str, Municipality]:
    return {
        row["code"]: Municipality(
            code=row["code"],
            name=row["name"],
            region_code=row["region_code"] or None,
            country=row["country"],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
        )
        for row in _read_table("municipalities.csv")
    }


@cache
def _postcodes() -> dict[tuple[str, str], Postcode]:
    return {
        (row["country"], row["code"]): Postcode(
            code=row["code"],
            name=row["name"],
            country=row["country"],
            municipality_codes=tuple(row["municipality_codes"].split()),
        )
        for row in _read_table("postcodes.csv")
    }


def _normalize_code(code_list: str, code: object, width: int) -> str:
    """A region or municipality code as a zero-padded string, or :class:`InvalidCode`."""
    if isinstance(code, bool):
        raise InvalidCode(code_list, code, "must be a number or a string of digits")
    if isinstance(code, int):
        text = str(code)
    elif isinstance(code, str):
        text = code.strip()
    else:
        raise InvalidCode(code_list, code, f"must be a str or an int, not {type(code).__name__}")
    if not (text.isascii() and text.isdigit()) or len(text) > width:
        raise InvalidCode(code_list, code, f"must be at most {width} digits")
    return text.zfill(width)


# --------------------------------------------------------------------------------------------
# Regions and municipalities
# --------------------------------------------------------------------------------------------


def regions() -> tuple[Region, ...]:
    """The five Danish regions, by code."""
    return tuple(sorted(_regions().values(), key=lambda r: r.code))


def region(code: str | int) -> Region:
    """The region with this code (``"1084"`` or ``1084``).

    Raises:
        InvalidCode: no such region.

    """
    found = _regions().get(_normalize_code("region", code, 4))
    if found is None:
        raise InvalidCode("region", code)
    return found


def municipalities(country: str | None = None) -> tuple[Municipality, ...]:
    """All municipalities, by code; only those of ``country`` (``"DK"``, ``"GL"``) if given."""
    wanted = country.strip().upper() if country is not None else None
    return tuple(
        m
        for m in sorted(_municipalities().values(), key=lambda m: m.code)
        if wanted is None or m.country == wanted
    )


def municipality(code: str | int) -> Municipality:
    """The municipality with this code; ``"101"``, ``101`` and ``"0101"`` are all København.

    Raises:
        InvalidCode: no such municipality.

    """
    found = _municipalities().get(_normalize_code("municipality", code, 4))
    if found is None:
        raise InvalidCode("municipality", code)
    return found


# --------------------------------------------------------------------------------------------
# Postcodes
# --------------------------------------------------------------------------------------------


def postcodes(country: str | None = None) -> tuple[Postcode, ...]:
    """The bundled postcodes (DK, then GL, then FO, each by number), or those of ``country``."""
    order = {"DK": 0, "GL": 1, "FO": 2}
    wanted = country.strip().upper() if country is not None else None
    return tuple(
        p
        for p in sorted(_postcodes().values(), key=lambda p: (order[p.country], int(p.code)))
        if wanted is None or p.country == wanted
    )


def postcode(code: str | int, country: str = "DK") -> Postcode | None:
    """The bundled postcode, or ``None`` when the code is valid but not in the table.

    Greenland's postcodes belong to the Danish 39xx block, so a ``39xx`` code asked for as
    ``DK`` (as in addresses that carry no country) is answered from the Greenland table; the
    result's ``country`` is then ``"GL"``.

    Raises:
        InvalidIdentifier: the postcode is not valid for the country (see
            :func:`~opensor.domain.identifiers.validate_postcode`).

    """
    country = country.strip().upper() if isinstance(country, str) else country
    text = validate_postcode(code, country)
    table = _postcodes()
    found = table.get((country, text))
    if found is None and country == "DK" and text.startswith("39"):
        found = table.get(("GL", text))
    return found


def postcode_in_municipality(
    code: str | int, municipality_code: str | int, country: str = "DK"
) -> bool | None:
    """Whether the postcode's area reaches into the municipality.

    Returns:
        ``True`` or ``False``, or ``None`` when the postcode is valid but not in the bundled
        table (unknown).

    Raises:
        InvalidIdentifier: the postcode is invalid.
        InvalidCode: the municipality is unknown.

    """
    wanted = municipality(municipality_code).code
    found = postcode(code, country)
    if found is None:
        return None
    return wanted in found.municipality_codes


def postcodes_of_municipality(municipality_code: str | int) -> tuple[Postcode, ...]:
    """The bundled postcodes whose areas reach into the municipality, by number.

    Raises:
        InvalidCode: the municipality is unknown.

    """
    wanted = municipality(municipality_code).code
    return tuple(p for p in postcodes() if wanted in p.municipality_codes)
