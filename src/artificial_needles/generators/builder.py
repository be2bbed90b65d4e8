"""The sample builder: a task plus a tokenizer make a :class:`Generator` of sized samples.

A generator turns ``(config, index)`` into one :class:`~artificial_needles.generators.sample.Sample`
whose prompt fits the budget (``max_tokens - margin``) of the target tokenizer. The work per sample:

1. the task draws the gold dictionary and its question from a per-sample RNG (stable hash of
   seed, index);
2. distractor dictionaries: a fixed number, or as many as fit the budget (fill mode), using the
   calibrated estimate of their token cost (:mod:`~.budget`), so no tokenization happens while
   drawing (:mod:`~.distractors`);
3. the layout (gold position and names depend only on seed, index and the number of
   dictionaries; linked dictionaries are placed after), the prompt, and one exact count: from
   its structure for a tokenizer that gives each digit its own token (:mod:`~.exact_count`),
   else by tokenizing it;
4. only if the exact count disagrees with the estimate: drop or add one distractor (fill mode),
   the new count being the last one minus or plus the exact tokens of that line when the
   tokenizer counts additively over lines, else counted again; or remove keys from distractors
   (fixed mode) and count again.

The metadata of a sample is described in :mod:`~.sample`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.budget import LineCosts, check_feasible
from artificial_needles.generators.config import KVConfig
from artificial_needles.generators.distractors import Distractors
from artificial_needles.generators.draw import choose_position
from artificial_needles.generators.exact_count import StructuralCount
from artificial_needles.generators.sample import DictBlock, Gold, Sample
from artificial_needles.generators.task import KVTask
from artificial_needles.generators.templates import assemble_prompt
from artificial_needles.seeding import sample_rng
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
    positions: list[int]  # the gold dictionary's line, then each linked one's (0-based)
    count: int | None  # exact count from the structure, else None


class Generator:
    """Samples of ``task`` sized for ``counter``'s tokenizer (module docstring)."""

    def __init__(
        self,
        task: KVTask,
        counter: TokenCounter,
        preset: str | None = None,
        *,
        like: Generator | None = None,
    ) -> None:
        self.task = task
        self.counter = counter
        self.preset = preset
        if (
            like is not None
            and like.counter is counter
            and like.costs.key == LineCosts.calibration_key(task)
        ):
            # Same tokenizer and calibration: share the fit, the probes and every memo.
            self.costs, self.structure, self.distractors = (
                like.costs,
                like.structure,
                like.distractors,
            )
        else:
            self.costs = LineCosts(task, counter)
            self.structure = StructuralCount(task, self.costs)
            self.distractors = Distractors(task, self.costs)
        self.check_feasible()

    def check_feasible(self) -> None:
        """Fail at once, naming the parameter to change, when some sample could not fit."""
        check_feasible(self.task, self.costs)

    @property
    def cfg(self) -> KVConfig:
        return self.task.cfg

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def domain(self) -> str:
        return self.task.domain

    def check_sample(self, prompt: str, answer: str, meta: dict[str, Any]) -> list[str]:
        """Every invariant violated by one generated sample of this task."""
        return self.task.check_sample(prompt, answer, meta)

    def with_config(self, config: KVConfig) -> Generator:
        """A generator for ``config`` that shares this one's calibration and caches (configs
        that differ only in the task's calibration-free fields: seed, budget, gold position)."""
        return Generator(self.task.with_config(config), self.counter, self.preset, like=self)

    def exact_counts(self) -> bool:
        """Whether prompts are counted from their structure (:mod:`~.exact_count`)."""
        return self.structure.enabled()

    # -- layout -----------------------------------------------------------------------------
    def _layout(
        self, index: int, dicts: list[DictBlock], gold: Gold
    ) -> tuple[list[Any], list[int], list[int]]:
        """The dictionary bodies in prompt order, their names, and the lines of the gold and
        linked dictionaries."""
        n = len(dicts) + 1 + len(gold.linked)
        rng = sample_rng(self.cfg.seed, index, f"{self.name}/layout/{n}", self.domain)
        pos = choose_position(self.cfg, n, rng)
        names = list(range(1, n + 1))
        if self.cfg.shuffle_names:
            rng.shuffle(names)
        bodies: list[Any] = [d.pairs for d in dicts]
        if not gold.linked:
            bodies.insert(pos, dict(gold.pairs))
            return bodies, names, [pos]
        others = [i for i in range(n) if i != pos]
        positions = [pos, *rng.sample(others, len(gold.linked))]
        fixed = dict(zip(positions, [gold.pairs, *gold.linked], strict=True))
        rest = iter(bodies)
        bodies = [dict(fixed[i]) if i in fixed else next(rest) for i in range(n)]
        return bodies, names, positions

    def _render(
        self, index: int, dicts: list[DictBlock], gold: Gold
    ) -> tuple[str, list[int], list[int]]:
        """The prompt of ``dicts`` and the gold dictionary, its names and the fixed lines."""
        bodies, names, positions = self._layout(index, dicts, gold)
        prompt = assemble_prompt(self.task.render_lines(names, bodies), gold.question)
        return prompt, names, positions

    # -- samples ----------------------------------------------------------------------------
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
        cfg, task, costs = self.cfg, self.task, self.costs
        rng = sample_rng(cfg.seed, index, self.name, self.domain)
        gold = task.make_gold(rng)
        pending: DictBlock | None = None
        fixed = 1 + len(gold.linked)
        if cfg.num_dicts is None:
            est = costs.skeleton_tokens(gold.question) + costs.estimate(gold.pairs)
            est += sum(costs.estimate(p) for p in gold.linked) + costs.names_tokens(fixed)
            dicts, pending = self.distractors.fill(rng, gold, est, cfg.budget, fixed + 1)
        else:
            dicts = task.draw_dicts(rng, gold, cfg.num_dicts - 1, costs)
        prompt, names, positions = self._render(index, dicts, gold)
        count = self.structure.count(gold, dicts) if self.exact_counts() else None
        return _Draft(index, rng, gold, dicts, pending, prompt, names, positions, count)

    def _after_line(self, count: int, sign: int, name: int, block: DictBlock) -> int | None:
        """The exact count after adding (``sign`` 1) or dropping (-1) the line of dictionary
        ``name`` with ``block``, from the count before; ``None`` (count the prompt again) for a
        tokenizer whose counts are not additive over lines."""
        costs = self.costs
        if self.exact_counts():
            return count + sign * (self.structure.block_cost(block) + costs.num_tokens(name))
        if not costs.line_additive():
            return None
        return count + sign * costs.line_tokens(name, block.pairs)

    def _settle(self, draft: _Draft, num_tokens: int) -> Sample:
        """Step 4 from the draft's exact count ``num_tokens``, then the sample."""
        cfg = self.cfg
        budget = cfg.budget
        index, rng, gold = draft.index, draft.rng, draft.gold
        dicts, pending = draft.dicts, draft.pending
        prompt: str | None = draft.prompt  # rendered for the current dicts
        names, positions = draft.names, draft.positions
        fill = cfg.num_dicts is None
        fixed = 1 + len(gold.linked)
        added = 0
        count: int | None = num_tokens  # exact count of the prompt of the current dicts
        for _ in range(_MAX_ADJUST_ROUNDS):
            if count is None and self.exact_counts():
                count, prompt = self.structure.count(gold, dicts), None
            elif count is None:
                prompt, names, positions = self._render(index, dicts, gold)
                count = self.counter.count(prompt)
            over = count - budget
            if over > 0:
                if fill and dicts:
                    pending = None
                    dropped = dicts.pop()
                    count = self._after_line(count, -1, len(dicts) + fixed + 1, dropped)
                    prompt = None
                    continue
                if not fill and self.distractors.shrink_by(rng, dicts, over):
                    count = None
                    continue
                fix = (
                    "raise max_tokens"
                    if fill
                    else "lower num_dicts or dict_size, or raise max_tokens"
                )
                raise NeedlesError(
                    f"{self.name}: sample {index} needs {count} tokens, over the budget "
                    f"of {budget}; {fix}"
                )
            # Recount only when the shortfall is worth it: a dictionary more fits and the
            # prompt is more than 1.5% short of the budget.
            if fill and pending is not None and added < 2 and -over > 0.015 * budget:
                if -over >= pending.est + self.costs.num_tokens(len(dicts) + fixed + 1):
                    dicts.append(pending)
                    count = self._after_line(count, 1, len(dicts) + fixed, pending)
                    prompt = None
                    pending = self.distractors.new_dict(rng, gold)
                    added += 1
                    continue
            break
        else:  # pragma: no cover - bounded by the number of dictionaries and keys
            raise NeedlesError(f"{self.name}: sample {index} did not settle within the budget")
        if prompt is None:
            prompt, names, positions = self._render(index, dicts, gold)
        return self._sample(index, prompt, count, len(dicts) + fixed, gold, names, positions)

    def _sample(
        self,
        index: int,
        prompt: str,
        count: int,
        num_dicts: int,
        gold: Gold,
        names: list[int],
        positions: list[int],
    ) -> Sample:
        cfg = self.cfg
        fixed_names = [names[p] for p in positions]
        meta = {
            "task": self.name,
            "preset": self.preset,
            "seed": cfg.seed,
            "index": index,
            "num_tokens": count,
            "max_tokens": cfg.max_tokens,
            "budget": cfg.budget,
            "tokenizer": self.counter.name,
            "chat_template": self.counter.chat_template,
            "num_dicts": num_dicts,
            "gold_key": gold.key,
            "gold_value": gold.value,
            "gold_dict_name": fixed_names[0],
            "gold_position": positions[0] + 1,
            "answer_template": cfg.answer_template,
            **gold.extra_meta,
        }
        if gold.linked:
            meta["linked_dict_names"] = fixed_names[1:]
            meta["linked_positions"] = [p + 1 for p in positions[1:]]
        return Sample(prompt, self.task.answer_for(gold, fixed_names), meta)
