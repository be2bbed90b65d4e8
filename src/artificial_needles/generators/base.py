"""The base class of the dictionary KV generators: what a task defines, and the sample loop.

A generator turns ``(config, index)`` into one :class:`~artificial_needles.generators.sample.Sample`
whose prompt fits ``max_tokens - margin`` tokens of the target tokenizer. The work per sample:

1. draw the gold dictionary and its question from a per-sample RNG (stable hash of seed, index);
2. draw distractor dictionaries: a fixed number, or as many as fit the budget (fill mode),
   using a calibrated estimate of their token cost (:mod:`artificial_needles.generators.budget`),
   so no tokenization happens while drawing;
3. lay out the dictionaries (gold position and names depend only on seed, index and the number
   of dictionaries), render the prompt and count it once, exactly: from its structure for a
   tokenizer that gives each digit its own token (:mod:`~.exact_count`), else by tokenizing it;
4. only if the exact count disagrees with the estimate: drop or add one distractor (fill mode),
   the new count being the last one minus or plus the exact tokens of that line when the
   tokenizer counts additively over lines (:mod:`artificial_needles.generators.budget`), else
   counted again; or remove keys from distractors (fixed mode) and count again.

A task (built in or from a plugin) subclasses :class:`KVGenerator`, sets ``name``,
``config_cls`` (a :class:`~artificial_needles.generators.config.KVConfig` subclass), ``description``
and ``presets``, and defines the abstract methods below. The metadata of a sample is described in
:mod:`artificial_needles.generators.sample`.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.budget import TokenBudget
from artificial_needles.generators.config import KVConfig
from artificial_needles.generators.distractors import Distractors
from artificial_needles.generators.draw import choose_position
from artificial_needles.generators.exact_count import StructuralCount
from artificial_needles.generators.parse import Parsed, check_layout, parse_dictionaries
from artificial_needles.generators.sample import DictBlock, Gold, Sample
from artificial_needles.generators.templates import (
    assemble_prompt,
    dictionary_line,
    dictionary_lines,
)
from artificial_needles.seeding import check_domain, sample_rng
from artificial_needles.tokens.cache import number_cache
from artificial_needles.tokens.counter import TokenCounter

_MAX_ADJUST_ROUNDS = 64
#: Samples drafted before their first counts go to the tokenizer in one call.
_COUNT_BATCH = 16


@dataclass(slots=True)
class _Draft:
    """A sample up to its first exact count: its RNG (mid-stream), gold, dictionaries, the
    first dictionary that did not fit (fill mode) and the rendered prompt and layout."""

    index: int
    rng: random.Random
    gold: Gold
    dicts: list[DictBlock]
    pending: DictBlock | None
    prompt: str
    names: list[int]
    pos: int
    count: int | None  # exact count from the structure (exact_count.py), else None


class KVGenerator(Distractors, StructuralCount, TokenBudget, ABC):
    """Base class of dictionary KV retrieval generators; subclasses define keys and strings."""

    name: ClassVar[str]
    config_cls: ClassVar[type[KVConfig]]
    description: ClassVar[str]
    presets: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(
        self,
        config: KVConfig,
        counter: TokenCounter,
        preset: str | None = None,
        domain: str = "train",
    ):
        if not isinstance(config, self.config_cls):
            raise TypeError(f"{self.name} needs a {self.config_cls.__name__}")
        self.cfg = config
        #: Data domain ("train", "eval", "validation"; :mod:`artificial_needles.seeding`): part
        #: of every random stream's label, and it fixes the class of the keys (and values) that
        #: make_gold / make_pair draw, so evaluation data never meets training data.
        self.domain = check_domain(domain)
        self.counter = counter
        self.preset = preset
        # Token counts of printed integers, shared by every generator of this counter.
        self._ntok: dict[int, int] = number_cache(counter)
        self._skeleton_cache: dict[Any, int] = {}
        self._additive: bool | None = None  # see _after_line
        self._init_structural()
        self._weights = self._calibrate()
        self._check_feasible()

    # -- what subclasses define ---------------------------------------------------------
    @abstractmethod
    def make_gold(self, rng: random.Random) -> Gold:
        """Draw the gold dictionary, key, value and question."""

    @abstractmethod
    def make_pair(self, rng: random.Random, gold: Gold) -> tuple[Any, Any]:
        """Draw one distractor key-value pair that keeps the invariants."""

    @abstractmethod
    def pair_numbers(self, pair: tuple[Any, Any]) -> list[int]:
        """Every integer printed for a pair (for the token estimate)."""

    @abstractmethod
    def answer(self, gold: Gold, name: int) -> str:
        """The target answer for the gold dictionary called ``name``."""

    @classmethod
    @abstractmethod
    def check_content(
        cls,
        dicts: Parsed,
        gold_index: int,
        question: str,
        answer: str,
        meta: dict[str, Any],
    ) -> list[str]:
        """Task-specific invariants of one parsed sample (``gold_index`` is 0-based)."""

    def smallest_pair(self) -> tuple[Any, Any]:
        """A pair with the fewest digits the config allows (sizes the fill batches)."""
        k = 10 ** (self.cfg.key_digits[0] - 1)
        return (k, 10 ** (self.cfg.value_digits[0] - 1))

    def widest_pair(self) -> tuple[Any, Any]:
        """A pair with the most digits the config allows (for the feasibility check)."""
        return (10 ** self.cfg.key_digits[1] - 1, 10 ** self.cfg.value_digits[1] - 1)

    def render_dict(self, pairs: dict[Any, Any] | Sequence[tuple[Any, Any]]) -> str:
        """Python ``repr`` of the dictionary (docs/formats.md)."""
        return repr(pairs if isinstance(pairs, dict) else dict(pairs))

    # -- the sample ---------------------------------------------------------------------
    def _layout(
        self, index: int, dicts: list[DictBlock], gold: Gold
    ) -> tuple[list[dict[Any, Any]], list[int], int]:
        n = len(dicts) + 1
        rng = sample_rng(self.cfg.seed, index, f"{self.name}/layout/{n}", self.domain)
        pos = choose_position(self.cfg, n, rng)
        names = list(range(1, n + 1))
        if self.cfg.shuffle_names:
            rng.shuffle(names)
        bodies = [d.pairs for d in dicts]
        bodies.insert(pos, dict(gold.pairs))
        return bodies, names, pos

    def _render(self, index: int, dicts: list[DictBlock], gold: Gold) -> tuple[str, list[int], int]:
        """The prompt of ``dicts`` and the gold dictionary, its names and the gold position."""
        bodies, names, pos = self._layout(index, dicts, gold)
        return assemble_prompt(self._render_lines(names, bodies), gold.question), names, pos

    def _render_lines(self, names: list[int], bodies: list[Any]) -> list[str]:
        """The dictionary lines of ``bodies`` called ``names`` (one C-level pass when the task
        keeps the default :meth:`render_dict`)."""
        if type(self).render_dict is KVGenerator.render_dict:
            return dictionary_lines(names, bodies)
        render = self.render_dict
        return [dictionary_line(n, render(b)) for n, b in zip(names, bodies, strict=True)]

    def sample(self, index: int) -> Sample:
        """Generate sample ``index``; depends only on the config, the tokenizer and ``index``."""
        draft = self._draft(index)
        count = draft.count
        return self._settle(draft, self.counter.count(draft.prompt) if count is None else count)

    def iter_samples(self, start: int = 0, stop: int | None = None) -> Iterator[Sample]:
        """Samples ``start .. stop-1`` (default: up to ``num_samples``).

        The same samples as :meth:`sample`, drafted a few at a time so that their first exact
        counts run back to back in one ``count_many`` call (the tokenizer then keeps its
        tight-loop speed instead of competing with drawing for the CPU caches).
        """
        end = self.cfg.num_samples if stop is None else stop
        for lo in range(start, end, _COUNT_BATCH):
            drafts: list[_Draft] = []
            failure: Exception | None = None
            for i in range(lo, min(lo + _COUNT_BATCH, end)):
                try:
                    drafts.append(self._draft(i))
                except Exception as exc:  # raised after the samples before it, as sample() would
                    failure = exc
                    break
            todo = [d for d in drafts if d.count is None]
            counts = iter(self.counter.count_many([d.prompt for d in todo]) if todo else [])
            for draft in drafts:
                yield self._settle(draft, next(counts) if draft.count is None else draft.count)
            if failure is not None:
                raise failure

    def _draft(self, index: int) -> _Draft:
        """Steps 1-3 of the module docstring up to the first exact count."""
        cfg = self.cfg
        rng = sample_rng(cfg.seed, index, self.name, self.domain)
        gold = self.make_gold(rng)
        pending: DictBlock | None = None
        if cfg.num_dicts is None:
            skeleton = self._skeleton_tokens(gold.question)
            est = skeleton + self._estimate(gold.pairs) + self._num_tokens(1)
            dicts, pending = self._fill(rng, gold, est)
        else:
            dicts = self.draw_dicts(rng, gold, cfg.num_dicts - 1)
        prompt, names, pos = self._render(index, dicts, gold)
        count = self.structural_count(gold, dicts) if self.exact_counts() else None
        return _Draft(index, rng, gold, dicts, pending, prompt, names, pos, count)

    def _settle(self, draft: _Draft, num_tokens: int) -> Sample:
        """Step 4 from the draft's exact count ``num_tokens``, then the sample."""
        cfg = self.cfg
        budget = cfg.budget
        index, rng, gold = draft.index, draft.rng, draft.gold
        dicts, pending = draft.dicts, draft.pending
        prompt: str | None = draft.prompt  # rendered for the current dicts
        names, pos = draft.names, draft.pos
        fill = cfg.num_dicts is None
        added = 0
        count: int | None = num_tokens  # exact count of the prompt of the current dicts
        for _ in range(_MAX_ADJUST_ROUNDS):
            if count is None and self.exact_counts():
                count, prompt = self.structural_count(gold, dicts), None
            elif count is None:
                prompt, names, pos = self._render(index, dicts, gold)
                count = self.counter.count(prompt)
            over = count - budget
            if over > 0:
                if fill and dicts:
                    pending = None
                    dropped = dicts.pop()
                    count = self._after_line(count, -1, len(dicts) + 2, dropped)
                    prompt = None
                    continue
                if not fill and self._shrink_by(rng, dicts, over):
                    count = None
                    continue
                raise NeedlesError(
                    f"{self.name}: sample {index} needs {count} tokens, over the budget "
                    f"of {budget}; "
                    + (
                        "raise max_tokens"
                        if fill
                        else "lower num_dicts or dict_size, or raise max_tokens"
                    )
                )
            # Recount only when the shortfall is worth it: a dictionary more fits and the
            # prompt is more than 1.5% short of the budget.
            if fill and pending is not None and added < 2 and -over > 0.015 * budget:
                if -over >= pending.est + self._num_tokens(len(dicts) + 2):
                    dicts.append(pending)
                    count = self._after_line(count, 1, len(dicts) + 1, pending)
                    prompt = None
                    pending = self._new_dict(rng, gold)
                    added += 1
                    continue
            break
        else:  # pragma: no cover - bounded by the number of dictionaries and keys
            raise NeedlesError(f"{self.name}: sample {index} did not settle within the budget")
        if prompt is None:
            prompt, names, pos = self._render(index, dicts, gold)

        name = names[pos]
        meta = {
            "task": self.name,
            "preset": self.preset,
            "seed": cfg.seed,
            "index": index,
            "num_tokens": count,
            "max_tokens": cfg.max_tokens,
            "budget": budget,
            "tokenizer": self.counter.name,
            "chat_template": self.counter.chat_template,
            "num_dicts": len(dicts) + 1,
            "gold_key": gold.key,
            "gold_value": gold.value,
            "gold_dict_name": name,
            "gold_position": pos + 1,
            "answer_template": cfg.answer_template,
            **gold.extra_meta,
        }
        return Sample(prompt, self.answer(gold, name), meta)

    @classmethod
    def check_sample(cls, prompt: str, answer: str, meta: dict[str, Any]) -> list[str]:
        """Every invariant violated by one generated sample (empty list when it is valid)."""
        try:
            dicts, question = parse_dictionaries(prompt)
        except (ValueError, SyntaxError) as exc:
            return [str(exc)]
        problems, has_gold = check_layout(dicts, meta)
        if has_gold:
            pos = meta["gold_position"]
            problems += cls.check_content(dicts, pos - 1, question, answer, meta)
        return problems
