"""Answered searches kept per worker: the same answers, bounded, off when asked."""

from __future__ import annotations

import random

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


def _noise(size: int, seed: int) -> bytes:
    """Bytes that do not compress (so an answer's cost is its size)."""
    return random.Random(seed).randbytes(size)


def test_the_cache_keeps_the_most_recently_used_answers_within_its_bytes():
    cache = ResultCache(capacity=1200)
    a, b = _noise(100, 1), _noise(100, 2)
    cache.put(b"a", a)
    cache.put(b"b", b)
    assert cache.get(b"a") == a  # a is now the most recently used
    others = {bytes([tag]): _noise(100, tag) for tag in b"cdefghijklmnop"}
    for tag, body in others.items():
        cache.put(tag, body)
    assert 0 < cache.size <= 1200
    assert cache.get(b"b") is None  # the least recently used went first
    assert cache.get(b"p") == others[b"p"]
    cache.put(b"big", _noise(300, 3))  # more than an eighth of the capacity: not kept
    assert cache.get(b"big") is None
    assert (cache.hits, cache.misses) == (2, 2)


def test_answers_are_kept_compressed_and_given_back_whole():
    answer = b'{"items": [' + b",".join(b'{"name": "Klinik %d"}' % i for i in range(400)) + b"]}"
    cache = ResultCache(capacity=len(answer))  # raw, the answer would be far over an eighth
    cache.put(b"tag", answer)
    assert cache.get(b"tag") == answer
    assert cache.size < len(answer) / 8


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
