"""SOR's code lists: bundled data, validation, naming and the authority's additions."""

from __future__ import annotations

import csv
import io
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opensor.domain.codelists import (
    MAX_DIGITS,
    CodeEntry,
    CodeList,
    CodeListName,
    CodeLists,
    parse_code_list_csv,
)
from opensor.domain.errors import DomainError, InvalidCode
from opensor.domain.identifiers import verhoeff_check_digit
from opensor.domain.identifiers import verhoeff_is_valid as verhoeff_valid


@pytest.fixture(scope="module")
def lists() -> CodeLists:
    return CodeLists.bundled()


SNOMED_LISTS = ["owner_type", "institution_type", "unit_type", "speciality"]
OPEN_LISTS = ["system_type", "system_supplier", "communication_supplier", "edi_administrator"]


# --- the bundled data -------------------------------------------------------------------------


def test_every_list_is_bundled_in_enum_order(lists: CodeLists) -> None:
    assert [cl.name for cl in lists.lists()] == [name.value for name in CodeListName]
    assert [name.value for name in CodeListName] == [
        "owner_type",
        "institution_type",
        "unit_type",
        "speciality",
        "speciality_type",
        "message_type",
        "system_type",
        "system_supplier",
        "communication_supplier",
        "edi_administrator",
        "geographical_parent_relation",
    ]


def test_bundled_is_loaded_once() -> None:
    assert CodeLists.bundled() is CodeLists.bundled()


def test_open_and_closed_lists(lists: CodeLists) -> None:
    assert {cl.name for cl in lists.lists() if cl.open} == set(OPEN_LISTS)


