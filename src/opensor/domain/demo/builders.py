"""Building blocks of demo units: identifiers, places, contact data, codes, location numbers.

Identifier blocks (chosen so that demo data can never be mistaken for, or collide with, the
real register's numbers):

* **SOR-IDs** use items from :data:`SOR_ITEM_START` (10,000,000) upwards, giving 18-digit IDs;
  the real SOR's items are far smaller (its IDs have 11-15 digits).
* **GLNs** start with :data:`GLN_PREFIX` ``579009``: GS1 Denmark's ``57900`` followed by the
  demo block ``9`` and a 6-digit serial. SOR's own location numbers lie in ``5790000`` -
  ``5790002``; the ``579009`` block is not used by them.
* **CVR numbers** are valid (modulus 11) but arbitrary; **provider numbers** count up from
  ``010001``; **SHAK** hospital codes are the region's digit plus a serial (``1001`` …).
"""

from __future__ import annotations

import random
import re
import unicodedata

from opensor.domain.demo.names import FAROE_STREETS, GREENLAND_STREETS, STREET_NAMES
from opensor.domain.errors import InvalidIdentifier
from opensor.domain.geography import (
    Municipality,
    Postcode,
    Region,
    municipalities,
    postcodes,
    postcodes_of_municipality,
    regions,
)
from opensor.domain.identifiers import (
    make_gln,
    make_sor_id,
    normalize_phone,
    validate_cvr,
    validate_provider_number,
    validate_shak,
)
from opensor.domain.records import Address, Contact

__all__ = [
    "GLN_PREFIX",
    "INSTITUTION_TYPES",
    "OWNER_TYPES",
    "SOR_ITEM_START",
    "UNIT_TYPES",
    "Identifiers",
    "Places",
    "ShakBlock",
    "renamed",
    "slug",
]

SOR_ITEM_START = 10_000_000
"""The first SOR-ID item of demo units (``make_sor_id`` makes 18-digit IDs of it)."""
GLN_PREFIX = "579009"
"""The first six digits of every demo GLN: ``57900`` + demo block ``9``."""

OWNER_TYPES = {
    "region": "550881000005103",
    "municipality": "547211000005108",
    "state": "398070004",
    "private": "550891000005100",
}
INSTITUTION_TYPES = {
    "hospital": "22232009",
    "gp": "394761003",
    "specialist": "550671000005100",
    "dentist": "550681000005102",
    "physiotherapy": "547011000005103",
    "chiropractor": "550641000005106",
    "pharmacy": "264372000",
    "pharmacy_branch": "557501000005109",
    "nursing_home": "42665001",
    "health_administration": "554041000005106",
    "home_care": "550621000005101",
    "rehabilitation": "546811000005109",
}
UNIT_TYPES = {
    "administrative": "550811000005108",
    "clinical": "550851000005109",
    "service": "550821000005102",
    "acute": "550871000005101",
    "intensive": "309904001",
}

_SHAK_REGION_DIGIT = {"1081": "8", "1082": "6", "1083": "5", "1084": "1", "1085": "3"}
_SHAK_SECTION_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class Identifiers:
    """Hands out fresh identifiers of every kind, each unique within one demo register."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._item = SOR_ITEM_START - 1
        self._gln = 0
        self._cvr = 3_000_000
        self._provider = 10_000
        self._pharmacy = 100
        self._hospital: dict[str, int] = {}

    def sor_id(self) -> int:
        """The next SOR-ID."""
        self._item += 1
        return make_sor_id(self._item)

    def gln(self) -> str:
        """The next GLN of the demo block."""
        self._gln += 1
        return make_gln(f"{GLN_PREFIX}{self._gln:06d}")

    def cvr(self) -> str:
        """A new valid CVR number."""
        while True:
            self._cvr += self._rng.randint(1, 9)
            for check in "0123456789":
                try:
                    return validate_cvr(f"{self._cvr}{check}")
                except InvalidIdentifier:
                    continue

    def provider_number(self) -> str:
        """A new provider number (ydernummer), 6 digits zero-padded."""
        self._provider += self._rng.randint(1, 2)
        return validate_provider_number(self._provider)

    def pharmacy_number(self) -> int:
        """A new pharmacy number (the part of a pharmacy id before the comma)."""
        self._pharmacy += 1
        return self._pharmacy

    def hospital_shak(self, region_code: str) -> str:
        """A new 4-character SHAK hospital code in the region's block."""
        serial = self._hospital.get(region_code, 0) + 1
        self._hospital[region_code] = serial
        return validate_shak(f"{_SHAK_REGION_DIGIT[region_code]}{serial:03d}")


class ShakBlock:
    """The department and section codes of one hospital."""

    def __init__(self, hospital: str) -> None:
        self.hospital = hospital
        self._department = 0
        self._sections: dict[str, int] = {}

    def department(self) -> str:
        """The next department code (hospital code + 2 digits)."""
        self._department += 1
        return validate_shak(f"{self.hospital}{self._department:02d}")

    def section(self, department: str) -> str:
        """The next section code of ``department`` (+ 1 digit or letter)."""
        index = self._sections.get(department, 0)
        self._sections[department] = index + 1
        return validate_shak(department + _SHAK_SECTION_CHARS[index % len(_SHAK_SECTION_CHARS)])


_TRANSLITERATION = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ð": "d", "&": "og"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """A domain-name-safe form of ``text`` (``"Lægerne Vestergade"`` → ``"laegernevestergade"``)."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLITERATION))
    ascii_text = folded.encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("", ascii_text)[:40] or "demo"


