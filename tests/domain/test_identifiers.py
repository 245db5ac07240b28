"""Identifiers and check digits: SOR-ID, GLN, SHAK, ydernummer, CVR, postcodes, telephones."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from opensor.domain.errors import DomainError, InvalidIdentifier
from opensor.domain.identifiers import (
    SOR_NAMESPACE,
    SOR_PARTITION,
    format_postcode,
    gs1_check_digit,
    make_gln,
    make_sor_id,
    next_free_item,
    normalize_phone,
    phone_e164,
    shak_hospital,
    shak_parent,
    sor_id_item,
    validate_cvr,
    validate_gln,
    validate_postcode,
    validate_provider_number,
    validate_shak,
    validate_sor_id,
    verhoeff_check_digit,
    verhoeff_is_valid,
)

REAL_SOR_IDS = [
    8341000016002,
    347831000016005,
    8321000016007,
    8331000016009,
    306011000016003,
    306021000016007,
    306031000016009,
]
REAL_GLNS = ["5790000141227", "5790000173624"]

digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=30)
items = st.integers(min_value=1, max_value=99_999_999)


def raises_invalid(kind: str, reason: str) -> pytest.RaisesExc[InvalidIdentifier]:
    """Expect InvalidIdentifier of this kind whose reason contains ``reason``."""
    return pytest.raises(InvalidIdentifier, match=rf"^invalid {kind} .*{reason}")


# ---------------------------------------------------------------------------------------------
# Verhoeff
# ---------------------------------------------------------------------------------------------


class TestVerhoeff:
    def test_textbook_example(self) -> None:
        # The classic worked example: 236 gets check digit 3.
        assert verhoeff_check_digit("236") == "3"
        assert verhoeff_is_valid("2363")
        assert not verhoeff_is_valid("2364")

    @pytest.mark.parametrize("sor_id", REAL_SOR_IDS)
    def test_every_real_sor_id_carries_a_valid_verhoeff_digit(self, sor_id: int) -> None:
        assert verhoeff_is_valid(str(sor_id))
        assert verhoeff_check_digit(str(sor_id)[:-1]) == str(sor_id)[-1]

    @given(digit_strings)
    def test_appending_the_check_digit_makes_a_valid_number(self, digits: str) -> None:
        assert verhoeff_is_valid(digits + verhoeff_check_digit(digits))

    @given(digit_strings, st.data())
    def test_detects_every_single_digit_change(self, digits: str, data: st.DataObject) -> None:
        number = digits + verhoeff_check_digit(digits)
        position = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
        replacement = data.draw(
            st.sampled_from("0123456789").filter(lambda d: d != number[position])
        )
        changed = number[:position] + replacement + number[position + 1 :]
        assert not verhoeff_is_valid(changed)

    @given(st.text(alphabet="0123456789", min_size=2, max_size=30), st.data())
    def test_detects_every_adjacent_transposition(self, digits: str, data: st.DataObject) -> None:
        number = digits + verhoeff_check_digit(digits)
        position = data.draw(st.integers(min_value=0, max_value=len(number) - 2))
        a, b = number[position], number[position + 1]
        assume(a != b)
        swapped = number[:position] + b + a + number[position + 2 :]
        assert not verhoeff_is_valid(swapped)

    @pytest.mark.parametrize("value", ["", "12a4", "١٢٣", " 123", "12 3"])
    def test_check_digit_rejects_non_digits(self, value: str) -> None:
        with raises_invalid("Verhoeff input", "must be a non-empty string of the digits 0-9"):
            verhoeff_check_digit(value)

    @pytest.mark.parametrize("value", ["", "0", "5", "abc", "12a4", 8341000016002, None])
    def test_is_valid_is_false_for_what_is_not_a_number_with_check_digit(
        self, value: object
    ) -> None:
        assert verhoeff_is_valid(value) is False  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# SOR-ID
# ---------------------------------------------------------------------------------------------


class TestSorId:
    def test_constants(self) -> None:
        assert SOR_NAMESPACE == "1000016"
        assert SOR_PARTITION == "00"

    @pytest.mark.parametrize("sor_id", REAL_SOR_IDS)
    def test_real_sor_ids_are_valid_as_int_and_as_string(self, sor_id: int) -> None:
        assert validate_sor_id(sor_id) == sor_id
        assert validate_sor_id(str(sor_id)) == sor_id
        assert validate_sor_id(f"  {sor_id}\n") == sor_id

    @pytest.mark.parametrize(
        ("sor_id", "item"),
        [
            (8341000016002, 834),
            (347831000016005, 34783),
            (306011000016003, 30601),
        ],
    )
    def test_item_is_the_part_before_the_namespace(self, sor_id: int, item: int) -> None:
        assert sor_id_item(sor_id) == item
        assert make_sor_id(item) == sor_id

    @given(items)
    def test_make_then_validate_round_trips(self, item: int) -> None:
        sor_id = make_sor_id(item)
        assert validate_sor_id(sor_id) == sor_id
        assert sor_id_item(sor_id) == item
        assert str(sor_id)[-10:-3] == SOR_NAMESPACE
        assert str(sor_id)[-3:-1] == SOR_PARTITION
        assert 11 <= len(str(sor_id)) <= 18

    def test_shortest_and_longest(self) -> None:
        assert len(str(make_sor_id(1))) == 11
        assert len(str(make_sor_id(99_999_999))) == 18

    @given(items, st.data())
    def test_any_single_digit_change_is_rejected(self, item: int, data: st.DataObject) -> None:
        text = str(make_sor_id(item))
        position = data.draw(st.integers(min_value=1, max_value=len(text) - 1))
        replacement = data.draw(st.sampled_from("0123456789").filter(lambda d: d != text[position]))
        with pytest.raises(InvalidIdentifier):
            validate_sor_id(text[:position] + replacement + text[position + 1 :])

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            ("834100001600x", "must contain only the digits 0-9"),
            ("8341-000016002", "must contain only the digits 0-9"),
            ("", "is empty"),
            ("   ", "is empty"),
            (-8341000016002, "must not be negative"),
            (True, "not a bool"),
            (8341000016002.0, "must be a string or an int, not float"),
            ("08341000016002", "must not start with 0"),
            ("1000016002", "must have 11 to 18 digits, has 10"),
            ("1234567891000016003", "must have 11 to 18 digits, has 19"),
            ("8341000017002", "namespace .* is 1000017, expected 1000016"),
            ("8341000016012", r"partition .* is 01, expected 00"),
            ("8341000016003", r"check digit is 3, expected 2 \(Verhoeff\)"),
            (8341000016009, r"check digit is 9, expected 2 \(Verhoeff\)"),
        ],
    )
    def test_rejections_name_the_rule(self, value: object, reason: str) -> None:
        with raises_invalid("SOR-ID", reason) as caught:
            validate_sor_id(value)  # type: ignore[arg-type]
        assert caught.value.kind == "SOR-ID"
        assert caught.value.value == value

    def test_error_is_a_domain_error_and_a_value_error(self) -> None:
        with pytest.raises(DomainError):
            validate_sor_id("8341000016003")
        with pytest.raises(ValueError):
            validate_sor_id("8341000016003")

    @pytest.mark.parametrize(
        ("item", "reason"),
        [
            (0, "must be between 1 and 99999999"),
            (-1, "must be between 1 and 99999999"),
            (100_000_000, "must be between 1 and 99999999"),
            (True, "must be an int"),
            ("834", "must be an int"),
        ],
    )
    def test_make_rejects_items_out_of_range(self, item: object, reason: str) -> None:
        with raises_invalid("SOR-ID item", reason):
            make_sor_id(item)  # type: ignore[arg-type]

    def test_item_of_an_invalid_id_is_an_error(self) -> None:
        with raises_invalid("SOR-ID", "check digit"):
            sor_id_item(8341000016003)


class TestNextFreeItem:
    def test_empty_register_starts_at_item_1(self) -> None:
        assert next_free_item([]) == 1

    def test_one_past_the_largest_item(self) -> None:
        assert next_free_item(REAL_SOR_IDS) == 34784

    def test_gaps_are_never_filled(self) -> None:
        assert next_free_item([make_sor_id(1), make_sor_id(500)]) == 501

    def test_ids_outside_our_namespace_or_invalid_are_ignored(self) -> None:
        other_namespace = 641000055002  # a SNOMED CT id of another namespace (system supplier)
        assert next_free_item([make_sor_id(7), other_namespace, 8341000016003, 42]) == 8

    def test_accepts_any_iterable(self) -> None:
        assert next_free_item(make_sor_id(i) for i in (3, 9, 4)) == 10

    def test_exhausted_namespace_is_an_error(self) -> None:
        with raises_invalid("SOR-ID item", "the namespace is exhausted"):
            next_free_item([make_sor_id(99_999_999)])


# ---------------------------------------------------------------------------------------------
# GS1 / GLN
# ---------------------------------------------------------------------------------------------


class TestGln:
    @pytest.mark.parametrize("gln", REAL_GLNS)
    def test_real_glns_are_valid(self, gln: str) -> None:
        assert validate_gln(gln) == gln
        assert validate_gln(int(gln)) == gln
        assert validate_gln(f" {gln} ") == gln
        assert make_gln(gln[:12]) == gln

    def test_gs1_check_digit_weights_3_1_from_the_right(self) -> None:
        # 579000014122: from the right 2*3 + 2*1 + 1*3 + 4*1 + 1*3 + 0 ... + 9*1 + 7*3 + 5*1 = 53.
        assert gs1_check_digit("579000014122") == "7"
        # A GTIN-8 body: 9638507 → 9*3+6+3*3+8+5*3+0+7*3 = 86 → 4.
        assert gs1_check_digit("9638507") == "4"

    def test_int_gln_is_zero_padded(self) -> None:
        gln = make_gln("000000000001")
        assert validate_gln(int(gln)) == gln

    @given(st.text(alphabet="0123456789", min_size=12, max_size=12))
    def test_make_then_validate_round_trips(self, first12: str) -> None:
        gln = make_gln(first12)
        assert len(gln) == 13
        assert validate_gln(gln) == gln

    @given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.data())
    def test_detects_every_single_digit_change(self, first12: str, data: st.DataObject) -> None:
        gln = make_gln(first12)
        position = data.draw(st.integers(min_value=0, max_value=12))
        replacement = data.draw(st.sampled_from("0123456789").filter(lambda d: d != gln[position]))
        with raises_invalid("GLN", "check digit"):
            validate_gln(gln[:position] + replacement + gln[position + 1 :])

    @given(digit_strings, st.data())
    def test_gs1_detects_single_digit_changes_at_any_length(
        self, digits: str, data: st.DataObject
    ) -> None:
        position = data.draw(st.integers(min_value=0, max_value=len(digits) - 1))
        replacement = data.draw(
            st.sampled_from("0123456789").filter(lambda d: d != digits[position])
        )
        changed = digits[:position] + replacement + digits[position + 1 :]
        assert gs1_check_digit(changed) != gs1_check_digit(digits)

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            ("5790000141228", r"check digit is 8, expected 7 \(GS1 mod-10\)"),
            ("579000014122", "must have 13 digits, has 12"),
            ("57900001412270", "must have 13 digits, has 14"),
            ("579000014122A", "must contain only the digits 0-9"),
            ("", "is empty"),
            (-5790000141227, "must not be negative"),
            (None, "must be a string or an int, not NoneType"),
        ],
    )
    def test_rejections_name_the_rule(self, value: object, reason: str) -> None:
        with raises_invalid("GLN", reason):
            validate_gln(value)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "value", ["57900001412", "5790000141227", "57900001412x", 579000014122]
    )
    def test_make_gln_needs_exactly_12_digits(self, value: object) -> None:
        with raises_invalid("GLN prefix", "must be exactly 12 digits"):
            make_gln(value)  # type: ignore[arg-type]

    @pytest.mark.parametrize("value", ["", "12x"])
    def test_gs1_check_digit_rejects_non_digits(self, value: str) -> None:
        with raises_invalid("GS1 input", "must be a non-empty string of the digits 0-9"):
            gs1_check_digit(value)


# ---------------------------------------------------------------------------------------------
# SHAK
# ---------------------------------------------------------------------------------------------


class TestShak:
    @pytest.mark.parametrize("code", ["2529", "252901", "2529010", "665033L", "1301011"])
    def test_valid_codes(self, code: str) -> None:
        assert validate_shak(code) == code

    def test_normalised_to_upper_case_and_stripped(self) -> None:
        assert validate_shak(" 665033l ") == "665033L"

    @pytest.mark.parametrize(
        ("code", "parent"),
        [("2529010", "252901"), ("252901", "2529"), ("2529", None), ("665033L", "665033")],
    )
    def test_parent_is_one_level_up(self, code: str, parent: str | None) -> None:
        assert shak_parent(code) == parent

    @pytest.mark.parametrize("code", ["2529", "252901", "2529010", "665033l"])
    def test_hospital_is_the_first_four_characters(self, code: str) -> None:
        assert shak_hospital(code) == code[:4].upper()

    @pytest.mark.parametrize(
        ("code", "reason"),
        [
            ("252", "must have 4 .*, 6 .* or 7 .* characters, has 3"),
            ("25290", "has 5"),
            ("25290101", "has 8"),
            ("", "has 0"),
            ("2529-1", "may contain only the digits 0-9 and letters A-Z"),
            ("2529Ø1", "may contain only the digits 0-9 and letters A-Z"),
            (2529, "must be a string .*, not int"),
        ],
    )
    def test_rejections_name_the_rule(self, code: object, reason: str) -> None:
        with raises_invalid("SHAK", reason):
            validate_shak(code)  # type: ignore[arg-type]

    def test_parent_and_hospital_validate_first(self) -> None:
        with raises_invalid("SHAK", "has 5"):
            shak_parent("25290")
        with raises_invalid("SHAK", "has 5"):
            shak_hospital("25290")

    @pytest.mark.reference
    def test_every_code_in_the_real_shak_file_is_valid(self, reference_dir) -> None:  # type: ignore[no-untyped-def]
        path = reference_dir / "shak" / "SHAKCOMPLETE.TXT.gz"
        with gzip.open(path, "rt", encoding="latin-1") as lines:
            codes = [line[3:23].strip() for line in lines if line.strip()]
        assert len(codes) > 10_000
        for code in codes:
            assert validate_shak(code) == code


# ---------------------------------------------------------------------------------------------
# Ydernummer and CVR
# ---------------------------------------------------------------------------------------------


class TestProviderNumber:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (19062, "019062"),
            ("19062", "019062"),
            ("019062", "019062"),
            (" 7 ", "000007"),
            (999999, "999999"),
        ],
    )
    def test_zero_padded_to_six_digits(self, value: str | int, expected: str) -> None:
        assert validate_provider_number(value) == expected

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            ("1234567", "must have at most 6 digits, has 7"),
            (1234567, "must have at most 6 digits, has 7"),
            ("01906A", "must contain only the digits 0-9"),
            ("", "is empty"),
            ("000000", "must not be zero"),
            (-19062, "must not be negative"),
        ],
    )
    def test_rejections_name_the_rule(self, value: str | int, reason: str) -> None:
        with raises_invalid("provider number", reason):
            validate_provider_number(value)


class TestCvr:
    @pytest.mark.parametrize("value", ["24256790", 24256790, "61126228", " 61126228 "])
    def test_valid_numbers(self, value: str | int) -> None:
        assert validate_cvr(value) == str(value).strip()

    @given(st.text(alphabet="0123456789", min_size=7, max_size=7).filter(lambda s: s[0] != "0"))
    def test_exactly_one_last_digit_passes_or_none(self, first7: str) -> None:
        passing = []
        for last in "0123456789":
            try:
                validate_cvr(first7 + last)
            except InvalidIdentifier:
                continue
            passing.append(last)
        assert len(passing) <= 1

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            ("24256791", r"fails the modulus-11 check \(weighted sum 133 leaves remainder 1\)"),
            ("2425679", "must have 8 digits, has 7"),
            ("242567900", "must have 8 digits, has 9"),
            ("04256790", "must not start with 0"),
            ("2425679O", "must contain only the digits 0-9"),
        ],
    )
    def test_rejections_name_the_rule(self, value: str, reason: str) -> None:
        with raises_invalid("CVR number", reason):
            validate_cvr(value)


# ---------------------------------------------------------------------------------------------
# Postcodes
# ---------------------------------------------------------------------------------------------


class TestPostcode:
    @pytest.mark.parametrize(
        ("value", "country", "expected"),
        [
            ("2100", "DK", "2100"),
            (" 3250 ", "DK", "3250"),
            ("0800", "DK", "0800"),
            (800, "DK", "0800"),
            (9990, "DK", "9990"),
            ("9999", "DK", "9999"),
            ("3900", "GL", "3900"),
            (3999, "GL", "3999"),
            ("100", "FO", "100"),
            ("0100", "FO", "100"),
            (100, "FO", "100"),
            ("999", "FO", "999"),
            ("2100", "dk", "2100"),
        ],
    )
    def test_valid(self, value: str | int, country: str, expected: str) -> None:
        assert validate_postcode(value, country) == expected

    def test_country_defaults_to_denmark(self) -> None:
        assert validate_postcode("4000") == "4000"

    @pytest.mark.parametrize(
        ("value", "country", "reason"),
        [
            ("0799", "DK", "a Danish postcode lies in 0800-9999"),
            ("800", "DK", "a postcode in DK has 4 digits, this has 3"),
            ("21000", "DK", "has 4 digits, this has 5"),
            ("21OO", "DK", "must contain only the digits 0-9"),
            ("3800", "GL", "a Greenlandic postcode lies in 3900-3999"),
            ("390", "GL", "a postcode in GL has 4 digits, this has 3"),
            ("099", "FO", "a Faroese postcode lies in 100-999"),
            ("1000", "FO", "a Faroese postcode has 3 digits, this has 4"),
            ("10", "FO", "a Faroese postcode has 3 digits, this has 2"),
            ("2100", "SE", "unknown country 'SE'; expected one of DK, GL, FO"),
        ],
    )
    def test_rejections_name_the_rule(self, value: str, country: str, reason: str) -> None:
        with raises_invalid("postcode", reason):
            validate_postcode(value, country)

    def test_format_pads_faroese_postcodes_on_request(self) -> None:
        assert format_postcode("100", "FO") == "100"
        assert format_postcode("100", "FO", width=4) == "0100"
        assert format_postcode("0100", "FO", width=4) == "0100"
        assert format_postcode("2100", "DK", width=4) == "2100"
        assert format_postcode("3900", "GL") == "3900"

    def test_format_validates_and_refuses_a_too_narrow_width(self) -> None:
        with raises_invalid("postcode", "does not fit in width 3"):
            format_postcode("2100", "DK", width=3)
        with raises_invalid("postcode", "lies in 0800-9999"):
            format_postcode("0100", "DK")


# ---------------------------------------------------------------------------------------------
# Telephone numbers
# ---------------------------------------------------------------------------------------------


class TestPhone:
    @pytest.mark.parametrize(
        ("value", "country", "expected"),
        [
            ("48300204", "DK", "48300204"),
            ("48 30 02 04", "DK", "48300204"),
            ("4830-0204", "DK", "48300204"),
            ("+45 48 30 02 04", "DK", "48300204"),
            ("0045 48300204", "DK", "48300204"),
            ("+4548300204", "GL", "48300204"),
            ("321000", "GL", "+299321000"),
            ("32 10 00", "GL", "+299321000"),
            ("+299 32 10 00", "DK", "+299321000"),
            ("00299321000", "FO", "+299321000"),
            ("311000", "FO", "+298311000"),
            ("+298 31 10 00", "DK", "+298311000"),
            ("(+45) 48.30.02.04", "DK", "48300204"),
        ],
    )
    def test_normalize(self, value: str, country: str, expected: str) -> None:
        assert normalize_phone(value, country) == expected

    @pytest.mark.parametrize(
        ("value", "country", "expected"),
        [
            ("48300204", "DK", "+4548300204"),
            ("+45 4830 0204", "DK", "+4548300204"),
            ("321000", "GL", "+299321000"),
            ("311000", "FO", "+298311000"),
        ],
    )
    def test_e164(self, value: str, country: str, expected: str) -> None:
        assert phone_e164(value, country) == expected

    def test_country_defaults_to_denmark(self) -> None:
        assert normalize_phone("48300204") == "48300204"
        assert phone_e164("48300204") == "+4548300204"

    @pytest.mark.parametrize(
        ("value", "country", "reason"),
        [
            ("4830020", "DK", "a number in DK has 8 digits after the calling code, this has 7"),
            ("483002045", "DK", "a number in DK has 8 digits .*, this has 9"),
            ("+45 4830020", "GL", "a number in DK has 8 digits"),
            ("48300204", "GL", "a number in GL has 6 digits .*, this has 8"),
            ("+299 3210001", "DK", "a number in GL has 6 digits .*, this has 7"),
            ("3110", "FO", "a number in FO has 6 digits"),
            ("+46 8 123 456 78", "DK", r"has a calling code other than \+45"),
            ("48 30 02 O4", "DK", "may contain only digits"),
            ("+45+4830020", "DK", "may contain only digits"),
            ("", "DK", "is empty"),
            (" - ", "DK", "is empty"),
            ("48300204", "SE", "unknown country 'SE'"),
        ],
    )
    def test_rejections_name_the_rule(self, value: str, country: str, reason: str) -> None:
        with raises_invalid("phone number", reason):
            normalize_phone(value, country)

    def test_non_string_is_rejected(self) -> None:
        with raises_invalid("phone number", "must be a string, not int"):
            normalize_phone(48300204)  # type: ignore[arg-type]