@pytest.mark.parametrize("name", [n.value for n in CodeListName])
def test_each_csv_file_is_utf8_with_the_three_columns(name: str) -> None:
    text = (
        resources.files("opensor.domain")
        .joinpath("data", f"codelist_{name}.csv")
        .read_text(encoding="utf-8")
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["code", "name_da", "name_en"]
    assert all(len(row) == 3 for row in rows[1:])
    assert len(rows) > 1


@pytest.mark.parametrize("name", [n.value for n in CodeListName])
def test_labels_and_names_read_well(lists: CodeLists, name: str) -> None:
    code_list = lists.get(name)
    assert code_list.label_da and code_list.label_en
    for entry in code_list:
        assert entry.list_name == name
        assert entry.active
        assert bool(entry.name_da) == bool(entry.name_en), entry
        if entry.name_da:
            assert entry.name_da[0].isupper() and entry.name_en[0].isupper(), entry
        elif not code_list.open:
            pytest.fail(f"closed list {name} has an unnamed code {entry.code}")


def test_owner_types(lists: CodeLists) -> None:
    assert {e.code: (e.name_da, e.name_en) for e in lists.get("owner_type")} == {
        "550881000005103": ("Region", "Region"),
        "547211000005108": ("Kommune", "Municipality"),
        "398070004": ("Stat", "State"),
        "550891000005100": ("Privat", "Private"),
    }


DESIGN_INSTITUTION_TYPES = {
    "22232009": "Hospital",
    "394761003": "Almen lægepraksis",
    "550671000005100": "Speciallægepraksis",
    "550681000005102": "Tandlægepraksis",
    "547011000005103": "Fysioterapiklinik",
    "550641000005106": "Kiropraktorklinik",
    "264372000": "Apotek",
    "557501000005109": "Apoteksfilial",
    "42665001": "Plejehjem",
    "554041000005106": "Sundhedsforvaltning",
    "550621000005101": "Hjemmesygeplejeenhed",
    "546811000005109": "Genoptræningsenhed",
    "550661000005105": "Lægevagt",
}
DESIGN_UNIT_TYPES = {
    "550811000005108": "Administrativ enhed",
    "550851000005109": "Klinisk enhed",
    "550821000005102": "Serviceenhed",
    "550871000005101": "Akutmodtageenhed",
    "309904001": "Intensivenhed",
}


def test_institution_types_hold_every_design_code(lists: CodeLists) -> None:
    for code, name in DESIGN_INSTITUTION_TYPES.items():
        assert lists.name_of("institution_type", code) == name
    assert lists.name_of("institution_type", "22232009", "en") == "Hospital"


def test_unit_types_hold_every_design_code(lists: CodeLists) -> None:
    for code, name in DESIGN_UNIT_TYPES.items():
        assert lists.name_of("unit_type", code) == name
    assert lists.name_of("unit_type", "309904001", "en") == "Intensive care unit"


def test_institution_and_unit_types_do_not_overlap(lists: CodeLists) -> None:
    institution = {e.code for e in lists.get("institution_type")}
    unit = {e.code for e in lists.get("unit_type")}
    assert not institution & unit


def test_specialities(lists: CodeLists) -> None:
    specialities = lists.get("speciality")
    assert 30 <= len(specialities) <= 50
    assert specialities.get("408443003") == CodeEntry(
        "speciality", "408443003", "Almen medicin", "General medical practice"
    )
    assert lists.name_of("speciality", "394594003") == "Oftalmologi"
    assert lists.name_of("speciality", "419192003") == "Intern medicin"
    assert len({e.name_da for e in specialities}) == len(specialities)


@pytest.mark.parametrize("name", SNOMED_LISTS)
def test_snomed_codes_are_well_formed_sctids(lists: CodeLists, name: str) -> None:
    for entry in lists.get(name):
        code = entry.code
        assert 6 <= len(code) <= 18, code
        assert code[-3:-1] in {"00", "10"}, f"{code}: not a concept identifier"
        assert verhoeff_valid(code), f"{code}: bad Verhoeff check digit"
        if code[-3:-1] == "10":
            assert code[-10:-3] == "1000005", f"{code}: not in the Danish extension"


def test_speciality_types(lists: CodeLists) -> None:
    types = lists.get("speciality_type")
    assert lists.name_of("speciality_type", "51000095001") == "Hovedspeciale"
    (further,) = (e for e in types if e.code != "51000095001")
    assert further.name_da == "Yderligere speciale/bispeciale"
    assert "provisional" in further.name_en
    # Derived in the namespace of the real code: item 6, namespace 1000095, partition 00.
    assert further.code == "6" + "1000095" + "00" + verhoeff_check_digit("6100009500")
    assert verhoeff_valid(further.code)
    # The real code itself has no valid Verhoeff digit, so none is enforced on these lists.
    assert not verhoeff_valid("51000095001")


DESIGN_MESSAGE_TYPES = {
    "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r": "Sygehushenvisning",
    "urn:dk:healthcare:medcom:messaging:edifact:meddis:dis01:d0134l": "Udskrivningsepikrise",
    "urn:dk:healthcare:medcom:messaging:edifact:medrpt:rpt01:r0131k": "Laboratoriesvar",
    "urn:dk:healthcare:medcom:messaging:fhir:structuredefinition:carecommunication:3.0": (
        "Korrespondancemeddelelse"
    ),
}


def test_message_types(lists: CodeLists) -> None:
    message_types = lists.get("message_type")
    assert len(message_types) >= 10
    assert all(e.code.startswith("urn:dk:healthcare:medcom:messaging:") for e in message_types)
    assert all(e.code == e.code.lower() for e in message_types)
    for code, name in DESIGN_MESSAGE_TYPES.items():
        assert (lists.name_of("message_type", code) or "").startswith(name)


def test_open_lists_are_seeded_with_the_codes_of_the_real_extracts(lists: CodeLists) -> None:
    assert {e.code for e in lists.get("system_supplier")} >= {"641000055002", "1001000055001"}
    assert {e.code for e in lists.get("system_type")} >= {"1611000045003", "221000045007"}
    assert {e.code for e in lists.get("edi_administrator")} >= {"116", "106"}
    assert lists.name_of("communication_supplier", "41000035001") == "KMD"
    # Unnamed seeds: accepted, but no name to show.
    assert lists.name_of("system_supplier", "641000055002") is None
    assert lists.name_of("edi_administrator", "116", "en") is None


def test_geographical_parent_relations(lists: CodeLists) -> None:
    relations = lists.get("geographical_parent_relation")
    assert [e.code for e in relations] == ["1", "2", "3", "4", "5"]
    assert lists.name_of("geographical_parent_relation", 1) == "Selvstændig geografisk placering"
    assert lists.name_of("geographical_parent_relation", 2) == "Den organisatoriske mor"


SAMPLE_CODES = [
    ("owner_type", "550891000005100"),
    ("institution_type", "264372000"),
    ("institution_type", "394761003"),
    ("speciality", "408443003"),
    ("speciality_type", "51000095001"),
    ("system_supplier", "1001000055001"),
    ("system_supplier", "641000055002"),
    ("system_type", "221000045007"),
    ("system_type", "1611000045003"),
    ("communication_supplier", "41000035001"),
    ("edi_administrator", "106"),
    ("edi_administrator", "116"),
    ("geographical_parent_relation", "1"),
    ("geographical_parent_relation", "2"),
]


@pytest.mark.parametrize(("name", "code"), SAMPLE_CODES)
def test_every_code_of_the_real_sortree_extracts_is_accepted(
    lists: CodeLists, name: str, code: str
) -> None:
    assert lists.validate(name, code) == code


# --- CodeList behaviour -----------------------------------------------------------------------


def test_iteration_is_sorted_by_code_numerically(lists: CodeLists) -> None:
    codes = [e.code for e in lists.get("institution_type")]
    assert codes == sorted(codes, key=int)
    assert codes[0] == "20078004"  # shorter numbers first, not text order


def test_len_contains_and_get(lists: CodeLists) -> None:
    owner = lists.get("owner_type")
    assert len(owner) == 4
    assert "398070004" in owner
    assert 398070004 in owner
    assert "123" not in owner
    assert None not in owner
    assert owner.get("123") is None
    assert owner.get(" 398070004 ") == owner.entries["398070004"]


def test_entries_are_read_only(lists: CodeLists) -> None:
    with pytest.raises(TypeError):
        lists.get("owner_type").entries["1"] = CodeEntry("owner_type", "1", "x", "x")  # type: ignore[index]


def test_code_list_is_hashable_and_compares_by_value(lists: CodeLists) -> None:
    owner = lists.get("owner_type")
    copy = CodeList(owner.name, owner.label_da, owner.label_en, owner.open, dict(owner.entries))
    assert copy == owner
    assert hash(copy) == hash(owner)


def test_code_list_refuses_misfiled_entries() -> None:
    with pytest.raises(ValueError, match="filed under"):
        CodeList("owner_type", "x", "x", False, {"1": CodeEntry("owner_type", "2", "a", "a")})
    with pytest.raises(ValueError, match="filed under"):
        CodeList("owner_type", "x", "x", False, {"1": CodeEntry("unit_type", "1", "a", "a")})


def test_labels_by_language(lists: CodeLists) -> None:
    unit = lists.get("unit_type")
    assert unit.label("da") == "Organisatorisk enhedstype"
    assert unit.label("en") == "organisational unit type"
    with pytest.raises(ValueError, match="unknown language"):
        unit.label("de")  # type: ignore[arg-type]


# --- validation -------------------------------------------------------------------------------


def test_validate_normalises(lists: CodeLists) -> None:
    assert lists.validate("unit_type", " 309904001\n") == "309904001"
    assert lists.validate("unit_type", 309904001) == "309904001"
    shouted = "URN:DK:HEALTHCARE:MEDCOM:MESSAGING:EDIFACT:MEDDIS:DIS01:D0134L"
    assert lists.validate("message_type", shouted) == shouted.lower()


def test_unknown_code_in_a_closed_list(lists: CodeLists) -> None:
    with pytest.raises(InvalidCode) as info:
        lists.validate("unit_type", "22232009")
    error = info.value
    assert error.code_list == "unit_type"
    assert error.code == "22232009"
    assert "'Organisatorisk enhedstype'" in error.reason
    assert "(organisational unit type)" in error.reason
    assert f"{len(DESIGN_UNIT_TYPES) + 2} codes in use" in error.reason
    assert isinstance(error, DomainError)


@pytest.mark.parametrize("bad", [None, True, 1.5, -1, b"309904001", ["1"]])
def test_non_codes_are_refused(lists: CodeLists, bad: object) -> None:
    with pytest.raises(InvalidCode, match="not a code"):
        lists.validate("unit_type", bad)


@pytest.mark.parametrize("name", [n.value for n in CodeListName])
def test_empty_code_is_refused_everywhere(lists: CodeLists, name: str) -> None:
    with pytest.raises(InvalidCode, match="empty code"):
        lists.validate(name, "  ")


@pytest.mark.parametrize("name", OPEN_LISTS)
def test_open_lists_accept_any_number_but_nothing_else(lists: CodeLists, name: str) -> None:
    assert lists.validate(name, "987654321") == "987654321"
    assert "987654321" in lists.get(name)
    assert lists.name_of(name, "987654321") is None
    for bad in ("12a", "1 2", "-5", "1" * (MAX_DIGITS + 1), "١٢٣"):
        with pytest.raises(InvalidCode, match="takes numbers of 1 to 18 digits") as info:
            lists.validate(name, bad)
        assert lists.get(name).label_da in info.value.reason


@given(st.text(alphabet="0123456789", min_size=1, max_size=MAX_DIGITS))
def test_open_list_returns_any_digit_string_unchanged(digits: str) -> None:
    assert CodeLists.bundled().validate("system_type", digits) == digits


@given(st.sampled_from([n.value for n in CodeListName]), st.data())
def test_every_bundled_code_validates_to_itself(name: str, data: st.DataObject) -> None:
    code_list = CodeLists.bundled().get(name)
    entry = data.draw(st.sampled_from(list(code_list)))
    assert code_list.validate(f" {entry.code} ") == entry.code


def test_unknown_list(lists: CodeLists) -> None:
    with pytest.raises(InvalidCode) as info:
        lists.get("unit_types")
    assert info.value.code_list == "code list"
    assert info.value.code == "unit_types"
    assert info.value.reason.startswith("no such code list; known: owner_type, institution_type")
    with pytest.raises(InvalidCode, match="no such code list"):
        lists.validate("nope", "1")
    with pytest.raises(InvalidCode, match="no such code list"):
        lists.name_of("nope", "1")
    assert "unit_type" in lists
    assert "nope" not in lists


def test_name_of(lists: CodeLists) -> None:
    assert lists.name_of("owner_type", "547211000005108") == "Kommune"
    assert lists.name_of("owner_type", "547211000005108", "en") == "Municipality"
    assert lists.name_of("owner_type", "1") is None
    assert lists.name_of("owner_type", None) is None
    with pytest.raises(ValueError, match="unknown language"):
        lists.name_of("owner_type", "547211000005108", "fr")  # type: ignore[arg-type]
    entry = lists.get("owner_type").entries["398070004"]
    assert entry.name() == "Stat"
    assert entry.name("en") == "State"


# --- the authority's additions ----------------------------------------------------------------


def test_additions_add_codes_to_a_new_registry(lists: CodeLists) -> None:
    new = CodeEntry("unit_type", "999991000005100", "Testenhed", "Test unit")
    extended = lists.with_additions([new])
    assert extended.validate("unit_type", "999991000005100") == "999991000005100"
    assert extended.name_of("unit_type", "999991000005100", "en") == "Test unit"
    assert len(extended.get("unit_type")) == len(lists.get("unit_type")) + 1
    # The original is untouched, and other lists are carried over.
    assert "999991000005100" not in lists.get("unit_type")
    assert extended.get("speciality") == lists.get("speciality")


def test_additions_can_deactivate_a_code(lists: CodeLists) -> None:
    retired = lists.with_additions([CodeEntry("owner_type", "398070004", "", "", active=False)])
    with pytest.raises(InvalidCode) as info:
        retired.validate("owner_type", "398070004")
    assert info.value.reason == "no longer in use"
    assert info.value.code_list == "owner_type"
    assert "398070004" not in retired.get("owner_type")
    # Names survive so that old versions can still be shown.
    assert retired.name_of("owner_type", "398070004") == "Stat"
    assert retired.get("owner_type").active_count == 3
    with pytest.raises(InvalidCode, match="3 codes in use"):
        retired.validate("owner_type", "1")


def test_deactivating_a_number_closes_it_in_an_open_list(lists: CodeLists) -> None:
    retired = lists.with_additions([CodeEntry("edi_administrator", "999", "", "", active=False)])
    with pytest.raises(InvalidCode, match="no longer in use"):
        retired.validate("edi_administrator", "999")
    assert retired.validate("edi_administrator", "998") == "998"


def test_additions_name_open_list_codes_and_rename(lists: CodeLists) -> None:
    extended = lists.with_additions(
        [
            CodeEntry("system_supplier", "641000055002", "Leverandør A", "Supplier A"),
            CodeEntry("owner_type", "398070004", "Staten", ""),
        ]
    )
    assert extended.name_of("system_supplier", "641000055002") == "Leverandør A"
    assert extended.name_of("owner_type", "398070004") == "Staten"
    assert extended.name_of("owner_type", "398070004", "en") == "State"


def test_later_additions_win(lists: CodeLists) -> None:
    code = "398070004"
    back = lists.with_additions(
        [CodeEntry("owner_type", code, "", "", active=False), CodeEntry("owner_type", code, "", "")]
    )
    assert back.validate("owner_type", code) == code


def test_message_type_additions_match_existing_urns_regardless_of_case(lists: CodeLists) -> None:
    urn = "urn:dk:healthcare:medcom:messaging:edifact:meddis:dis01:d0134l"
    retired = lists.with_additions([CodeEntry("message_type", urn.upper(), "", "", False)])
    assert len(retired.get("message_type")) == len(lists.get("message_type"))
    with pytest.raises(InvalidCode, match="no longer in use"):
        retired.validate("message_type", urn)


def test_additions_with_a_bad_list_or_code_are_refused(lists: CodeLists) -> None:
    with pytest.raises(InvalidCode, match="no such code list"):
        lists.with_additions([CodeEntry("nope", "1", "a", "a")])
    with pytest.raises(InvalidCode, match="takes numbers") as info:
        lists.with_additions([CodeEntry("speciality", "ABC", "a", "a")])
    assert info.value.code_list == "speciality"
    with pytest.raises(InvalidCode, match="takes URNs"):
        lists.with_additions([CodeEntry("message_type", "dis01 d0134l", "a", "a")])
    with pytest.raises(InvalidCode, match="empty code"):
        lists.with_additions([CodeEntry("speciality", " ", "a", "a")])
    with pytest.raises(InvalidCode, match="not a code"):
        lists.with_additions([CodeEntry("speciality", None, "a", "a")])  # type: ignore[arg-type]


def test_registry_refuses_duplicate_lists(lists: CodeLists) -> None:
    owner = lists.get("owner_type")
    with pytest.raises(ValueError, match="given twice"):
        CodeLists([owner, owner])


# --- the CSV format ---------------------------------------------------------------------------


def test_parse_csv_reads_entries_and_tolerates_a_bom_and_blank_lines() -> None:
    text = '\ufeffcode,name_da,name_en\n1,"Et, to",One\n\n2 , To ,Two\n'
    assert parse_code_list_csv("geographical_parent_relation", text) == (
        CodeEntry("geographical_parent_relation", "1", "Et, to", "One"),
        CodeEntry("geographical_parent_relation", "2", "To", "Two"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the header must be code,name_da,name_en, found an empty file"),
        ("kode,navn,name\n1,a,b\n", "line 1: the header must be"),
        ("code,name_da,name_en\n1,a\n", "line 2: expected 3 fields"),
        ("code,name_da,name_en\n1,a,b,c\n", "line 2: expected 3 fields"),
        ("code,name_da,name_en\nx1,a,b\n", "line 2: bad code 'x1'"),
        ("code,name_da,name_en\n1,a,b\n2,c,d\n1,e,f\n", "line 4: code '1' repeats line 2"),
    ],
)
def test_parse_csv_errors_name_the_source_and_line(text: str, message: str) -> None:
    with pytest.raises(DomainError, match=f"^x.csv {message}"):
        parse_code_list_csv("edi_administrator", text, "x.csv")


def test_parse_csv_needs_a_known_list() -> None:
    with pytest.raises(InvalidCode, match="no such code list"):
        parse_code_list_csv("nope", "code,name_da,name_en\n")
