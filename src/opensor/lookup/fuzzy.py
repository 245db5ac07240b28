"""Fuzzy name matching: candidate selection in ``unit_trigram`` and the similarity score.

A misspelt word still shares most of its letters, in order, with the word it stands for. The
candidates are the names containing enough intact *parts* of the words (found through the
trigram index, which matches substrings); each is then scored against the query.
"""

from __future__ import annotations

from itertools import combinations

from rapidfuzz.fuzz import partial_ratio

__all__ = ["fuzzy_match_expression", "similarity"]


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def similarity(query: str, name: str) -> float:
    """How alike a folded query and a folded name are (0-1).

    rapidfuzz's ``partial_ratio``: the normalised InDel similarity (``2·matches / total
    length``, as difflib's ratio) of the shorter string against the best-aligned part of the
    longer one, so a misspelt word is compared with the word of the name it stands for.
    """
    return float(partial_ratio(query, name)) / 100.0


def fuzzy_match_expression(words: list[str]) -> str | None:
    """The ``unit_trigram`` query that finds candidates for a fuzzy match of ``words``.

    A word of 9 or more letters is cut into three parts and a candidate must contain two of
    them (one edit leaves at least two parts intact); a word of 6 to 8 letters into two parts,
    one of which must be there; a shorter word needs any of its trigrams. A name is a
    candidate when any word's condition holds. ``None`` when no word has 3 letters.
    """
    alternatives = []
    for word in words:
        n = len(word)
        if n < 3:
            continue
        if n < 6:
            grams = sorted({word[i : i + 3] for i in range(n - 2)})
            alternatives.append(" OR ".join(_phrase(g) for g in grams))
            continue
        count = 3 if n >= 9 else 2
        size = n // count
        parts = [word[i * size : (i + 1) * size] for i in range(count - 1)]
        parts.append(word[(count - 1) * size :])
        if count == 2:
            alternatives.append(" OR ".join(_phrase(p) for p in parts))
        else:
            alternatives.append(
                " OR ".join(f"({_phrase(a)} AND {_phrase(b)})" for a, b in combinations(parts, 2))
            )
    if not alternatives:
        return None
    return " OR ".join(f"({a})" for a in alternatives)
