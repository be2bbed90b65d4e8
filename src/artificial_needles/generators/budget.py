"""Token costs of dictionary lines for one task and tokenizer: :class:`LineCosts`.

Drawing distractors never tokenizes: the cost of a dictionary line is estimated as the exact
token count of each printed number (kept per integer in the tokenizer's caches) plus a
structural cost per line, per pair and per number, fitted by least squares on a few probe
prompts counted exactly with the target tokenizer (:meth:`LineCosts.fit`). The finished prompt
is then counted once, exactly (:mod:`~.builder`).

When the estimate was off, the sample builder adds or drops whole dictionary lines. For a
tokenizer whose count of a prompt is the sum of its lines' counts (:meth:`LineCosts.line_additive`,
checked once per tokenizer on probe prompts laid out as real ones and counted as they are), the
count after such a change is the last exact count plus or minus the exact tokens of that one
line (:meth:`LineCosts.line_tokens`), so a 64K-token prompt is not tokenized again for every
line. Other tokenizers recount the whole prompt. Counts stay exact either way. (Tokenizers that
give each digit its own token skip both: :mod:`~.exact_count`.)

Fits and probe verdicts are kept in the tokenizer's caches (:mod:`artificial_needles.tokens.cache`)
under the task's calibration key: its class, domain and the config fields the calibration reads.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.config import IntRange
from artificial_needles.generators.sample import Gold
from artificial_needles.generators.task import KVTask
from artificial_needles.generators.templates import assemble_prompt, dictionary_line
from artificial_needles.tokens.cache import Fit
from artificial_needles.tokens.counter import TokenCounter

_DIGITS = re.compile(r"\d")
#: Probe prompts of the calibration: (dictionary lines, pairs per dictionary).
_PROBES = [(8, 1), (8, 3), (16, 2), (16, 5), (24, 1), (24, 4), (12, 7), (30, 3)]
#: The context of :meth:`LineCosts.line_tokens`: a line between two other lines.
_REF_BEFORE = "Dictionary [1] {1: 2}\n"
_REF_AFTER = "\nDictionary [3] {4: 5}"
#: Distractor counts of the probe prompts of the line and structure checks.
PROBE_SIZES = (1, 2, 9, 10, 11, 99, 100, 101)


class LineCosts:
    """The token estimate of dictionary lines of ``task`` with ``counter``'s tokenizer, exact
    per-number counts and probe checks. A task may read :attr:`number_tokens`, :attr:`weights`
    and :meth:`estimate` to draw batches quickly (``simple-kv`` does)."""

    def __init__(self, task: KVTask, counter: TokenCounter) -> None:
        self.task = task
        self.counter = counter
        #: Token counts of ``" <n>"`` per printed integer, shared by every user of the tokenizer.
        self.number_tokens: dict[int, int] = counter.caches.numbers
        self.key = self.calibration_key(task)
        self._skeletons: dict[str, int] = {}  # by digit pattern of the question
        self._exact_skeletons: dict[str, int] = {}  # by question
        self._additive: bool | None = None
        #: The fitted structural cost of a line: per line, per pair, per number.
        self.weights: Fit = self._fitted()

    @staticmethod
    def calibration_key(task: KVTask) -> str:
        """What the fit depends on: the task class, its domain and its calibration fields."""
        fields = task.cfg.model_dump()
        relevant = sorted((k, v) for k, v in fields.items() if k not in task.calibration_free)
        cls = type(task)
        return f"{cls.__module__}.{cls.__qualname__}|{task.domain}|{relevant!r}"

    # -- numbers ---------------------------------------------------------------------------
    def num_tokens(self, n: int) -> int:
        """Exact tokens of the integer ``n`` printed after a space."""
        t = self.number_tokens.get(n)
        if t is None:
            t = self.number_tokens[n] = self.counter.encode_len(f" {n}")
        return t

    def warm_numbers(self, ranges: Sequence[IntRange]) -> None:
        """Count every integer of small digit ranges in one batch (fast tokenizers batch); a
        range counted before for this tokenizer (in this process or on disk) is skipped."""
        done = self.counter.caches.number_ranges
        ranges = [r for r in ranges if tuple(r) not in done]
        todo = sorted(
            {
                n
                for lo, hi in ranges
                for n in range(10 ** (lo - 1) if lo > 1 else 0, 10**hi)
                if n not in self.number_tokens
            }
        )
        if todo:
            lens = self.counter.encode_len_many([f" {n}" for n in todo])
            self.number_tokens.update(zip(todo, lens, strict=True))
        done.update((lo, hi) for lo, hi in ranges)

    def names_tokens(self, n: int) -> int:
        """Tokens of the names 1..n."""
        return sum(self.num_tokens(i) for i in range(1, n + 1))

    # -- the estimate ----------------------------------------------------------------------
    def raw(self, pairs: Sequence[tuple[Any, Any]]) -> int:
        """Exact tokens of the numbers printed for ``pairs``."""
        tok, numbers = self.num_tokens, self.task.pair_numbers
        return sum(tok(x) for p in pairs for x in numbers(p))

    def estimate(self, pairs: Sequence[tuple[Any, Any]]) -> float:
        """Calibrated token cost of one dictionary line, its name excluded."""
        tok, numbers = self.num_tokens, self.task.pair_numbers
        raw = nums = 0
        for p in pairs:
            for x in numbers(p):
                raw += tok(x)
                nums += 1
        w = self.weights
        return raw + w[0] + w[1] * len(pairs) + w[2] * nums

    @property
    def line_floor(self) -> float:
        """A lower bound-ish on the tokens of one line (sizes the fill batches)."""
        task = self.task
        return max(1.0, self.estimate([task.smallest_pair()] * task.cfg.dict_size[1]))

    def skeleton_tokens(self, question: str) -> int:
        """Tokens of the prompt without dictionary lines, memoised per digit pattern of the
        question (an estimate: the exact count of the finished prompt settles it)."""
        pattern = _DIGITS.sub("0", question)
        n = self._skeletons.get(pattern)
        if n is None:
            n = self._skeletons[pattern] = self.counter.count(assemble_prompt([], question))
        return n

    def exact_skeleton(self, question: str) -> int:
        """Exact tokens of the prompt of ``question`` without lines (memoised per question)."""
        n = self._exact_skeletons.get(question)
        if n is None:
            n = self._exact_skeletons[question] = self.counter.count(assemble_prompt([], question))
        return n

    # -- the fit ---------------------------------------------------------------------------
    def _fitted(self) -> Fit:
        fits = self.counter.caches.fits
        weights = fits.get(self.key)
        if weights is None:
            weights = fits[self.key] = self.fit()
        return weights

    def fit(self) -> Fit:
        """Fit the structural token cost of a line (per line, per pair, per number) by least
        squares on a few probe prompts counted exactly with the target tokenizer."""
        import numpy as np

        task, counter = self.task, self.counter
        rng = random.Random(1234567)
        gold = task.make_gold(rng)
        rows, ys = [], []
        for n_lines, size in _PROBES:
            dicts = [[task.make_pair(rng, gold) for _ in range(size)] for _ in range(n_lines)]
            lines = [dictionary_line(i + 1, task.render_dict(d)) for i, d in enumerate(dicts)]
            total = counter.encode_len("\n" + "\n".join(lines) + "\n")
            base = counter.encode_len("\n\n")
            names = self.names_tokens(n_lines)
            nums = sum(len(task.pair_numbers(p)) for d in dicts for p in d)
            rows.append([float(n_lines), float(sum(map(len, dicts))), float(nums)])
            ys.append(total - base - names - sum(self.raw(d) for d in dicts))
        w, *_ = np.linalg.lstsq(np.array(rows), np.array(ys, dtype=float), rcond=None)
        return (float(w[0]), float(w[1]), float(w[2]))

    # -- lines and probes ------------------------------------------------------------------
    def line_tokens(self, name: int, body: Any) -> int:
        """Exact tokens that the line of dictionary ``name`` with ``body`` adds between two
        other dictionary lines (the same in every prompt when :meth:`line_additive`)."""
        line = dictionary_line(name, self.task.render_dict(body))
        return self.counter.encode_len(_REF_BEFORE + line + _REF_AFTER) - self._ref_tokens

    @functools.cached_property
    def _ref_tokens(self) -> int:
        return self.counter.encode_len(_REF_BEFORE[:-1] + _REF_AFTER)

    def line_additive(self) -> bool:
        """Whether adding or dropping the last distractor changes the exact prompt count by
        :meth:`line_tokens` of its line, on probe prompts of 2 to 102 dictionaries (names of
        one to three digits, the layout redrawn as in a real sample); cached per tokenizer."""
        if self._additive is None:
            self._additive = self.checked("additive", self._probe_additive)
        return self._additive

    def _probe_additive(self) -> bool:
        rng = random.Random(7654321)
        gold = self.task.make_gold(rng)
        dicts = [d.pairs for d in self.task.draw_dicts(rng, gold, max(PROBE_SIZES), self)]
        for k in PROBE_SIZES:
            whole, less = self.counter.count_many(
                [
                    self.probe_prompt(rng, gold, dicts[:k]),
                    self.probe_prompt(rng, gold, dicts[: k - 1]),
                ]
            )
            if whole - less != self.line_tokens(k + 1, dicts[k - 1]):
                return False
        return True

    def probe_prompt(self, rng: random.Random, gold: Gold, bodies: list[Any]) -> str:
        """The prompt of the distractor ``bodies`` with the gold dictionary (and its linked
        ones) at random places and the names shuffled, as a real sample lays them out."""
        bodies = [*bodies]
        bodies.insert(rng.randrange(len(bodies) + 1), dict(gold.pairs))
        for pairs in gold.linked:  # no draw without linked dictionaries (probes stay as they were)
            bodies.insert(rng.randrange(len(bodies) + 1), dict(pairs))
        names = list(range(1, len(bodies) + 1))
        rng.shuffle(names)
        return assemble_prompt(self.task.render_lines(names, bodies), gold.question)

    def checked(self, kind: str, probe: Callable[[], bool]) -> bool:
        """``probe()``, run once per tokenizer (chat template and system turn included) and
        calibration key, its verdict kept in the tokenizer's caches."""
        c = self.counter
        verdicts = c.caches.verdicts
        key = f"{kind}|{c.chat_template}|{c.system!r}|{self.key}"
        if key not in verdicts:
            verdicts[key] = bool(probe())
        return verdicts[key]


