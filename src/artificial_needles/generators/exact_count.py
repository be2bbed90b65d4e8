"""Exact prompt counts from a sample's structure, without tokenizing the prompt.

For a tokenizer that gives every digit a token of its own (:mod:`~.digit_barrier`)
the count of a KV prompt is fixed by its structure: the text between the digits is the same in
every prompt with the same layout, whatever numbers it prints. So

    count = base(question) + sum over lines of (numbers(line) + shape(line) + name(line))

where ``numbers`` is the exact tokens of the line's printed integers (the per-integer counts
the budget already keeps), ``shape`` the tokens of the rest of a line with that many pairs (its
braces, colons and commas), ``name`` the tokens of the line's name and ``base`` the tokens of
the intro and the question around the lines. ``shape`` is counted once per line shape and
``base`` once per digit pattern of the question, both exactly with the target tokenizer, so no
prompt is tokenized while generating: the count is the one tokenizing gives.

A generator uses it only when its task declares the shape of a line
(:meth:`~artificial_needles.generators.base.KVGenerator.line_shape`), its tokenizer is a digit
barrier, and the formula gives the tokenizer's own count on probe prompts of 2 to 102
dictionaries (checked once per tokenizer and config, kept with the tokenizer's caches). Other
tokenizers and tasks count every prompt, as before. :class:`StructuralCount` is a mixin of
:class:`~artificial_needles.generators.base.KVGenerator`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from artificial_needles.generators.budget import PROBE_SIZES
from artificial_needles.generators.templates import assemble_prompt
from artificial_needles.tokens.digit_barrier import digit_barrier

if TYPE_CHECKING:
    from artificial_needles.generators.config import KVConfig
    from artificial_needles.generators.sample import DictBlock, Gold
    from artificial_needles.tokens.counter import TokenCounter

_DIGITS = re.compile(r"\d")


#: What renders a prompt: a subclass that overrides one of these must declare the shape again.
_RENDERING = ("render_dict", "_render", "_render_lines")


def _shape_is_current(obj: object) -> bool:
    """Whether the class that defines ``line_shape`` is (or derives from) every class that
    defines how ``obj`` renders its prompt."""
    mro = type(obj).__mro__

    def owner(name: str) -> type:
        return next(c for c in mro if name in c.__dict__)

    return all(issubclass(owner("line_shape"), owner(name)) for name in _RENDERING)


class StructuralCount:
    """Counts of prompts from their structure (a mixin of ``KVGenerator``)."""

    cfg: KVConfig
    counter: TokenCounter
    _exact: bool | None
    _shape_tokens: dict[Hashable, int]
    _base_cache: dict[str, int]
    _names_sums: list[int]

    if TYPE_CHECKING:  # provided by KVGenerator / TokenBudget

        def make_gold(self, rng: random.Random) -> Gold: ...
        def pair_numbers(self, pair: tuple[Any, Any]) -> list[int]: ...
        def draw_dicts(self, rng: random.Random, gold: Gold, count: int) -> list[DictBlock]: ...
        def _num_tokens(self, n: int) -> int: ...
        def _line_tokens(self, name: int, body: Any) -> int: ...
        def _render_lines(self, names: list[int], bodies: list[Any]) -> list[str]: ...
        def _probe_prompt(self, rng: random.Random, gold: Gold, bodies: list[Any]) -> str: ...
        def _checked(self, kind: str, probe: Callable[[], bool]) -> bool: ...

    def line_shape(self, pairs: dict[Any, Any]) -> Hashable | None:
        """What, besides its numbers and name, fixes the text of a dictionary line with
        ``pairs`` (two lines of one shape differ only in their digits); ``None``: the task does
        not say, and its prompts are tokenized. A task that overrides ``render_dict`` (or how
        lines and prompts are rendered) must override this too, or its prompts are tokenized."""
        return None

    def _init_structural(self) -> None:
        self._exact = None
        self._shape_tokens = {}
        self._base_cache = {}
        self._names_sums = [0]

    def exact_counts(self) -> bool:
        """Whether this generator counts prompts from their structure (module docstring)."""
        if self._exact is None:
            self._exact = self._structural_ok()
        return self._exact

    def _structural_ok(self) -> bool:
        if self.line_shape({}) is None or not _shape_is_current(self):
            return False
        if not digit_barrier(self.counter):
            return False
        return self._checked("structural", self._probe_structural)

    def _probe_structural(self) -> bool:
        """The formula against the tokenizer on prompts laid out as real ones."""
        rng = random.Random(7654321)
        gold = self.make_gold(rng)
        dicts = self.draw_dicts(rng, gold, max(PROBE_SIZES))
        prompts = [self._probe_prompt(rng, gold, [d.pairs for d in dicts[:k]]) for k in PROBE_SIZES]
        counts = [self.structural_count(gold, dicts[:k]) for k in PROBE_SIZES]
        return self.counter.count_many(prompts) == counts

    # -- the parts of the formula -------------------------------------------------------------
    def line_cost(self, pairs: dict[Any, Any], raw: int | None = None) -> int:
        """Exact tokens of a dictionary line with ``pairs``, its name excluded (``raw``: the
        tokens of its numbers, when known)."""
        if raw is None:
            tok = self._num_tokens
            raw = sum(tok(x) for p in pairs.items() for x in self.pair_numbers(p))
        shape = self.line_shape(pairs)
        extra = self._shape_tokens.get(shape)
        if extra is None:
            line = self._line_tokens(1, pairs) - self._num_tokens(1)
            extra = self._shape_tokens[shape] = line - raw
        return raw + extra

    def _block_cost(self, block: DictBlock) -> int:
        return self.line_cost(block.pairs, block.raw)

    def _names_sum(self, n: int) -> int:
        """Tokens of the names 1..n."""
        sums = self._names_sums
        while len(sums) <= n:
            sums.append(sums[-1] + self._num_tokens(len(sums)))
        return sums[n]

    def _base(self, gold: Gold) -> int:
        """Tokens of the prompt around its lines, per digit pattern of the question."""
        pattern = _DIGITS.sub("0", gold.question)
        base = self._base_cache.get(pattern)
        if base is None:
            gold_line = dict(gold.pairs)
            one = assemble_prompt(self._render_lines([1], [gold_line]), gold.question)
            line = self.line_cost(gold_line) + self._num_tokens(1)
            base = self._base_cache[pattern] = self.counter.count(one) - line
        return base

    def structural_count(self, gold: Gold, dicts: list[DictBlock]) -> int:
        """The exact count of the prompt of ``gold`` and ``dicts`` (any layout), from the
        formula of the module docstring; valid when :meth:`exact_counts` is True."""
        shape_of, known = self.line_shape, self._shape_tokens
        total = self._base(gold) + self.line_cost(dict(gold.pairs))
        for block in dicts:  # the hot loop: a block's numbers known, its shape seen before
            raw = block.raw
            extra = None if raw is None else known.get(shape_of(block.pairs))
            total += self._block_cost(block) if extra is None else raw + extra
        return total + self._names_sum(len(dicts) + 1)
