"""Fuzzy name matching: candidate selection in ``unit_trigram`` and the similarity score.

A misspelt word still shares most of its letters, in order, with the word it stands for. The
candidates are the names containing enough intact *parts* of the words (found through the
trigram index, which matches substrings); each is then scored against the query. The index
holds no names, so :class:`FoldedNames` keeps every unit's folded name in memory to score the
candidates by.
"""

from __future__ import annotations

import sqlite3
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from itertools import accumulate, combinations, repeat
from operator import itemgetter, rshift, sub

from rapidfuzz.fuzz import partial_ratio

__all__ = ["FoldedNames", "fuzzy_match_expression", "similarity"]


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


class FoldedNames:
    """Every unit's folded name by SOR-ID, held compactly in memory (one publication's).

    Reading a candidate's name from the read model costs a table lookup; here it costs a few
    array reads. The SOR-IDs are kept in order in an array and the names, UTF-8, in one
    ``bytes`` with each name's end offset. A lookup goes to the SOR-ID's *bucket* (its
    distance from the smallest SOR-ID, shifted so there are about as many buckets as units)
    and bisects the few SOR-IDs in it. About 20 bytes a unit besides the names: some 20 MB
    in all at 500,000 units, where a ``dict`` of the names takes about 75 MB.
    """

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        """Read (SOR-ID, folded name) rows in ascending SOR-ID order from ``cursor``."""
        ids = array("q")
        lengths = array("q")
        chunks: list[bytes] = []
        while rows := cursor.fetchmany(4096):
            ids.extend(map(itemgetter(0), rows))
            encoded = [folded.encode() for _, folded in rows]
            lengths.extend(map(len, encoded))
            chunks.append(b"".join(encoded))
        self._ids = ids
        self._text = b"".join(chunks)
        self._ends = array("q", accumulate(lengths, initial=0))
        """Where each name starts in ``_text`` (and, one on, where it ends)."""
        self._base = base = ids[0] if ids else 0
        span = ids[-1] - base if ids else 0
        self._shift = shift = max(0, span.bit_length() - len(ids).bit_length())
        self._buckets = (span >> shift) + 1
        sizes = array("q", bytes(8 * (self._buckets + 1)))
        for bucket in map(rshift, map(sub, ids, repeat(base)), repeat(shift)):
            sizes[bucket + 1] += 1
        self._starts = array("q", accumulate(sizes))
        """Where each bucket starts in ``_ids`` (and, one on, where it ends)."""

    def __len__(self) -> int:
        return len(self._ids)

    def names(self, sor_ids: Iterable[int]) -> dict[int, str] | None:
        """The folded names of ``sor_ids`` by SOR-ID, in their order; ``None`` if one is unknown."""
        ids, ends, text, starts = self._ids, self._ends, self._text, self._starts
        base, shift, buckets = self._base, self._shift, self._buckets
        found: dict[int, str] = {}
        for sor_id in sor_ids:
            bucket = (sor_id - base) >> shift
            if not 0 <= bucket < buckets:
                return None
            stop = starts[bucket + 1]
            i = bisect_left(ids, sor_id, starts[bucket], stop)
            if i == stop or ids[i] != sor_id:
                return None
            found[sor_id] = text[ends[i] : ends[i + 1]].decode()
        return found
