"""Exact prompt counts from a sample's structure, without tokenizing the prompt.

For a tokenizer that gives every digit a token of its own (:mod:`artificial_needles.tokens.
digit_barrier`) the count of a KV prompt is fixed by its structure: the text between the digits
is the same in every prompt with the same layout, whatever numbers it prints. So

    count = base(question) + sum over lines of (numbers(line) + shape(line) + name(line))

where ``numbers`` is the exact tokens of the line's printed integers (the per-integer counts
the budget already keeps), ``shape`` the tokens of the rest of a line with that many pairs (its
braces, colons and commas), ``name`` the tokens of the line's name and ``base`` the tokens of
the intro and the question around the lines. ``shape`` is counted once per line shape and
``base`` once per digit pattern of the question, both exactly with the target tokenizer, so no
prompt is tokenized while generating: the count is the one tokenizing gives.

:class:`StructuralCount` is used only when the task declares the shape of a line
(:meth:`~artificial_needles.generators.task.KVTask.line_shape`, in the class that also defines
how its dictionaries print), its tokenizer is a digit barrier, and the formula gives the
tokenizer's own count on probe prompts of 2 to 102 dictionaries (checked once per tokenizer and
calibration key, kept in the tokenizer's caches). Other tokenizers and tasks count every prompt.
"""

from __future__ import annotations

import random
import re
from collections.abc import Hashable, Sequence
from typing import Any

from artificial_needles.generators.budget import PROBE_SIZES, LineCosts
from artificial_needles.generators.sample import DictBlock, Gold
from artificial_needles.generators.task import KVTask
from artificial_needles.generators.templates import assemble_prompt

_DIGITS = re.compile(r"\d")


def shape_is_current(task: KVTask) -> bool:
    """Whether the class that declares ``line_shape`` is (or derives from) the class that
    defines how ``task`` prints a dictionary."""
    mro = type(task).__mro__

    def owner(name: str) -> type:
        return next(c for c in mro if name in c.__dict__)

    return all(issubclass(owner("line_shape"), owner(n)) for n in ("render_dict", "render_lines"))


class StructuralCount:
    """Counts of ``task``'s prompts from their structure (module docstring)."""

    def __init__(self, task: KVTask, costs: LineCosts) -> None:
        self.task = task
        self.costs = costs
        self._shape_tokens: dict[Hashable, int] = {}
        self._base_cache: dict[str, int] = {}
        self._names_sums = [0]
        self._enabled: bool | None = None

    def enabled(self) -> bool:
        """Whether prompts are counted from their structure (module docstring)."""
        if self._enabled is None:
            task, counter = self.task, self.costs.counter
            self._enabled = (
                task.line_shape({}) is not None
                and shape_is_current(task)
                and counter.digit_barrier()
                and self.costs.checked("structural", self._probe)
            )
        return self._enabled

    def _probe(self) -> bool:
        """The formula against the tokenizer on prompts laid out as real ones."""
        rng = random.Random(7654321)
        task, costs = self.task, self.costs
        gold = task.make_gold(rng)
        dicts = task.draw_dicts(rng, gold, max(PROBE_SIZES), costs)
        prompts = [costs.probe_prompt(rng, gold, [d.pairs for d in dicts[:k]]) for k in PROBE_SIZES]
        counts = [self.count(gold, dicts[:k]) for k in PROBE_SIZES]
        return costs.counter.count_many(prompts) == counts

    # -- the parts of the formula -----------------------------------------------------------
    def line_cost(self, pairs: dict[Any, Any], raw: int | None = None) -> int:
        """Exact tokens of a dictionary line with ``pairs``, its name excluded (``raw``: the
        tokens of its numbers, when known)."""
        costs = self.costs
        if raw is None:
            raw = costs.raw(list(pairs.items()))
        shape = self.task.line_shape(pairs)
        extra = self._shape_tokens.get(shape)
        if extra is None:
            line = costs.line_tokens(1, pairs) - costs.num_tokens(1)
            extra = self._shape_tokens[shape] = line - raw
        return raw + extra

    def block_cost(self, block: DictBlock) -> int:
        """:meth:`line_cost` of a distractor dictionary."""
        return self.line_cost(block.pairs, block.raw)

    def names_sum(self, n: int) -> int:
        """Tokens of the names 1..n."""
        sums = self._names_sums
        while len(sums) <= n:
            sums.append(sums[-1] + self.costs.num_tokens(len(sums)))
        return sums[n]

    def _base(self, gold: Gold) -> int:
        """Tokens of the prompt around its lines, per digit pattern of the question."""
        pattern = _DIGITS.sub("0", gold.question)
        base = self._base_cache.get(pattern)
        if base is None:
            gold_line = dict(gold.pairs)
            one = assemble_prompt(self.task.render_lines([1], [gold_line]), gold.question)
            line = self.line_cost(gold_line) + self.costs.num_tokens(1)
            base = self._base_cache[pattern] = self.costs.counter.count(one) - line
        return base

    def count(self, gold: Gold, dicts: Sequence[DictBlock]) -> int:
        """The exact count of the prompt of ``gold`` (its linked dictionaries included) and
        ``dicts`` (any layout), from the formula; valid when :meth:`enabled`."""
        shape_of, known = self.task.line_shape, self._shape_tokens
        total = self._base(gold) + self.line_cost(dict(gold.pairs))
        for pairs in gold.linked:
            total += self.line_cost(dict(pairs))
        for block in dicts:  # the hot loop: a block's numbers known, its shape seen before
            raw = block.raw
            extra = None if raw is None else known.get(shape_of(block.pairs))
            total += self.block_cost(block) if extra is None else raw + extra
        return total + self.names_sum(len(dicts) + 1 + len(gold.linked))