_RENAMES = (
    ("Afdeling", "Center"),
    ("Plejehjemmet", "Plejecenter"),
    ("Lægerne", "Lægehuset"),
    ("Tandlægerne", "Tandklinikken"),
    ("Klinik", "Center"),
    ("Sygehus", "Hospital"),
    ("Team", "Gruppe"),
    ("Afsnit", "Enhed"),
)


def renamed(name: str, rng: random.Random) -> str:
    """A plausible new name for a unit called ``name`` (never the same)."""
    for old, new in _RENAMES:
        if old in name:
            return name.replace(old, new, 1)
    return f"{name} {rng.choice(('Nord', 'Syd', 'Øst', 'Vest', 'Centrum', 'Midt'))}"


class Places:
    """Addresses, coordinates and telephone numbers inside real municipalities."""

    def __init__(self) -> None:
        self.regions: dict[str, Region] = {r.code: r for r in regions()}
        self.municipalities: dict[str, Municipality] = {m.code: m for m in municipalities()}
        self.danish: tuple[Municipality, ...] = municipalities("DK")
        self._postcodes: dict[str, tuple[Postcode, ...]] = {}
        cumulative, total = [], 0
        for m in self.danish:
            total += len(self.postcodes_of(m.code))
            cumulative.append(total)
        self._cumulative = cumulative
        self._by_town: dict[tuple[str, str], Postcode] = {}
        for p in postcodes():
            self._by_town.setdefault((p.country, p.name), p)

    def postcodes_of(self, code: str) -> tuple[Postcode, ...]:
        """The municipality's postcodes, those whose post town lies in it first."""
        found = self._postcodes.get(code)
        if found is None:
            every = postcodes_of_municipality(code)
            own = tuple(p for p in every if p.municipality_codes[0] == code)
            found = own or every
            self._postcodes[code] = found
        return found

    def pick_municipality(self, rng: random.Random) -> Municipality:
        """A Danish municipality, larger ones (more postcodes) more likely."""
        return rng.choices(self.danish, cum_weights=self._cumulative)[0]

    def region_of(self, municipality_code: str) -> str | None:
        """The region code of a municipality (``None`` outside Denmark)."""
        return self.municipalities[municipality_code].region_code

    def address(
        self,
        rng: random.Random,
        municipality_code: str,
        near: Address | None = None,
        *,
        street: str | None = None,
    ) -> Address:
        """A street address in the municipality, near its centre or near ``near``."""
        m = self.municipalities[municipality_code]
        postcode = rng.choice(self.postcodes_of(municipality_code))
        if near is not None and near.latitude is not None and near.longitude is not None:
            lat = near.latitude + rng.uniform(-0.004, 0.004)
            lon = near.longitude + rng.uniform(-0.007, 0.007)
        else:
            lat = m.latitude + rng.uniform(-0.03, 0.03)
            lon = m.longitude + rng.uniform(-0.05, 0.05)
        if m.region_code is not None:
            box = self.regions[m.region_code]
            lat = min(max(lat, box.min_lat + 0.001), box.max_lat - 0.001)
            lon = min(max(lon, box.min_lon + 0.001), box.max_lon - 0.001)
        return Address(
            street_name=street or rng.choice(STREET_NAMES),
            building=_building(rng),
            postcode=postcode.code,
            district=postcode.name,
            country=m.country,
            latitude=round(lat, 6),
            longitude=round(lon, 6),
        )

    def town_address(
        self, rng: random.Random, country: str, town: str, lat: float, lon: float
    ) -> tuple[Address, str | None]:
        """An address in a Greenlandic or Faroese town, and its municipality (if known)."""
        postcode = self._by_town.get((country, town))
        if postcode is None:
            postcode = next(p for p in postcodes(country))
        address = Address(
            street_name=rng.choice(GREENLAND_STREETS if country == "GL" else FAROE_STREETS),
            building=_building(rng),
            postcode=postcode.code,
            district=postcode.name,
            country=country,
            latitude=round(lat + rng.uniform(-0.004, 0.004), 6),
            longitude=round(lon + rng.uniform(-0.008, 0.008), 6),
        )
        return address, (postcode.municipality_codes[0] if postcode.municipality_codes else None)

    @staticmethod
    def phone(rng: random.Random, country: str, region_code: str | None) -> str:
        """A telephone number valid for the country (Danish ones by the region's digits)."""
        if country == "DK":
            first = rng.choice(_PHONE_FIRST_DIGITS.get(region_code or "", "3456789"))
            digits = first + "".join(rng.choice("0123456789") for _ in range(7))
            raw = " ".join(digits[i : i + 2] for i in range(0, 8, 2))
        else:
            raw = "3" + "".join(rng.choice("0123456789") for _ in range(5))
        return normalize_phone(raw, country)

    def contact(
        self,
        rng: random.Random,
        name: str,
        country: str,
        region_code: str | None,
        *,
        email: bool = True,
        website: bool = True,
        domain: str | None = None,
    ) -> Contact:
        """Telephone, and e-mail/website on a ``.dk`` domain derived from ``name``."""
        host = domain or f"{slug(name)}.dk"
        return Contact(
            phone=self.phone(rng, country, region_code),
            email=f"{rng.choice(('kontakt', 'post', 'info'))}@{host}" if email else None,
            website=f"https://www.{host}" if website else None,
        )


_PHONE_FIRST_DIGITS = {"1081": "9", "1082": "78", "1083": "67", "1084": "34", "1085": "45"}


def _building(rng: random.Random) -> str:
    number = str(rng.randint(1, 120))
    return number + rng.choice("ABC") if rng.random() < 0.08 else number
