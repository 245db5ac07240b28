"""Settings of the lookup service (cache lifetimes, page sizes, search tuning)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["LookupSettings"]

_MIB = 2**20


@dataclass(frozen=True, slots=True)
class LookupSettings:
    """Tunable behaviour of the lookup service; the defaults suit production.

    Cache lifetimes are seconds of ``Cache-Control: max-age``: a unit document may be served
    from a cache for ``max_age`` after a new publication appears; publication files never
    change and are ``immutable``.
    """

    max_age: int = 300
    """Resources read from the current publication (units, lists, routing, mappings)."""
    max_age_latest: int = 60
    """The latest-publication manifest, the list of publications and the change feed."""
    max_age_files: int = 31_536_000
    """Publication files (immutable)."""
    page_size: int = 50
    """Rows per page when ``limit`` is not given."""
    max_page_size: int = 500
    """The largest ``limit`` accepted for pages of units."""
    changes_limit: int = 100
    """Events per page of the change feed when ``limit`` is not given."""
    max_changes_limit: int = 1000
    """The largest ``limit`` accepted by the change feed."""
    check_interval: float = 1.0
    """Seconds between checks of the store's ``current`` link for a newer publication."""
    fuzzy_when_fewer_than: int = 3
    """Free-text search also tries fuzzy matching when prefix matching finds fewer units."""
    fuzzy_candidates: int = 200
    """How many fuzzy matches are kept (the most similar), and prefix matches before them."""
    fuzzy_scan: int = 1000
    """How many names sharing parts of the query fuzzy matching scores at most."""
    fuzzy_threshold: float = 0.75
    """The least similarity (0-1, difflib ratio of folded names) a fuzzy match must reach."""
    kept_cursor_publications: int = 2
    """How many older publications stay open to finish cursor walks begun on them."""
    search_cache_bytes: int = 32 * _MIB
    """Bytes of answered searches each worker keeps to answer again (0: none); see
    :mod:`opensor.lookup.resultcache`."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LookupSettings:
        """The defaults, with ``SOR_SEARCH_CACHE_MB`` (MiB per worker, 0 turns it off)."""
        env = os.environ if environ is None else environ
        text = env.get("SOR_SEARCH_CACHE_MB", "").strip()
        if not text:
            return cls()
        try:
            megabytes = float(text)
        except ValueError:
            megabytes = -1.0
        if not 0 <= megabytes <= 4096:
            raise ValueError(
                f"SOR_SEARCH_CACHE_MB={text!r}: give the MiB of search answers each worker "
                "keeps, from 0 (off) to 4096"
            )
        return cls(search_cache_bytes=int(megabytes * _MIB))
