"""Answered searches kept per worker: the same answers, bounded, off when asked."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from opensor.lookup.app import create_app
from opensor.lookup.resultcache import ResultCache
from opensor.lookup.settings import LookupSettings
from opensor.publication.store import PublicationStore

QUERIES = [
    {"q": "a", "limit": "7"},
    {"q": "klinik"},
    {"q": "klinnik", "fuzzy": "true"},
    {"level": "OE", "region": "1084", "active": "true", "limit": "9"},
    {"q": "l", "near": "56.15,10.2", "radius_km": "50", "limit": "3"},
]


def _walk(client: TestClient, params: dict[str, str]) -> list[tuple[str, bytes]]:
    answers = []
    response = client.get("/api/v1/units", params=params)
    while True:
        assert response.status_code == 200, response.text
        answers.append((response.headers["etag"], response.content))
        link = response.json()["next"]
        if link is None:
            return answers
        response = client.get(link)


def test_cached_answers_are_the_answers_computed_afresh(demo_store: PublicationStore):
    cached = create_app(demo_store, settings=LookupSettings(check_interval=0.0))
    uncached = create_app(
        demo_store, settings=LookupSettings(check_interval=0.0, search_cache_bytes=0)
    )
    with (
        TestClient(cached, base_url="http://lookup.test") as warm,
        TestClient(uncached, base_url="http://lookup.test") as cold,
    ):
        for params in QUERIES:
            first = _walk(warm, params)
            again = _walk(warm, params)  # answered from the cache
            fresh = _walk(cold, params)
            assert first == again == fresh
            # a conditional request still gets its 304
            etag = again[0][0]
            response = warm.get("/api/v1/units", params=params, headers={"If-None-Match": etag})
            assert response.status_code == 304


def test_the_cache_keeps_the_most_recently_used_answers_within_its_bytes():
    cache = ResultCache(capacity=1000)
    cache.put(b"a", b"x" * 99)  # 100 bytes with its tag
    cache.put(b"b", b"x" * 99)
    assert cache.get(b"a") == b"x" * 99  # a is now the most recently used
    for tag in (b"c", b"d", b"e", b"f", b"g", b"h", b"i", b"j", b"k"):
        cache.put(tag, b"y" * 99)
    assert cache.size <= 1000
    assert cache.get(b"b") is None  # the least recently used went first
    assert cache.get(b"j") == b"y" * 99
    cache.put(b"big", b"z" * 200)  # more than an eighth of the capacity: not kept
    assert cache.get(b"big") is None
    assert (cache.hits, cache.misses) == (2, 2)


def test_a_cache_of_no_bytes_keeps_nothing():
    cache = ResultCache(capacity=0)
    cache.put(b"a", b"")
    assert cache.get(b"a") is None and len(cache) == 0
    with pytest.raises(ValueError, match="cannot be negative"):
        ResultCache(capacity=-1)


def test_the_cache_size_comes_from_the_environment():
    assert LookupSettings.from_env({}).search_cache_bytes == 32 * 2**20
    assert LookupSettings.from_env({"SOR_SEARCH_CACHE_MB": "0"}).search_cache_bytes == 0
    assert LookupSettings.from_env({"SOR_SEARCH_CACHE_MB": "1.5"}).search_cache_bytes == 1572864
    for bad in ("lots", "-1", "5000"):
        with pytest.raises(ValueError, match="SOR_SEARCH_CACHE_MB"):
            LookupSettings.from_env({"SOR_SEARCH_CACHE_MB": bad})
