"""A worker's cache of answered searches, by entity tag.

A publication never changes, and a search's answer is a function of the publication and the
request's path and query string: exactly what its entity tag is made of
(:func:`~opensor.lookup.responses.etag_for`). So the encoded answer can be kept under its
tag and served again to the next caller asking the same (a shared cache in front would do the
same, by the same tag). Searches repeat: the first letters of the same names, the same
postcodes and municipalities. A new publication gives new tags; the old answers are no longer
asked for and leave the cache as it fills.

Answers are kept compressed (Zstandard, level 1): a page of unit summaries is JSON that
shrinks about ten-fold, in some 30 µs, and comes back in some 10 µs — so a megabyte holds
about ten times as many answers as it would hold plain, for a small part of what computing
one costs. The cache is bounded by the compressed bytes it holds (least recently used out
first) and lives in one worker process; nothing is shared, nothing is written to disk.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import zstandard

__all__ = ["ResultCache"]

_LEVEL = 1
"""Zstandard's fastest level: ten-fold on search answers already, at several hundred MB/s."""


class ResultCache:
    """Encoded answers by entity tag, at most ``capacity`` bytes of them compressed (LRU).

    A ``capacity`` of 0 turns the cache off. An answer whose compressed form is larger than an
    eighth of the capacity is not kept (it would push out many small ones).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError("the capacity of a result cache cannot be negative")
        self.capacity = capacity
        self._entries: OrderedDict[bytes, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        # Zstandard's (de)compressor objects are not for simultaneous use: one per thread.
        self._codecs = threading.local()
        self.hits = 0
        self.misses = 0

    def _codec(self) -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
        codec: tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor] | None = getattr(
            self._codecs, "pair", None
        )
        if codec is None:
            codec = (zstandard.ZstdCompressor(level=_LEVEL), zstandard.ZstdDecompressor())
            self._codecs.pair = codec
        return codec

    def get(self, tag: bytes) -> bytes | None:
        """The answer kept under ``tag``, or ``None``."""
        with self._lock:
            packed = self._entries.get(tag)
            if packed is None:
                self.misses += 1
                return None
            self._entries.move_to_end(tag)
            self.hits += 1
        return self._codec()[1].decompress(packed)

    def put(self, tag: bytes, body: bytes) -> None:
        """Keep ``body`` under ``tag`` (dropping the least recently used answers to fit)."""
        if self.capacity == 0:
            return
        packed = self._codec()[0].compress(body)
        cost = len(packed) + len(tag)
        if cost * 8 > self.capacity:
            return
        with self._lock:
            old = self._entries.pop(tag, None)
            if old is not None:
                self._size -= len(old) + len(tag)
            self._entries[tag] = packed
            self._size += cost
            while self._size > self.capacity:
                dropped_tag, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped) + len(dropped_tag)

    @property
    def size(self) -> int:
        """Bytes held (the compressed answers and their tags)."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)
