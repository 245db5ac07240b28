"""Streaming random choices that still meet exact totals.

The generator walks the register once, parent by parent, and never holds it all; yet the plan
fixes exact totals ("1,500 departments over 60 hospitals", "450 of them own a location
number"). :class:`Splitter` and :class:`Selector` reconcile the two: each answers one parent at a
time and ends exactly on its total. Both draw only from the :class:`random.Random` they are
given, so a seed fixes every answer.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

__all__ = ["Selector", "Splitter", "apportion", "pick_distinct", "pick_names"]


class Selector:
    """Picks exactly ``k`` of the next ``n`` candidates, each k-subset equally likely.

    Knuth's selection sampling (algorithm S): candidate ``i`` is taken with probability
    (picks still wanted) / (candidates left).
    """

    __slots__ = ("_k", "_n", "_rng")

    def __init__(self, rng: random.Random, k: int, n: int) -> None:
        if not 0 <= k <= n:
            raise ValueError(f"cannot select {k} of {n} candidates")
        self._rng = rng
        self._k = k
        self._n = n

    def take(self) -> bool:
        """Whether the next candidate is picked."""
        if self._n <= 0:
            raise RuntimeError("more candidates than the plan counted")
        picked = self._rng.random() * self._n < self._k
        self._n -= 1
        if picked:
            self._k -= 1
        return picked

    @property
    def done(self) -> bool:
        """Whether every planned candidate has been seen (and so every pick made)."""
        return self._n == 0


class Splitter:
    """Splits ``total`` over ``parents`` asked in turn, each getting between ``lo`` and ``hi``.

    Each answer varies around the remaining average (by ``spread``, a fraction of it) but is
    clamped so that the remaining parents can still take exactly what is left.
    """

    __slots__ = ("_hi", "_lo", "_parents", "_rng", "_spread", "_total")

    def __init__(
        self,
        rng: random.Random,
        total: int,
        parents: int,
        *,
        lo: int = 0,
        hi: int | None = None,
        spread: float = 0.7,
    ) -> None:
        upper = total if hi is None else hi
        if parents < 0 or total < lo * parents or (parents and total > upper * parents):
            raise ValueError(f"cannot split {total} over {parents} parents within [{lo}, {hi}]")
        if parents == 0 and total:
            raise ValueError(f"cannot split {total} over no parents")
        self._rng = rng
        self._total = total
        self._parents = parents
        self._lo = lo
        self._hi = upper
        self._spread = spread

    def next(self) -> int:
        """How many children the next parent gets."""
        parents, total = self._parents, self._total
        if parents <= 0:
            raise RuntimeError("more parents than the plan counted")
        least = max(self._lo, total - self._hi * (parents - 1))
        most = min(self._hi, total - self._lo * (parents - 1))
        jitter = 1 + self._spread * (2 * self._rng.random() - 1)
        count = min(max(round(total / parents * jitter), least), most)
        self._parents -= 1
        self._total -= count
        return count

    @property
    def done(self) -> bool:
        """Whether every parent has been answered (and so the total given out)."""
        return self._parents == 0 and self._total == 0


def pick_distinct(rng: random.Random, pool: Sequence[T], count: int) -> list[tuple[T, str]]:
    """``count`` items of ``pool`` in random order, each with a suffix for its name.

    The suffix is empty the first time round the pool and ``" 2"``, ``" 3"`` … after.
    """
    picked = [(item, "") for item in rng.sample(list(pool), min(count, len(pool)))]
    round_ = 2
    while len(picked) < count:
        picked.extend((item, f" {round_}") for item in pool[: count - len(picked)])
        round_ += 1
    return picked


def pick_names(rng: random.Random, pool: Sequence[str], count: int) -> list[str]:
    """``count`` different names from ``pool`` in random order; past its size, numbered."""
    return [name + suffix for name, suffix in pick_distinct(rng, pool, count)]


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder; ties to the first)."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts
