"""Near-miss numbers: distractor keys and values one digit away from the gold ones.

NoLiMa and NExtLong's point: distractors that look like the answer make retrieval hard, and the
paper's gains vanish with relevant distractors. With ``near_miss_keys`` (``near_miss_values``)
at ``p``, each distractor key (value) is, with probability ``p``, replaced by a number that
differs from the gold key (value) in exactly one digit: same length, no leading zero, never the
gold number itself, never a reserved number, and in the data domain's class
(:mod:`artificial_needles.seeding`) so that near-miss keys of evaluation data are still never
training keys. The draws use the sample's RNG, and none is made when the share is 0 (the paper
presets stay byte-identical).
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Container, Sequence
from dataclasses import dataclass

from artificial_needles.seeding import number_class

#: Random picks of :func:`one_digit_away` before it filters the candidates (a pick is rarely
#: one to avoid).
TRIES = 8


@functools.lru_cache(maxsize=1 << 14)
def neighbours(n: int, cls: int | None = None) -> tuple[int, ...]:
    """Every number with ``n``'s digit count that differs from ``n`` in exactly one digit (no
    leading zero), in class ``cls`` (None: any), in increasing order."""
    text = str(n)
    out = []
    for i, old in enumerate(text):
        for d in "0123456789":
            if d == old or (i == 0 and d == "0" and len(text) > 1):
                continue
            m = int(text[:i] + d + text[i + 1 :])
            if cls is None or number_class(m) == cls:
                out.append(m)
    return tuple(sorted(out))


def one_digit_away(
    rng: random.Random, n: int, cls: int | None = None, avoid: Container[int] = ()
) -> int | None:
    """A random one of :func:`neighbours` of ``n`` in class ``cls`` that is not in ``avoid``;
    None when there is none."""
    cands = neighbours(n, cls)
    if not cands:
        return None
    r = rng.random
    for _ in range(TRIES):
        m = cands[int(r() * len(cands))]
        if m not in avoid:
            return m
    rest = [m for m in cands if m not in avoid]
    return rest[int(r() * len(rest))] if rest else None


def one_digit_apart(a: int, b: int) -> bool:
    """Whether ``a`` and ``b`` have the same digit count and differ in exactly one digit."""
    x, y = str(a), str(b)
    return len(x) == len(y) and sum(p != q for p, q in zip(x, y, strict=True)) == 1


def _pick(rng: random.Random, targets: Sequence[int]) -> int:
    return targets[int(rng.random() * len(targets))] if len(targets) > 1 else targets[0]


@dataclass(frozen=True)
class NearMiss:
    """The near-miss draw of a task with integer keys and values: shares of keys and values,
    and the domain's classes (``None``: any class)."""

    keys: float
    values: float
    key_cls: int | None
    value_cls: int | None

    @property
    def enabled(self) -> bool:
        """Whether any share is above 0 (else no draw is made at all)."""
        return self.keys > 0 or self.values > 0

    def pair(
        self,
        rng: random.Random,
        key: int,
        value: int,
        targets: tuple[Sequence[int], Sequence[int]],
        reserved: Container[int],
    ) -> tuple[int, int]:
        """``(key, value)``, each replaced with its share's probability by a number one digit
        away from a target (gold) key / value, never a reserved number."""
        r = rng.random
        if self.keys and r() < self.keys:
            near = one_digit_away(rng, _pick(rng, targets[0]), self.key_cls, reserved)
            key = key if near is None else near
        if self.values and r() < self.values:
            near = one_digit_away(rng, _pick(rng, targets[1]), self.value_cls, reserved)
            value = value if near is None else near
        return key, value

    def apply_flat(
        self,
        rng: random.Random,
        keys: list[int],
        values: list[int],
        targets: tuple[Sequence[int], Sequence[int]],
        reserved: Container[int],
    ) -> list[tuple[int, int, int]]:
        """Near misses in the flat key and value lists of a batch of dictionaries, in place:
        each key (value) is replaced with probability ``keys`` (``values``) by a neighbour of a
        target key (value) that is not reserved. Returns ``(place, old, new)`` per replacement.

        The places are drawn by geometric skips (one random number per replacement, not per
        pair), so the cost follows the share. A key that repeats one of its dictionary makes
        that dictionary shorter: the caller tops it up as for any repeated key.
        """
        swaps: list[tuple[int, int, int]] = []
        r = rng.random
        for numbers, share, cls, tgts in (
            (keys, self.keys, self.key_cls, targets[0]),
            (values, self.values, self.value_cls, targets[1]),
        ):
            if not share:
                continue
            sets = [c for t in tgts if (c := [m for m in neighbours(t, cls) if m not in reserved])]
            if not sets:
                continue
            for at in _places(rng, share, len(numbers)):
                cands = sets[0] if len(sets) == 1 else sets[int(r() * len(sets))]
                new = cands[int(r() * len(cands))]
                swaps.append((at, numbers[at], new))
                numbers[at] = new
        return swaps


def _places(rng: random.Random, share: float, total: int) -> list[int]:
    """The places ``0 .. total - 1`` each picked with probability ``share``, in order (geometric
    skips: one random number per place picked)."""
    if share <= 0 or total <= 0:
        return []
    if share >= 1:
        return list(range(total))
    scale = 1.0 / math.log1p(-share)
    r = rng.random
    out = []
    at = int(math.log(1.0 - r()) * scale)
    while at < total:
        out.append(at)
        at += 1 + int(math.log(1.0 - r()) * scale)
    return out