def check_feasible(task: KVTask, costs: LineCosts) -> None:
    """Fail at once, naming the parameter to change, when some sample could not fit.

    Fixed-size mode shrinks distractors down to ``dict_size`` min when a sample runs over,
    so the worst case is every dictionary at its minimum size with the widest numbers.
    """
    cfg = task.cfg
    gold = task.make_gold(random.Random(0))
    widest = task.widest_pair()
    # gold_dict_size "match" draws the gold (and linked) sizes from dict_size: the largest
    fixed = [len(p) for p in gold.linked]
    if cfg.gold_size_matches:
        fixed = [max(n, cfg.gold_size_max) for n in fixed]
    fixed.insert(0, cfg.gold_size_max)
    need = (
        costs.exact_skeleton(gold.question)
        + sum(costs.estimate([widest] * n) for n in fixed)
        + costs.names_tokens(len(fixed))
    )
    if need > cfg.budget:
        raise NeedlesError(
            f"{task.name}: the question and the gold dictionary alone need about "
            f"{need:.0f} tokens but the budget is {cfg.budget} "
            f"(max_tokens {cfg.max_tokens} - margin {cfg.margin}); raise max_tokens "
            "or lower gold_dict_size"
        )
    if cfg.num_dicts is not None:
        small = [widest] * cfg.dict_size[0]
        n = cfg.num_dicts + len(gold.linked)
        worst = (
            need
            + (cfg.num_dicts - 1) * costs.estimate(small)
            + costs.names_tokens(n)
            - costs.names_tokens(len(fixed))
        )
        if worst > cfg.budget:
            raise NeedlesError(
                f"{task.name}: num_dicts={cfg.num_dicts} may need about {worst:.0f} tokens "
                f"even with every dictionary shrunk to dict_size min {cfg.dict_size[0]}, "
                f"over the budget of {cfg.budget} (max_tokens {cfg.max_tokens} - margin "
                f"{cfg.margin}); lower num_dicts, key_digits or value_digits, or raise "
                "max_tokens"
            )
