"""The English catalogue of the access pages is complete and compiled.

The access pages keep their own catalogue (``src/opensor/register/access/locale``), so that
``makemessages`` run in the app's directory finds every text it owns; Django merges it with
the maintainers' UI catalogue.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import opensor.register.access

LOCALE = Path(opensor.register.access.__file__).parent / "locale" / "en" / "LC_MESSAGES"


def _po_entries(text: str) -> dict[str, str]:
    """msgid → msgstr, from a .po file's text (no plurals in this catalogue)."""
    entries: dict[str, str] = {}
    for block in text.split("\n\n"):
        key, parts = None, {}
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgid|msgstr) (\".*\")$", line)
            if match:
                key = match.group(1)
                parts[key] = ast.literal_eval(match.group(2))
            elif key is not None and line.startswith('"'):
                parts[key] += ast.literal_eval(line)
        if parts.get("msgid"):
            entries[parts["msgid"]] = parts.get("msgstr", "")
    return entries


def test_every_text_of_the_access_pages_has_an_english_translation() -> None:
    entries = _po_entries((LOCALE / "django.po").read_text(encoding="utf-8"))
    assert len(entries) > 100
    untranslated = [msgid for msgid, text in entries.items() if not text]
    assert not untranslated, f"translate these in {LOCALE / 'django.po'}: {untranslated}"


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    entries = _po_entries((LOCALE / "django.po").read_text(encoding="utf-8"))
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [msgid for msgid, text in entries.items() if compiled.gettext(msgid) != text]
    assert not stale, f"run msgfmt again (see docs/access.md): {stale[:5]}"
