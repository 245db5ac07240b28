"""Checks across a file's units, and code lists made portable for the helper process."""

from __future__ import annotations

import pickle

from opensor.domain.codelists import CodeEntry, CodeLists
from opensor.domain.findings import Severity
from opensor.domain.identifiers import make_sor_id
from opensor.domain.records import Level
from opensor.domain.sortree import SorTreeError
from opensor.domain.sortree.checks import FileChecks, code_lists_from_state, code_lists_state
from tests import factories


def test_code_lists_survive_pickling_as_state():
    codes = CodeLists.bundled().with_additions(
        [CodeEntry("owner_type", "123451000005101", "Ny ejertype", "New owner type")]
    )
    back = code_lists_from_state(pickle.loads(pickle.dumps(code_lists_state(codes))))
    assert [(cl.name, cl.open, dict(cl.entries)) for cl in back.lists()] == [
        (cl.name, cl.open, dict(cl.entries)) for cl in codes.lists()
    ]
    assert back.validate("owner_type", "123451000005101") == "123451000005101"


def test_file_checks_find_what_the_reader_cannot():
    checks = FileChecks(CodeLists.bundled(), frozenset({"8001"}))
    owner = factories.unit(sor_id=make_sor_id(77), owner_type="123456789")
    number = factories.location_number(owner)
    outside = factories.new_sor_id()
    institution = factories.unit(
        Level.INSTITUTION, owner, shak="9999", replaces=(owner.sor_id, outside)
    )
    checks.take(owner, number, None, 3)
    checks.take(institution, number.with_changes(owner_sor_id=institution.sor_id), owner, 20)
    checks.error(SorTreeError("bad", 30, 123))
    rules = [(f.severity, f.rule, f.line) for f in checks.findings]
    assert rules == [
        (Severity.WARNING, "unknown-code", 3),
        (Severity.WARNING, "unknown-shak-code", 20),
        (Severity.ERROR, "duplicate-gln", 20),
        (Severity.ERROR, "invalid-file", 30),
    ]
    assert checks.failed
    assert checks.units_read == 2
    assert checks.max_item == max(77, institution.sor_id // 10**10)
    assert checks.references_outside() == {outside: (institution.sor_id, 20)}
