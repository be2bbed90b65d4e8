"""Distractor dictionaries of the KV generators: drawing them, filling the budget, and removing
keys from fixed-size samples over budget (:meth:`Distractors._shrink_by`).

:class:`Distractors` is a mixin of :class:`~artificial_needles.generators.base.KVGenerator`; it
uses the generator's ``cfg``, ``make_pair`` and token estimates (:mod:`~.budget`). A task may
override :meth:`Distractors.draw_dict` or :meth:`Distractors.draw_dicts` for speed (``simple-kv``
draws every pair of a batch of dictionaries at once: :mod:`~.pair_batch`).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from artificial_needles.generators.draw import draw_int
from artificial_needles.generators.sample import DictBlock, Gold

if TYPE_CHECKING:
    from artificial_needles.generators.config import KVConfig


class Distractors:
    """Distractor drawing and the fill to the token budget (a mixin of ``KVGenerator``)."""

    cfg: KVConfig

    if TYPE_CHECKING:  # provided by KVGenerator / TokenBudget

        def make_pair(self, rng: random.Random, gold: Gold) -> tuple[Any, Any]: ...
        def _estimate(self, pairs: Any) -> float: ...
        def _num_tokens(self, n: int) -> int: ...
        def smallest_pair(self) -> tuple[Any, Any]: ...
        def widest_pair(self) -> tuple[Any, Any]: ...
        @property
        def _line_floor(self) -> float: ...

    def draw_dict(self, rng: random.Random, gold: Gold, size: int) -> list[tuple[Any, Any]]:
        """``size`` distractor pairs with distinct keys (subclasses may specialise for speed)."""
        pairs: dict[Any, Any] = {}
        while len(pairs) < size:
            k, v = self.make_pair(rng, gold)
            pairs.setdefault(k, v)
        return list(pairs.items())

    def draw_scored_dict(self, rng: random.Random, gold: Gold, size: int) -> DictBlock:
        """A distractor dictionary with its estimated token cost."""
        items = self.draw_dict(rng, gold, size)
        return DictBlock(dict(items), self._estimate(items))

    def _new_dict(self, rng: random.Random, gold: Gold) -> DictBlock:
        return self.draw_scored_dict(rng, gold, draw_int(rng, self.cfg.dict_size))

    def draw_dicts(self, rng: random.Random, gold: Gold, count: int) -> list[DictBlock]:
        """``count`` distractor dictionaries with their token estimates, in prompt order."""
        return [self._new_dict(rng, gold) for _ in range(count)]

    def _fill(
        self, rng: random.Random, gold: Gold, est: float
    ) -> tuple[list[DictBlock], DictBlock]:
        """Distractors that fill the budget by estimate, and the first one that did not fit."""
        budget = self.cfg.budget
        # Stop half an average line short: at 4K tokens the exact count then rarely has to
        # drop one; at 64K the estimate's small bias per line adds up to a few lines, dropped
        # without a recount where the tokenizer counts additively over lines (budget.py).
        slack = 0.5 * self._estimate([self.smallest_pair()] * self.cfg.dict_size[1])
        dicts: list[DictBlock] = []
        while True:
            # Draw in batches sized by the room left (batches let subclasses vectorise).
            room = budget - slack - est
            batch = self.draw_dicts(rng, gold, max(1, int(room / self._line_floor) + 1))
            for cand in batch:
                cost = cand.est + self._num_tokens(len(dicts) + 2)
                if est + cost > budget - slack:
                    return dicts, cand
                dicts.append(cand)
                est += cost

    def _shrink(self, rng: random.Random, dicts: list[DictBlock]) -> float | None:
        """Remove one key from a random distractor above the minimum size; returns the
        estimated tokens saved, or None when every distractor is at its minimum size."""
        low = self.cfg.dict_size[0]
        shrinkable = [d for d in dicts if len(d.pairs) > low]
        if not shrinkable:
            return None
        d = rng.choice(shrinkable)
        del d.pairs[list(d.pairs)[rng.randrange(len(d.pairs))]]
        d.raw = None
        before, d.est = d.est, self._estimate(list(d.pairs.items()))
        return before - d.est

    def _shrink_by(self, rng: random.Random, dicts: list[DictBlock], over: int) -> bool:
        """Remove keys until the estimate says ``over`` tokens are nearly saved; False if no
        key can go.

        Keys go one at a time in the same random order as a recount after each removal would
        take, but the exact recount waits until the estimated saving comes within two widest
        pairs of ``over``: a prompt far over budget then settles in a few counts, and one that
        is barely over loses exactly the keys it would lose with a recount per key.
        """
        saved = self._shrink(rng, dicts)
        if saved is None:
            return False
        guard = 2 * self._estimate([self.widest_pair()])
        while saved + guard < over:
            step = self._shrink(rng, dicts)
            if step is None:
                break
            saved += step
        return True
