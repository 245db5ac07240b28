"""The SHAK complete file reader: fixed-width latin-1 lines of hospital and department codes."""

from __future__ import annotations

import gzip
import io
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opensor.domain.errors import DomainError
from opensor.domain.shak import (
    KINDS,
    OPEN_END,
    ShakFormatError,
    ShakRecord,
    open_shak,
    read_shak,
)


def shak_line(
    kind: str = "sgh",
    code: str = "1301",
    valid_from: str = "19760401",
    changed: str = "20020627",
    valid_to: str = OPEN_END,
    text: str = "Rigshospitalet",
    tail: str | None = "1011        SKS     3",
) -> bytes:
    """One line as the real file writes it: padded fields, extra columns after 167."""
    line = f"{kind:3}{code:20}{valid_from:8}{changed:8}{valid_to:8}"
    line += f"{text:120}{tail}" if tail is not None else text
    return line.encode("latin-1") + b"\n"


def read_one(line: bytes) -> ShakRecord:
    (record,) = read_shak([line])
    return record


def error_of(*lines: bytes) -> ShakFormatError:
    with pytest.raises(ShakFormatError) as info:
        list(read_shak(lines))
    return info.value


# --- the happy path ---------------------------------------------------------------------------


def test_a_hospital_line_gives_every_field() -> None:
    record = read_one(shak_line())
    assert record == ShakRecord(
        code="1301",
        kind="sgh",
        valid_from=date(1976, 4, 1),
        changed=date(2002, 6, 27),
        valid_to=None,
        text="Rigshospitalet",
        line=1,
    )
    assert record.is_hospital
    assert record.hospital_code == "1301"


def test_a_department_line_with_an_end_date_and_a_letter_in_the_code() -> None:
    record = read_one(
        shak_line("afd", "665033L", "19830101", "19830101", "19941231", "ANÆSTESIAFD. AN")
    )
    assert (record.kind, record.code, record.hospital_code) == ("afd", "665033L", "6650")
    assert record.valid_to == date(1994, 12, 31)
    assert record.text == "ANÆSTESIAFD. AN"
    assert not record.is_hospital


def test_text_is_decoded_as_latin_1() -> None:
    raw = shak_line("afd", "130101", text="Anæstesiologisk Klinik, Ø-afsnit")
    assert b"\xe6" in raw  # æ as one latin-1 byte
    assert read_one(raw).text == "Anæstesiologisk Klinik, Ø-afsnit"


def test_valid_to_is_the_last_valid_day() -> None:
    record = read_one(shak_line("afd", "1301011", "19790101", "19790101", "19821231", "X"))
    assert record.is_valid_on(date(1982, 12, 31))
    assert not record.is_valid_on(date(1983, 1, 1))
    assert not record.is_valid_on(date(1978, 12, 31))
    assert read_one(shak_line()).is_valid_on(date(2400, 1, 1))


def test_a_line_may_end_right_after_the_text() -> None:
    assert read_one(shak_line(text="Kort", tail=None)).text == "Kort"
    no_text = b"sgh1301                197604012002062725000101"  # 47 characters
    assert read_one(no_text).text == ""


def test_columns_after_167_are_ignored() -> None:
    record = read_one(shak_line(text="Rigshospitalet", tail="   whatever 123 ÆØÅ" * 5))
    assert record.text == "Rigshospitalet"


def test_crlf_and_missing_final_newline_are_fine() -> None:
    lines = [shak_line().replace(b"\n", b"\r\n"), shak_line("afd", "130101").rstrip(b"\n")]
    assert [r.code for r in read_shak(lines)] == ["1301", "130101"]


def test_blank_change_date_and_blank_valid_to_are_none() -> None:
    record = read_one(shak_line(changed=" " * 8, valid_to=" " * 8))
    assert record.changed is None
    assert record.valid_to is None


def test_reads_from_a_binary_stream_with_line_numbers() -> None:
    stream = io.BytesIO(shak_line() + shak_line("afd", "130101") + shak_line("afd", "1301011"))
    assert [(r.line, r.code) for r in read_shak(stream)] == [
        (1, "1301"),
        (2, "130101"),
        (3, "1301011"),
    ]


def test_trailing_empty_lines_are_ignored() -> None:
    records = list(read_shak([shak_line(), b"\n", b"   \r\n", b""]))
    assert len(records) == 1


