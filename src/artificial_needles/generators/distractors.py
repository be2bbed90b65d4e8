"""Distractor dictionaries of a sample: drawing them, filling the token budget, and removing
keys from fixed-size samples over budget (:meth:`Distractors.shrink_by`).

The task draws the pairs (:meth:`~artificial_needles.generators.task.KVTask.draw_dicts`); this
module decides how many dictionaries and which keys go, from the token estimate of
:class:`~artificial_needles.generators.budget.LineCosts`.
"""

from __future__ import annotations

import random

from artificial_needles.generators.budget import LineCosts
from artificial_needles.generators.draw import draw_int
from artificial_needles.generators.sample import DictBlock, Gold
from artificial_needles.generators.task import KVTask


class Distractors:
    """The distractor bookkeeping of ``task``'s samples with the estimate ``costs``."""

    def __init__(self, task: KVTask, costs: LineCosts) -> None:
        self.task = task
        self.costs = costs

    def new_dict(self, rng: random.Random, gold: Gold) -> DictBlock:
        """One distractor dictionary of a size drawn from ``dict_size``."""
        items = self.task.draw_dict(rng, gold, draw_int(rng, self.task.cfg.dict_size))
        return DictBlock(dict(items), self.costs.estimate(items))

    def fill(
        self, rng: random.Random, gold: Gold, est: float, budget: int, first_name: int
    ) -> tuple[list[DictBlock], DictBlock]:
        """Distractors that fill ``budget`` by estimate from ``est`` tokens (their names start
        at ``first_name``), and the first one that did not fit."""
        costs, task = self.costs, self.task
        # Stop half an average line short: at 4K tokens the exact count then rarely has to
        # drop one; at 64K the estimate's small bias per line adds up to a few lines, dropped
        # without a recount where the tokenizer counts additively over lines (budget.py).
        slack = 0.5 * costs.estimate([task.smallest_pair()] * task.cfg.dict_size[1])
        dicts: list[DictBlock] = []
        while True:
            # Draw in batches sized by the room left (batches let tasks vectorise).
            room = budget - slack - est
            count = max(1, int(room / costs.line_floor) + 1)
            for cand in task.draw_dicts(rng, gold, count, costs):
                cost = cand.est + costs.num_tokens(len(dicts) + first_name)
                if est + cost > budget - slack:
                    return dicts, cand
                dicts.append(cand)
                est += cost

    def _shrink(self, rng: random.Random, dicts: list[DictBlock]) -> float | None:
        """Remove one key from a random distractor above the minimum size; returns the
        estimated tokens saved, or None when every distractor is at its minimum size."""
        low = self.task.cfg.dict_size[0]
        shrinkable = [d for d in dicts if len(d.pairs) > low]
        if not shrinkable:
            return None
        d = rng.choice(shrinkable)
        del d.pairs[list(d.pairs)[rng.randrange(len(d.pairs))]]
        d.raw = None
        before, d.est = d.est, self.costs.estimate(list(d.pairs.items()))
        return before - d.est

    def shrink_by(self, rng: random.Random, dicts: list[DictBlock], over: int) -> bool:
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
        guard = 2 * self.costs.estimate([self.task.widest_pair()])
        while saved + guard < over:
            step = self._shrink(rng, dicts)
            if step is None:
                break
            saved += step
        return True
