"""Regions, municipalities and postcodes: the bundled tables and the look-ups over them."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from opensor.domain import geography
from opensor.domain.errors import InvalidCode, InvalidIdentifier
from opensor.domain.geography import (
    Municipality,
    Postcode,
    Region,
    municipalities,
    municipality,
    postcode,
    postcode_in_municipality,
    postcodes,
    postcodes_of_municipality,
    region,
    regions,
)
from opensor.domain.identifiers import validate_postcode

# The number of municipalities per region since the 2007 reform.
MUNICIPALITIES_PER_REGION = {"1081": 11, "1082": 19, "1083": 22, "1084": 29, "1085": 17}


# ---------------------------------------------------------------------------------------------
# Regions
# ---------------------------------------------------------------------------------------------


class TestRegions:
    def test_the_five_regions(self) -> None:
        assert [(r.code, r.name) for r in regions()] == [
            ("1081", "Region Nordjylland"),
            ("1082", "Region Midtjylland"),
            ("1083", "Region Syddanmark"),
            ("1084", "Region Hovedstaden"),
            ("1085", "Region Sjælland"),
        ]

    @pytest.mark.parametrize("code", ["1084", 1084, " 1084 "])
    def test_lookup_by_str_or_int(self, code: str | int) -> None:
        assert region(code).name == "Region Hovedstaden"

    @pytest.mark.parametrize("code", ["1080", "1086", 0, "Hovedstaden", "10844"])
    def test_unknown_region_is_an_error(self, code: str | int) -> None:
        with pytest.raises(InvalidCode, match=r"^unknown region code"):
            region(code)

    def test_boxes_are_well_formed(self) -> None:
        for r in regions():
            assert 54.5 <= r.min_lat < r.max_lat <= 57.8
            assert 8.0 <= r.min_lon < r.max_lon <= 15.2

    @pytest.mark.parametrize(
        ("code", "place", "lat", "lon"),
        [
            ("1081", "Skagen", 57.7209, 10.5839),
            ("1081", "Læsø, Byrum", 57.2570, 11.0000),
            ("1082", "Anholt", 56.7140, 11.5130),
            ("1082", "Hvide Sande", 56.0040, 8.1290),
            ("1083", "Blåvand", 55.5580, 8.0830),
            ("1083", "Marstal", 54.8530, 10.5170),
            ("1084", "Rønne, Bornholm", 55.1000, 14.7060),
            ("1084", "Christiansø", 55.3200, 15.1870),
            ("1084", "Gilleleje", 56.1230, 12.3110),
            ("1085", "Gedser", 54.5760, 11.9290),
            ("1085", "Møns Klint", 54.9660, 12.5430),
            ("1085", "Sejerø", 55.8810, 11.1520),
        ],
    )
    def test_extreme_places_lie_in_their_region_box(
        self, code: str, place: str, lat: float, lon: float
    ) -> None:
        assert region(code).contains(lat, lon), place

    def test_contains_includes_the_edges_and_nothing_outside(self) -> None:
        r = Region("9999", "Test", 1.0, 2.0, 3.0, 4.0)
        assert r.contains(1.0, 3.0)
        assert r.contains(2.0, 4.0)
        assert not r.contains(0.99, 3.5)
        assert not r.contains(1.5, 4.01)

    def test_hamburg_and_oslo_are_in_no_region(self) -> None:
        for lat, lon in [(53.5511, 9.9937), (59.9139, 10.7522)]:
            assert not any(r.contains(lat, lon) for r in regions())

    def test_records_are_frozen(self) -> None:
        with pytest.raises(dataclasses.FrozenInstanceError):
            region("1081").name = "x"  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# Municipalities
# ---------------------------------------------------------------------------------------------


class TestMunicipalities:
    def test_denmark_has_98_municipalities(self) -> None:
        assert len(municipalities("DK")) == 98

    def test_codes_are_unique_and_four_digits(self) -> None:
        codes = [m.code for m in municipalities()]
        assert len(codes) == len(set(codes))
        assert all(len(c) == 4 and c.isdigit() for c in codes)
        assert codes == sorted(codes)

    def test_municipalities_per_region(self) -> None:
        assert Counter(m.region_code for m in municipalities("DK")) == MUNICIPALITIES_PER_REGION

    def test_every_danish_centroid_lies_in_its_region_box(self) -> None:
        for m in municipalities("DK"):
            assert m.region_code is not None
            assert region(m.region_code).contains(m.latitude, m.longitude), m

    @pytest.mark.parametrize(
        ("code", "name", "region_code"),
        [
            ("0101", "København", "1084"),
            ("0147", "Frederiksberg", "1084"),
            ("0190", "Furesø", "1084"),
            ("0265", "Roskilde", "1085"),
            ("0270", "Gribskov", "1084"),
            ("0400", "Bornholm", "1084"),
            ("0461", "Odense", "1083"),
            ("0615", "Horsens", "1082"),
            ("0621", "Kolding", "1083"),
            ("0751", "Aarhus", "1082"),
            ("0773", "Morsø", "1081"),
            ("0779", "Skive", "1082"),
            ("0851", "Aalborg", "1081"),
            ("0860", "Hjørring", "1081"),
        ],
    )
    def test_known_municipalities(self, code: str, name: str, region_code: str) -> None:
        m = municipality(code)
        assert (m.name, m.region_code, m.country) == (name, region_code, "DK")

    @pytest.mark.parametrize("code", ["101", 101, "0101", " 0101 "])
    def test_lookup_pads_to_four_digits(self, code: str | int) -> None:
        assert municipality(code).code == "0101"

    @pytest.mark.parametrize("code", ["0102", "0411", "0999", 0, "København", "01010", True, 1.5])
    def test_unknown_municipality_is_an_error(self, code: object) -> None:
        with pytest.raises(InvalidCode, match=r"^unknown municipality code"):
            municipality(code)  # type: ignore[arg-type]

    def test_greenland_municipalities(self) -> None:
        greenland = municipalities("GL")
        assert [m.code for m in greenland] == ["0955", "0956", "0957", "0958", "0959", "0960"]
        assert municipality("0956").name == "Kommuneqarfik Sermersooq"
        for m in greenland:
            assert m.region_code is None
            assert 59.0 < m.latitude < 84.0
            assert -74.0 < m.longitude < -11.0

    def test_country_filter(self) -> None:
        assert len(municipalities()) == 98 + 6
        assert municipalities("dk") == municipalities("DK")
        assert municipalities("FO") == ()

    def test_is_a_plain_record(self) -> None:
        assert municipality(400) == Municipality(
            "0400",
            "Bornholm",
            "1084",
            "DK",
            municipality(400).latitude,
            municipality(400).longitude,
        )


# ---------------------------------------------------------------------------------------------
# Postcodes
# ---------------------------------------------------------------------------------------------


class TestPostcodeTable:
    def test_keys_are_unique_per_country(self) -> None:
        keys = [(p.country, p.code) for p in postcodes()]
        assert len(keys) == len(set(keys))

    def test_every_code_is_valid_for_its_country(self) -> None:
        for p in postcodes():
            assert validate_postcode(p.code, p.country) == p.code

    def test_every_named(self) -> None:
        assert all(p.name.strip() == p.name and p.name for p in postcodes())

    def test_every_municipality_reference_exists_and_is_of_the_same_country(self) -> None:
        for p in postcodes():
            assert len(p.municipality_codes) == len(set(p.municipality_codes)), p
            for code in p.municipality_codes:
                assert municipality(code).country == p.country, p

    def test_every_danish_postcode_has_a_municipality(self) -> None:
        assert all(p.municipality_codes for p in postcodes("DK"))

    def test_every_danish_municipality_has_a_postcode(self) -> None:
        for m in municipalities("DK"):
            assert postcodes_of_municipality(m.code), m

    def test_sizes(self) -> None:
        assert len(postcodes("DK")) > 1000  # with central Copenhagen's street postcodes
        assert len(postcodes("GL")) >= 30
        assert len(postcodes("FO")) >= 100

    def test_order_is_country_then_number(self) -> None:
        listed = postcodes()
        assert [p.country for p in listed[:1]] == ["DK"]
        assert listed[0].code == "0800"
        assert [p.code for p in postcodes("FO")][:3] == ["100", "110", "160"]

    def test_faroese_postcodes_have_no_municipality(self) -> None:
        assert all(p.municipality_codes == () for p in postcodes("FO"))


class TestPostcodeLookup:
    @pytest.mark.parametrize(
        ("code", "name", "first_municipality"),
        [
            ("1000", "København K", "0101"),
            ("1550", "København V", "0101"),
            ("1850", "Frederiksberg C", "0147"),
            ("2100", "København Ø", "0101"),
            ("2450", "København SV", "0101"),
            ("3250", "Gilleleje", "0270"),
            ("3500", "Værløse", "0190"),
            ("3700", "Rønne", "0400"),
            ("4000", "Roskilde", "0265"),
            ("4600", "Køge", "0259"),
            ("5000", "Odense C", "0461"),
            ("6000", "Kolding", "0621"),
            ("7100", "Vejle", "0630"),
            ("8000", "Aarhus C", "0751"),
            ("8700", "Horsens", "0615"),
            ("9000", "Aalborg", "0851"),
            ("9990", "Skagen", "0813"),
        ],
    )
    def test_main_postcodes(self, code: str, name: str, first_municipality: str) -> None:
        found = postcode(code)
        assert found is not None
        assert (found.name, found.country, found.municipality_codes[0]) == (
            name,
            "DK",
            first_municipality,
        )

    def test_int_and_padded_input(self) -> None:
        assert postcode(800) == postcode("0800")
        assert postcode(" 4000 ") == postcode("4000")

    def test_greenland_and_faroe(self) -> None:
        nuuk = postcode("3900", "GL")
        assert nuuk == Postcode("3900", "Nuuk", "GL", ("0956",))
        torshavn = postcode("0100", "FO")
        assert torshavn == Postcode("100", "Tórshavn", "FO", ())

    def test_greenland_postcode_asked_for_as_danish_is_answered_from_greenland(self) -> None:
        found = postcode("3900")
        assert found is not None
        assert found.country == "GL"

    def test_valid_but_unknown_postcode_is_none(self) -> None:
        assert postcode("9999") is None
        assert postcode("3999", "GL") is None
        assert postcode("999", "FO") is None

    @pytest.mark.parametrize(("code", "country"), [("0100", "DK"), ("21000", "DK"), ("2100", "SE")])
    def test_invalid_postcode_is_an_error(self, code: str, country: str) -> None:
        with pytest.raises(InvalidIdentifier, match=r"^invalid postcode"):
            postcode(code, country)


class TestPostcodeInMunicipality:
    @pytest.mark.parametrize(
        ("code", "municipality_code"),
        [
            ("3250", "0270"),
            ("3500", "0190"),
            ("3500", "0240"),  # Værløse's area reaches into Egedal
            ("4000", "0265"),
            ("4600", "0259"),
            ("2000", "0147"),
            ("1000", 101),
            ("2770", "185"),
        ],
    )
    def test_inside(self, code: str, municipality_code: str | int) -> None:
        assert postcode_in_municipality(code, municipality_code) is True

    @pytest.mark.parametrize(
        ("code", "municipality_code"),
        [("4000", "0101"), ("3250", "0217"), ("9000", "0461"), ("1850", "0101")],
    )
    def test_outside(self, code: str, municipality_code: str) -> None:
        assert postcode_in_municipality(code, municipality_code) is False

    def test_unknown_postcode_is_none(self) -> None:
        assert postcode_in_municipality("9999", "0851") is None

    def test_greenland(self) -> None:
        assert postcode_in_municipality("3952", "0960", "GL") is True
        assert postcode_in_municipality("3952", "0956", "GL") is False
        assert postcode_in_municipality("3970", "0960", "GL") is False  # Pituffik: none

    def test_unknown_municipality_is_an_error(self) -> None:
        with pytest.raises(InvalidCode, match=r"^unknown municipality code"):
            postcode_in_municipality("4000", "0102")

    def test_invalid_postcode_is_an_error(self) -> None:
        with pytest.raises(InvalidIdentifier, match=r"^invalid postcode"):
            postcode_in_municipality("400", "0265")


class TestPostcodesOfMunicipality:
    def test_gribskov(self) -> None:
        codes = [p.code for p in postcodes_of_municipality("0270")]
        assert {"3200", "3210", "3220", "3230", "3250"} <= set(codes)
        assert codes == sorted(codes)

    def test_copenhagen_includes_the_inner_city_street_postcodes(self) -> None:
        codes = {p.code for p in postcodes_of_municipality(101)}
        assert {"1000", "1473", "1500", "1799", "2100", "2200", "2300", "2400", "2450"} <= codes
        assert "1850" not in codes

    def test_frederiksberg(self) -> None:
        codes = {p.code for p in postcodes_of_municipality("147")}
        assert {"1800", "1974", "2000"} <= codes

    def test_unknown_municipality_is_an_error(self) -> None:
        with pytest.raises(InvalidCode):
            postcodes_of_municipality("0999")


def test_tables_are_loaded_once() -> None:
    # The loaders are cached: the same objects come back.
    assert geography._municipalities() is geography._municipalities()
    assert geography._postcodes() is geography._postcodes()
    assert municipality("0101") is municipality(101)