def test_an_empty_file_has_no_records() -> None:
    assert list(read_shak(io.BytesIO(b""))) == []


LATIN1_PRINTABLE = "".join(c for c in map(chr, range(0x20, 0x100)) if c.isprintable())


@st.composite
def shak_records(draw: st.DrawFn) -> ShakRecord:
    kind = draw(st.sampled_from(sorted(KINDS)))
    length = 4 if kind == "sgh" else draw(st.sampled_from([6, 7]))
    code = draw(
        st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=length, max_size=length)
    )
    valid_from = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2499, 12, 31)))
    changed = draw(st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2499, 1, 1)))
    valid_to = draw(st.none() | st.dates(min_value=valid_from, max_value=date(2499, 12, 31)))
    text = draw(st.text(alphabet=LATIN1_PRINTABLE, max_size=120)).strip()
    return ShakRecord(code, kind, valid_from, changed, valid_to, text, line=1)


@given(shak_records())
def test_any_well_formed_line_reads_back_as_written(record: ShakRecord) -> None:
    def fmt(day: date | None, blank: str) -> str:
        return day.strftime("%Y%m%d") if day is not None else blank

    raw = shak_line(
        record.kind,
        record.code,
        fmt(record.valid_from, ""),
        fmt(record.changed, " " * 8),
        fmt(record.valid_to, OPEN_END),
        record.text,
    )
    assert read_one(raw) == record


# --- every error path -------------------------------------------------------------------------


def test_errors_are_domain_errors_that_name_the_line() -> None:
    error = error_of(shak_line(), shak_line(kind="xyz"))
    assert isinstance(error, DomainError)
    assert error.line == 2
    assert str(error).startswith("SHAK file line 2: ")


def test_unknown_record_type_is_an_error_not_skipped() -> None:
    error = error_of(shak_line(kind="opr"))
    assert "columns 1-3 (record type)" in error.message
    assert "'opr'" in error.message
    assert "'sgh' (hospital)" in error.message and "'afd' (department)" in error.message


def test_record_type_is_case_sensitive() -> None:
    assert "'SGH'" in error_of(shak_line(kind="SGH")).message


def test_empty_code() -> None:
    error = error_of(shak_line(code=""))
    assert "columns 4-23 (code): empty" in error.message


def test_code_with_bad_characters() -> None:
    error = error_of(shak_line("afd", "13-01a"))
    assert "columns 4-23 (code)" in error.message
    assert "'13-01a" in error.message


def test_code_with_a_space_inside() -> None:
    assert "columns 4-23 (code)" in error_of(shak_line("afd", "1301 01")).message


@pytest.mark.parametrize(
    ("kind", "code"), [("sgh", "130"), ("sgh", "13010"), ("afd", "13010"), ("afd", "13010101")]
)
def test_code_length_must_fit_the_record_type(kind: str, code: str) -> None:
    error = error_of(shak_line(kind, code))
    assert f"'{code}' has {len(code)} characters" in error.message
    assert "columns 4-23 (code)" in error.message


@pytest.mark.parametrize("bad", ["2006013X", "20060231", "2006-1-1", "00000000", "1976041"])
def test_bad_valid_from(bad: str) -> None:
    error = error_of(shak_line(valid_from=bad))
    assert "columns 24-31 (valid-from date)" in error.message
    assert repr(f"{bad:8}") in error.message


def test_empty_valid_from() -> None:
    error = error_of(shak_line(valid_from=""))
    assert "columns 24-31 (valid-from date): empty" in error.message


def test_bad_change_date() -> None:
    error = error_of(shak_line(changed="20021327"))
    assert "columns 32-39 (change date)" in error.message
    assert "'20021327'" in error.message


def test_bad_valid_to() -> None:
    error = error_of(shak_line(valid_to="2500010A"))
    assert "columns 40-47 (valid-to date)" in error.message
    assert "'2500010A'" in error.message


def test_valid_to_before_valid_from() -> None:
    error = error_of(shak_line(valid_from="19900101", valid_to="19891231"))
    assert "columns 40-47 (valid-to date): '19891231' is before" in error.message
    assert "'19900101'" in error.message


