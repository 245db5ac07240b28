"""The English catalogue of the maintainers' UI is complete and compiled."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import opensor.register.web

LOCALE = Path(opensor.register.web.__file__).parent / "locale" / "en" / "LC_MESSAGES"


def _po_entries(text: str) -> dict[str, list[str]]:
    """msgid → its msgstr (or plural msgstr[n]) texts, from a .po file's text."""
    entries: dict[str, list[str]] = {}
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        key, parts = None, {}
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                key = match.group(1)
                parts[key] = ast.literal_eval(match.group(2))
            elif key is not None and line.startswith('"'):
                parts[key] += ast.literal_eval(line)
        if parts.get("msgid"):
            entries[parts["msgid"]] = [v for k, v in parts.items() if k.startswith("msgstr")]
    return entries


def test_every_text_has_an_english_translation() -> None:
    entries = _po_entries((LOCALE / "django.po").read_text(encoding="utf-8"))
    assert entries
    untranslated = [msgid for msgid, texts in entries.items() if not all(texts)]
    assert not untranslated, f"translate these in django.po: {untranslated}"


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    entries = _po_entries((LOCALE / "django.po").read_text(encoding="utf-8"))
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, texts in entries.items()
        if len(texts) == 1 and compiled.gettext(msgid) != texts[0]
    ]
    assert not stale, f"run msgfmt again (see docs/maintenance-ui.md): {stale[:5]}"
