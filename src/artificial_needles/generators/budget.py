"""Token accounting of the KV generators: a calibrated cost estimate and the feasibility check.

Drawing distractors never tokenizes: the cost of a dictionary line is estimated as the exact
token count of each printed number (cached per integer) plus a structural cost per line, per
pair and per number, fitted by least squares on a few probe prompts counted exactly with the
target tokenizer (:meth:`TokenBudget._calibrate`). The finished prompt is then counted once,
exactly (see :mod:`artificial_needles.generators.base`).

When the estimate was off, the sample loop adds or drops whole dictionary lines. For a tokenizer
whose count of a prompt is the sum of its lines' counts (:meth:`TokenBudget._line_additive`,
checked once per tokenizer on probe prompts laid out as real ones and counted as they are), the
count after such a change is the last exact count plus or minus the exact tokens of that one
line (:meth:`TokenBudget._line_tokens`), so a 64K-token prompt is not tokenized again for every
line. Other tokenizers recount the whole prompt. Counts stay exact either way. (Tokenizers that
give each digit its own token skip both: :mod:`artificial_needles.generators.exact_count`.)

:class:`TokenBudget` is a mixin of :class:`~artificial_needles.generators.base.KVGenerator`; it
uses the generator's ``cfg``, ``counter``, ``make_gold``, ``make_pair``, ``pair_numbers``,
``render_dict``, ``_render_lines``, ``draw_dicts``, ``smallest_pair`` and ``widest_pair``, and
the structural counts of :mod:`~.exact_count` where they apply (:meth:`TokenBudget._after_line`).
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.config import IntRange
from artificial_needles.generators.templates import assemble_prompt, dictionary_line

if TYPE_CHECKING:
    from artificial_needles.generators.config import KVConfig
    from artificial_needles.generators.sample import DictBlock, Gold
    from artificial_needles.tokens.counter import TokenCounter

_DIGITS = re.compile(r"\d")
#: Probe prompts of the calibration: (dictionary lines, pairs per dictionary).
_PROBES = [(8, 1), (8, 3), (16, 2), (16, 5), (24, 1), (24, 4), (12, 7), (30, 3)]
#: The context of :meth:`TokenBudget._line_tokens`: a line between two other lines.
_REF_BEFORE = "Dictionary [1] {1: 2}\n"
_REF_AFTER = "\nDictionary [3] {4: 5}"
#: Distractor counts of the probe prompts of the line and structure checks.
PROBE_SIZES = (1, 2, 9, 10, 11, 99, 100, 101)


class TokenBudget:
    """Token estimate, calibration and feasibility check (a mixin of ``KVGenerator``)."""

    name: str
    cfg: KVConfig
    counter: TokenCounter
    _ntok: dict[int, int]
    _skeleton_cache: dict[Any, int]
    _weights: tuple[float, float, float]
    _additive: bool | None

    if TYPE_CHECKING:  # provided by KVGenerator

        def make_gold(self, rng: random.Random) -> Gold: ...
        def make_pair(self, rng: random.Random, gold: Gold) -> tuple[Any, Any]: ...
        def pair_numbers(self, pair: tuple[Any, Any]) -> list[int]: ...
        def render_dict(self, pairs: Any) -> str: ...
        def smallest_pair(self) -> tuple[Any, Any]: ...
        def widest_pair(self) -> tuple[Any, Any]: ...
        def draw_dicts(self, rng: random.Random, gold: Gold, count: int) -> list[DictBlock]: ...
        def _render_lines(self, names: list[int], bodies: list[Any]) -> list[str]: ...
        def exact_counts(self) -> bool: ...
        def _block_cost(self, block: DictBlock) -> int: ...

    def _num_tokens(self, n: int) -> int:
        t = self._ntok.get(n)
        if t is None:
            t = self._ntok[n] = self.counter.encode_len(f" {n}")
        return t

    def warm_number_cache(self, ranges: Sequence[IntRange]) -> None:
        """Count every integer of small digit ranges in one batch (fast tokenizers batch); a
        range counted before for this tokenizer (in this process or on disk) is skipped."""
        from artificial_needles.tokens.cache import calibration_cache

        done = calibration_cache(self.counter)
        ranges = [r for r in ranges if f"numbers|{r[0]}|{r[1]}" not in done]
        todo = sorted(
            {
                n
                for lo, hi in ranges
                for n in range(10 ** (lo - 1) if lo > 1 else 0, 10**hi)
                if n not in self._ntok
            }
        )
        if todo:
            lens = self.counter.encode_len_many([f" {n}" for n in todo])
            self._ntok.update(zip(todo, lens, strict=True))
        done.update({f"numbers|{lo}|{hi}": (1.0,) for lo, hi in ranges})

    def _features(self, pairs: Sequence[tuple[Any, Any]]) -> tuple[float, float, float]:
        nums = [x for p in pairs for x in self.pair_numbers(p)]
        return (1.0, float(len(pairs)), float(len(nums)))

    def _raw(self, pairs: Sequence[tuple[Any, Any]]) -> int:
        tok = self._num_tokens
        return sum(tok(x) for p in pairs for x in self.pair_numbers(p))

    def _estimate(self, pairs: Sequence[tuple[Any, Any]]) -> float:
        """Calibrated token cost of one dictionary line, its name excluded."""
        tok = self._num_tokens
        raw = nums = 0
        for p in pairs:
            for x in self.pair_numbers(p):
                raw += tok(x)
                nums += 1
        w = self._weights
        return raw + w[0] + w[1] * len(pairs) + w[2] * nums

    #: Config fields the calibration never reads (only the sample loop does): generators that
    #: differ in nothing else share one fit per tokenizer in a process (a plugin whose
    #: ``make_gold``/``make_pair`` read one of them removes it here).
    CALIBRATION_FREE = frozenset(
        {
            "num_samples",
            "seed",
            "max_tokens",
            "margin",
            "num_dicts",
            "gold_position",
            "gold_index",
            "gold_depth",
            "shuffle_names",
        }
    )

    def _calibrate(self) -> tuple[float, float, float]:
        """The fitted line costs (:meth:`_fit`), computed once per tokenizer, generator class,
        domain and calibration-relevant config in this process."""
        from artificial_needles.tokens.cache import calibration_cache

        cache = calibration_cache(self.counter)
        key = self._calibration_key()
        weights = cache.get(key)
        if weights is None:
            weights = cache[key] = self._fit()
        return weights

    def _calibration_key(self) -> str:
        fields = self.cfg.model_dump()
        relevant = sorted((k, v) for k, v in fields.items() if k not in self.CALIBRATION_FREE)
        cls = type(self)
        return f"{cls.__module__}.{cls.__qualname__}|{getattr(self, 'domain', None)}|{relevant!r}"

    def _fit(self) -> tuple[float, float, float]:
        """Fit the structural token cost of a line (per line, per pair, per number) by least
        squares on a few probe prompts counted exactly with the target tokenizer."""
        import numpy as np

        rng = random.Random(1234567)
        gold = self.make_gold(rng)
        rows, ys = [], []
        for n_lines, size in _PROBES:
            dicts = [[self.make_pair(rng, gold) for _ in range(size)] for _ in range(n_lines)]
            lines = [dictionary_line(i + 1, self.render_dict(d)) for i, d in enumerate(dicts)]
            total = self.counter.encode_len("\n" + "\n".join(lines) + "\n")
            base = self.counter.encode_len("\n\n")
            names = sum(self._num_tokens(i + 1) for i in range(n_lines))
            feats = [sum(c) for c in zip(*(self._features(d) for d in dicts), strict=True)]
            rows.append(feats)
            ys.append(total - base - names - sum(self._raw(d) for d in dicts))
        w, *_ = np.linalg.lstsq(np.array(rows), np.array(ys, dtype=float), rcond=None)
        return (float(w[0]), float(w[1]), float(w[2]))

    def _line_tokens(self, name: int, body: Any) -> int:
        """Exact tokens that the line of dictionary ``name`` with ``body`` adds between two
        other dictionary lines (the same in every prompt when :meth:`_line_additive`)."""
        line = dictionary_line(name, self.render_dict(body))
        return self.counter.encode_len(_REF_BEFORE + line + _REF_AFTER) - self._ref_tokens

    @functools.cached_property
    def _ref_tokens(self) -> int:
        return self.counter.encode_len(_REF_BEFORE[:-1] + _REF_AFTER)

    def _after_line(self, num_tokens: int, sign: int, name: int, block: DictBlock) -> int | None:
        """The exact count after adding (``sign`` 1) or dropping (-1) the line of dictionary
        ``name`` with ``block``, from the count before; ``None`` (count the prompt again) for a
        tokenizer whose counts are not additive over lines."""
        if self.exact_counts():
            return num_tokens + sign * (self._block_cost(block) + self._num_tokens(name))
        if self._additive is None:
            self._additive = self._line_additive()
        if not self._additive:
            return None
        return num_tokens + sign * self._line_tokens(name, block.pairs)

    def _line_additive(self) -> bool:
        """Whether adding or dropping the last distractor changes the exact prompt count by
        :meth:`_line_tokens` of its line, on probe prompts of 2 to 102 dictionaries (names of
        one to three digits, the layout redrawn as in a real sample); cached per tokenizer."""
        return self._checked("additive", self._probe_additive)

    def _probe_additive(self) -> bool:
        rng = random.Random(7654321)
        gold = self.make_gold(rng)
        dicts = [d.pairs for d in self.draw_dicts(rng, gold, max(PROBE_SIZES))]
        for k in PROBE_SIZES:
            whole, less = self.counter.count_many(
                [
                    self._probe_prompt(rng, gold, dicts[:k]),
                    self._probe_prompt(rng, gold, dicts[: k - 1]),
                ]
            )
            if whole - less != self._line_tokens(k + 1, dicts[k - 1]):
                return False
        return True

    def _probe_prompt(self, rng: random.Random, gold: Gold, bodies: list[Any]) -> str:
        """The prompt of the distractor ``bodies`` with the gold dictionary at a random place
        and the names shuffled, as a real sample lays them out."""
        k = len(bodies)
        bodies = [*bodies]
        bodies.insert(rng.randrange(k + 1), dict(gold.pairs))
        names = list(range(1, k + 2))
        rng.shuffle(names)
        return assemble_prompt(self._render_lines(names, bodies), gold.question)

    def _checked(self, kind: str, probe: Callable[[], bool]) -> bool:
        """``probe()``, run once per tokenizer (chat template and system turn included) and
        calibration-relevant config, its verdict kept with the tokenizer's caches."""
        from artificial_needles.tokens.cache import calibration_cache

        cache = calibration_cache(self.counter)
        c = self.counter
        key = f"{kind}|{c.chat_template}|{c.system!r}|{self._calibration_key()}"
        if key not in cache:
            cache[key] = (float(probe()),)
        return bool(cache[key][0])

    def _names_tokens(self, n: int) -> int:
        return sum(self._num_tokens(i) for i in range(1, n + 1))

    @property
    def _line_floor(self) -> float:
        """A lower bound-ish on the tokens of one line (sizes the fill batches)."""
        return max(1.0, self._estimate([self.smallest_pair()] * self.cfg.dict_size[1]))

    def _skeleton_tokens(self, question: str) -> int:
        """Tokens of the prompt without dictionary lines, memoised per digit pattern of the
        question (an estimate: the exact count of the finished prompt settles it)."""
        pattern = _DIGITS.sub("0", question)
        n = self._skeleton_cache.get(pattern)
        if n is None:
            n = self._skeleton_cache[pattern] = self.counter.count(assemble_prompt([], question))
        return n

    def _check_feasible(self) -> None:
        """Fail at once, naming the parameter to change, when some sample could not fit.

        Fixed-size mode shrinks distractors down to ``dict_size`` min when a sample runs over,
        so the worst case is every dictionary at its minimum size with the widest numbers.
        """
        cfg = self.cfg
        gold = self.make_gold(random.Random(0))
        exact_key = ("exact", gold.question)  # the same question in every cell of a KV eval
        skeleton = self._skeleton_cache.get(exact_key)
        if skeleton is None:
            skeleton = self.counter.count(assemble_prompt([], gold.question))
            self._skeleton_cache[exact_key] = skeleton
        gold_cost = self._estimate([self.widest_pair()] * cfg.gold_dict_size)
        need = skeleton + gold_cost + self._num_tokens(1)
        if need > cfg.budget:
            raise NeedlesError(
                f"{self.name}: the question and the gold dictionary alone need about "
                f"{need:.0f} tokens but the budget is {cfg.budget} "
                f"(max_tokens {cfg.max_tokens} - margin {cfg.margin}); raise max_tokens "
                "or lower gold_dict_size"
            )
        if cfg.num_dicts is not None:
            small = [self.widest_pair()] * cfg.dict_size[0]
            worst = (
                need
                + (cfg.num_dicts - 1) * self._estimate(small)
                + self._names_tokens(cfg.num_dicts)
                - self._num_tokens(1)
            )
            if worst > cfg.budget:
                raise NeedlesError(
                    f"{self.name}: num_dicts={cfg.num_dicts} may need about {worst:.0f} tokens "
                    f"even with every dictionary shrunk to dict_size min {cfg.dict_size[0]}, "
                    f"over the budget of {cfg.budget} (max_tokens {cfg.max_tokens} - margin "
                    f"{cfg.margin}); lower num_dicts, key_digits or value_digits, or raise "
                    "max_tokens"
                )