@pytest.mark.parametrize(
    ("line", "columns"),
    [
        (b"sg", "columns 1-3 (record type)"),
        (b"sgh1301", "columns 4-23 (code)"),
        (b"sgh1301                1976", "columns 24-31 (valid-from date)"),
        (b"sgh1301                19760401200206", "columns 32-39 (change date)"),
        (b"sgh1301                197604012002062725000", "columns 40-47 (valid-to date)"),
    ],
)
def test_a_line_cut_short_names_the_missing_field(line: bytes, columns: str) -> None:
    error = error_of(line)
    assert columns in error.message
    assert f"only {len(line)} characters" in error.message


def test_an_empty_line_inside_the_file_is_an_error() -> None:
    error = error_of(shak_line(), b"\n", b"\n", shak_line("afd", "130101"))
    assert error.line == 2
    assert "empty line" in error.message


def test_records_before_a_bad_line_are_still_yielded() -> None:
    records = read_shak([shak_line(), shak_line(kind="bad")])
    assert next(records).code == "1301"
    with pytest.raises(ShakFormatError):
        next(records)


def test_text_instead_of_bytes_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="binary mode"):
        list(read_shak("sgh1301"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="binary mode"):
        list(read_shak(io.StringIO(shak_line().decode("latin-1"))))  # type: ignore[arg-type]


# --- files ------------------------------------------------------------------------------------


def test_open_shak_reads_a_plain_file(tmp_path: Path) -> None:
    path = tmp_path / "SHAKCOMPLETE.TXT"
    path.write_bytes(shak_line() + shak_line("afd", "130101"))
    assert [r.code for r in open_shak(path)] == ["1301", "130101"]
    assert [r.code for r in open_shak(str(path))] == ["1301", "130101"]


def test_open_shak_gunzips_by_content(tmp_path: Path) -> None:
    data = gzip.compress(shak_line() + shak_line("afd", "130101"))
    for name in ("SHAKCOMPLETE.TXT.gz", "SHAKCOMPLETE.TXT"):
        path = tmp_path / name
        path.write_bytes(data)
        assert [r.code for r in open_shak(path)] == ["1301", "130101"]


def test_open_shak_fails_at_once_for_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_shak(tmp_path / "missing.gz")


def test_truncated_gzip_is_a_format_error(tmp_path: Path) -> None:
    data = gzip.compress(shak_line() * 200)
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ShakFormatError, match="gzip data is damaged or cut short"):
        list(open_shak(path))


def test_damaged_gzip_is_a_format_error(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(shak_line() * 200))
    data[20:40] = b"\xff" * 20
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(ShakFormatError, match="gzip data is damaged"):
        list(open_shak(path))


def test_format_errors_in_a_file_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(shak_line() + shak_line(valid_from="19761301")))
    with pytest.raises(ShakFormatError, match=r"line 2: columns 24-31"):
        list(open_shak(path))


# --- the real 2010 file -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_records(reference_dir: Path) -> list[ShakRecord]:
    return list(open_shak(reference_dir / "shak" / "SHAKCOMPLETE.TXT.gz"))


@pytest.mark.reference
def test_real_file_reads_completely(real_records: list[ShakRecord]) -> None:
    assert len(real_records) == 18_646
    assert [r.line for r in real_records] == list(range(1, 18_647))
    assert Counter(r.kind for r in real_records) == {"afd": 17_685, "sgh": 961}


@pytest.mark.reference
def test_real_file_first_lines(real_records: list[ShakRecord]) -> None:
    first, second = real_records[:2]
    assert first == ShakRecord(
        "1301", "sgh", date(1976, 4, 1), date(2002, 6, 27), None, "Rigshospitalet", 1
    )
    assert second.code == "130101"
    assert second.text == "Rigshospitalet, Anæstesiologisk Klinik, AN"


@pytest.mark.reference
def test_real_file_codes_have_the_documented_shape(real_records: list[ShakRecord]) -> None:
    lengths = Counter((r.kind, len(r.code)) for r in real_records)
    assert set(lengths) == {("sgh", 4), ("afd", 6), ("afd", 7)}
    hospitals = {r.code for r in real_records if r.is_hospital}
    assert all(r.hospital_code in hospitals for r in real_records)


@pytest.mark.reference
def test_real_file_has_open_and_closed_versions(real_records: list[ShakRecord]) -> None:
    open_versions = [r for r in real_records if r.valid_to is None]
    assert len(open_versions) == 5_211
    assert all(r.changed is not None for r in real_records)
    versions = [r for r in real_records if r.code == "1301011"]
    assert len(versions) == 5
    assert sorted(v.valid_from for v in versions) == [v.valid_from for v in versions]
