"""Fuzzing the SorTree and SHAK readers with hypothesis (bounded for CI).

A valid SorTree document is mutated at random (bytes flipped, inserted, deleted, the document
cut short, element text replaced by arbitrary text) and random SHAK lines are generated. Every
input must either read completely or be refused with the reader's own error, which names the
problem (and the line where it is known); no other exception, no hang. XML attacks (external
entities, entity expansion, external DTDs) are refused before anything is expanded.

``SOR_FUZZ_EXAMPLES`` raises the number of examples (default 150 per property); the documented
longer run is in ``docs/reliability.md``.
"""

from __future__ import annotations

import io
import os
import re
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opensor.domain.shak import ShakFormatError, read_shak
from opensor.domain.sortree import SorTreeError, read_sortree, write_sortree
from tests.domain.sortree_factory import synthetic_items

EXAMPLES = int(os.environ.get("SOR_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _document() -> bytes:
    out = io.BytesIO()
    write_sortree(
        out, synthetic_items(12), created_at=datetime(2024, 1, 1), snapshot_date=date(2024, 1, 1)
    )
    return out.getvalue()


VALID = _document()
TEXTS = [m.span(1) for m in re.finditer(rb">([^<>]+)</", VALID)]


def _read_all(data: bytes) -> None:
    """Read every unit; only SorTreeError may come out, and it must say what is wrong."""
    try:
        for _ in read_sortree(io.BytesIO(data)):
            pass
    except SorTreeError as error:
        assert error.message and len(str(error)) > 10, repr(error)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.binary(max_size=8)), max_size=6))
def test_sortree_with_bytes_replaced(edits: list[tuple[int, bytes]]) -> None:
    """Bytes overwritten or inserted anywhere."""
    data = bytearray(VALID)
    for at, new in edits:
        data[at : at + len(new) // 2] = new
    _read_all(bytes(data))


@FUZZ
@given(st.integers(0, len(VALID)))
def test_sortree_cut_short(length: int) -> None:
    """The document ends early (a transfer that broke off)."""
    _read_all(VALID[:length])


@FUZZ
@given(st.sampled_from(TEXTS), st.text(max_size=40))
def test_sortree_with_a_value_replaced(span: tuple[int, int], text: str) -> None:
    """One element's text becomes arbitrary text (escaped, so the XML stays well formed)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    _read_all(VALID[: span[0]] + escaped.encode("utf-8", "replace") + VALID[span[1] :])


ATTACKS = {
    "external entity": b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    "billion laughs": (
        b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
        b"]><r>&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;</r>"
    ),
    "external DTD": b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>',
    "parameter entity": b'<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><r/>',
}


def test_xml_attacks_are_refused() -> None:
    """XXE, entity expansion and external DTDs never get expanded or fetched."""
    for name, attack in ATTACKS.items():
        data = b'<?xml version="1.0" encoding="UTF-8"?>' + attack
        try:
            list(read_sortree(io.BytesIO(data)))
        except SorTreeError as error:
            assert "root:" not in str(error), name  # nothing of /etc/passwd leaks
        else:
            raise AssertionError(f"{name} was accepted")


LINE = st.binary(min_size=0, max_size=200).filter(lambda b: b"\n" not in b)
SHAKISH = st.builds(
    lambda kind, code, dates, text: (
        f"{kind:3}{code:20}{dates}".encode("latin-1") + text.encode("latin-1", "replace")
    ),
    st.sampled_from(["sgh", "afd", "xyz", "", "s"]),
    st.text(st.characters(codec="latin-1"), max_size=22),
    st.text(st.sampled_from("0123456789 -/"), max_size=26),
    st.text(st.characters(codec="latin-1"), max_size=130),
)


@FUZZ
@given(st.lists(st.one_of(LINE, SHAKISH), max_size=8))
def test_shak_lines(lines: list[bytes]) -> None:
    """Arbitrary lines: read, or refused with the line number and what is wrong."""
    try:
        for _ in read_shak([line + b"\n" for line in lines]):
            pass
    except ShakFormatError as error:
        assert 1 <= error.line <= len(lines) and error.message, repr(error)
