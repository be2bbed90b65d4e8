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

import random
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

from artificial_needles.seeding import number_class

#: Tries of :func:`one_digit_away` before it gives up (about half of the candidates are in the
#: wanted class; a 3-digit number has 26 candidates).
TRIES = 64


def one_digit_away(
    rng: random.Random, n: int, cls: int | None = None, avoid: Container[int] = ()
) -> int | None:
    """A number with ``n``'s digit count that differs from ``n`` in exactly one digit, in
    class ``cls`` (None: any) and not in ``avoid``; None when no try finds one."""
    text = str(n)
    size = len(text)
    r = rng.random
    for _ in range(TRIES):
        i = int(r() * size)
        old = ord(text[i]) - 48
        d = int(r() * 9)
        d += d >= old  # one of the nine other digits
        if i == 0 and d == 0 and size > 1:
            continue
        m = int(text[:i] + chr(48 + d) + text[i + 1 :])
        if (cls is None or number_class(m) == cls) and m not in avoid:
            return m
    return None


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

    def apply(
        self,
        rng: random.Random,
        pairs: dict[int, int],
        targets: tuple[Sequence[int], Sequence[int]],
        reserved: Iterable[int],
    ) -> dict[int, int] | None:
        """``pairs`` with near-miss keys and values drawn as by :meth:`pair`, a new key never
        one the dictionary already has, or None when nothing changed."""
        out: dict[int, int] = {}
        avoid = {*pairs, *reserved}
        changed = False
        for k, v in pairs.items():
            nk, nv = self.pair(rng, k, v, targets, avoid)
            if nk != k:
                avoid.add(nk)
            changed |= nk != k or nv != v
            out[nk] = nv
        return out if changed else None
