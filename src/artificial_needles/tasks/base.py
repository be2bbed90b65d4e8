"""Shared machinery of the dictionary key-value retrieval generators.

A generator turns ``(config, index)`` into one :class:`Sample` whose prompt fits
``max_tokens - margin`` tokens of the target tokenizer. The work per sample is:

1. draw the gold dictionary and its question from a per-sample RNG (stable hash of seed, index);
2. draw distractor dictionaries: a fixed number, or as many as fit the budget (fill mode),
   using a calibrated estimate of their token cost, so no tokenization happens while drawing;
3. lay out the dictionaries (gold position and names depend only on seed, index and the number
   of dictionaries), render the prompt and count it once, exactly;
4. only if the exact count disagrees with the estimate: drop or add one distractor (fill mode) or
   remove keys from distractors (fixed mode), and count again.

Sample metadata (``Sample.meta``), shared by every generator:
``task, preset, seed, index, num_tokens, max_tokens, budget, tokenizer, num_dicts, gold_key,
gold_value, gold_dict_name, gold_position`` (1-based line of the gold dictionary) and
``answer_template``; generators may add keys.
"""

from __future__ import annotations

import ast
import math
import random
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from artificial_needles.errors import NeedlesError
from artificial_needles.seeding import sample_rng
from artificial_needles.templates import INTRO, assemble_prompt, dictionary_line, dictionary_lines
from artificial_needles.tokens import TokenCounter

IntRange = tuple[int, int]
#: Paper mixture: this share of samples puts the gold dictionary first ...
PAPER_FIRST_SHARE = 0.05
#: ... this share puts it among the first PAPER_EARLY_FRACTION of the dictionaries ...
PAPER_EARLY_SHARE = 0.03
PAPER_EARLY_FRACTION = 0.05
# ... and the rest is uniform over all positions.

_MAX_ADJUST_ROUNDS = 64
_DIGITS = re.compile(r"\d")


def _check_range(name: str, value: IntRange, low: int, high: int) -> IntRange:
    lo, hi = value
    if lo > hi:
        raise ValueError(f"minimum {lo} is larger than maximum {hi}; write it as [{hi}, {lo}]")
    if lo < low or hi > high:
        raise ValueError(f"{list(value)} must lie within [{low}, {high}]")
    return value


#: Allowed bounds of the [min, max] range fields.
RANGE_BOUNDS = {
    "dict_size": (1, 10_000),
    "key_digits": (1, 15),
    "value_digits": (1, 15),
    "subkeys_per_key": (2, 64),
}


class KVConfig(BaseModel):
    """Parameters shared by the dictionary KV generators (all validated here)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    num_samples: int = Field(350, ge=1, description="number of samples to generate")
    num_dicts: int | None = Field(
        None, ge=1, description="dictionaries per prompt; null fills the token budget"
    )
    max_tokens: int = Field(4096, ge=16, description="token budget of a sample (prompt + margin)")
    margin: int = Field(
        100, ge=0, description="tokens kept free for the answer: prompts fit max_tokens - margin"
    )
    gold_dict_size: int = Field(3, ge=1, description="keys in the gold dictionary")
    dict_size: IntRange = Field((3, 4), description="keys per distractor dictionary [min, max]")
    key_digits: IntRange = Field((3, 4), description="digits of keys [min, max]")
    value_digits: IntRange = Field((3, 4), description="digits of values [min, max]")
    shuffle_names: bool = Field(False, description="name dictionaries by a random permutation")
    gold_position: Literal["uniform", "paper", "fixed", "depth"] = Field(
        "uniform",
        description="uniform; paper (5% first, 3% among the first 5%, rest uniform); "
        "fixed (gold_index); depth (uniform within gold_depth)",
    )
    gold_index: int | None = Field(None, ge=1, description="1-based gold position for 'fixed'")
    gold_depth: tuple[float, float] | None = Field(
        None, description="[lo, hi) fraction of the list for 'depth', e.g. [0.2, 0.3]"
    )
    answer_template: bool = Field(True, description="append the answer template to the question")
    seed: int = Field(0, ge=0, description="dataset seed")

    @field_validator("*", mode="after")
    @classmethod
    def _check_ranges(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in RANGE_BOUNDS:
            return _check_range(info.field_name, value, *RANGE_BOUNDS[info.field_name])
        return value

    @model_validator(mode="after")
    def _check(self) -> KVConfig:
        if self.margin >= self.max_tokens:
            raise ValueError(
                f"margin ({self.margin}) must be smaller than max_tokens ({self.max_tokens})"
            )
        if self.gold_position == "fixed":
            if self.gold_index is None:
                raise ValueError("gold_position 'fixed' needs gold_index (1-based position)")
            if self.num_dicts is not None and self.gold_index > self.num_dicts:
                raise ValueError(
                    f"gold_index {self.gold_index} is past the last dictionary "
                    f"(num_dicts={self.num_dicts})"
                )
        elif self.gold_index is not None:
            raise ValueError("gold_index is only used with gold_position 'fixed'")
        if self.gold_position == "depth":
            if self.gold_depth is None:
                raise ValueError("gold_position 'depth' needs gold_depth [lo, hi) within [0, 1]")
            lo, hi = self.gold_depth
            if not (0.0 <= lo < hi <= 1.0):
                raise ValueError(
                    f"gold_depth {list(self.gold_depth)} must satisfy 0 <= lo < hi <= 1"
                )
        elif self.gold_depth is not None:
            raise ValueError("gold_depth is only used with gold_position 'depth'")
        return self

    @property
    def budget(self) -> int:
        """Largest allowed prompt length in tokens."""
        return self.max_tokens - self.margin


@dataclass(frozen=True)
class Sample:
    """One generated prompt with its target answer and metadata (see module docstring)."""

    prompt: str
    answer: str
    meta: dict[str, Any]


@dataclass
class Gold:
    """The gold dictionary and everything the question and answer need."""

    pairs: list[tuple[Any, int]]
    key: Any
    value: int
    question: str
    reserved: set[int]
    extra_meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Dict:
    """A distractor dictionary (insertion-ordered) and its estimated token cost."""

    pairs: dict[Any, Any]
    est: float


def number_drawer(digits: IntRange) -> Callable[[Callable[[], float]], int]:
    """A fast sampler of integers whose digit count is uniform over ``digits``.

    It takes ``rng.random`` (one or two calls per number, far cheaper than ``randint``);
    digit counts are capped at 15 so ``random() * span`` reaches every integer of the span.
    """
    spans = [
        (10 ** (d - 1) if d > 1 else 0, 10**d - (10 ** (d - 1) if d > 1 else 0))
        for d in range(digits[0], digits[1] + 1)
    ]
    if len(spans) == 1:
        start, width = spans[0]
        return lambda r: start + int(r() * width)
    k = len(spans)
    return lambda r: (lambda sw: sw[0] + int(r() * sw[1]))(spans[int(r() * k)])


def digits_number(rng: random.Random, digits: IntRange) -> int:
    """A random integer whose number of digits is drawn uniformly from ``digits``."""
    return number_drawer(digits)(rng.random)


def draw_int(rng: random.Random, bounds: IntRange) -> int:
    """Uniform integer in ``[lo, hi]`` from one ``random()`` call."""
    return bounds[0] + int(rng.random() * (bounds[1] - bounds[0] + 1))


def choose_position(cfg: KVConfig, n: int, rng: random.Random) -> int:
    """0-based gold position among ``n`` dictionaries for the configured policy.

    The paper's mixture is computed per sample (5% first, 3% within the first 5% of the list,
    the rest uniform); the reference code derived "the first few" from the dataset size, which
    made the distribution depend on how many samples were asked for. We do not copy that.
    """
    policy = cfg.gold_position
    if policy == "fixed":
        assert cfg.gold_index is not None
        if cfg.gold_index > n:
            raise NeedlesError(
                f"gold_index {cfg.gold_index} is past the last of {n} dictionaries that fit; "
                "lower gold_index or raise max_tokens"
            )
        return cfg.gold_index - 1
    if policy == "depth":
        assert cfg.gold_depth is not None
        lo = math.floor(cfg.gold_depth[0] * n)
        hi = max(lo + 1, math.ceil(cfg.gold_depth[1] * n))
        return rng.randrange(lo, min(hi, n))
    if policy == "paper":
        u = rng.random()
        if u < PAPER_FIRST_SHARE:
            return 0
        if u < PAPER_FIRST_SHARE + PAPER_EARLY_SHARE:
            return rng.randrange(max(1, math.ceil(PAPER_EARLY_FRACTION * n)))
    return rng.randrange(n)


class KVGenerator(ABC):
    """Base class of dictionary KV retrieval generators; subclasses define keys and strings."""

    name: ClassVar[str]
    config_cls: ClassVar[type[KVConfig]]
    description: ClassVar[str]
    presets: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, config: KVConfig, counter: TokenCounter, preset: str | None = None):
        if not isinstance(config, self.config_cls):
            raise TypeError(f"{self.name} needs a {self.config_cls.__name__}")
        self.cfg = config
        self.counter = counter
        self.preset = preset
        self._ntok: dict[int, int] = {}
        self._skeleton_cache: dict[str, int] = {}
        self._weights = self._calibrate()
        self._check_feasible()

    # -- what subclasses define ---------------------------------------------------------
    @abstractmethod
    def make_gold(self, rng: random.Random) -> Gold:
        """Draw the gold dictionary, key, value and question."""

    @abstractmethod
    def make_pair(self, rng: random.Random, gold: Gold) -> tuple[Any, int]:
        """Draw one distractor key-value pair that keeps the invariants."""

    @abstractmethod
    def pair_numbers(self, pair: tuple[Any, int]) -> list[int]:
        """Every integer printed for a pair (for the token estimate)."""

    @abstractmethod
    def answer(self, gold: Gold, name: int) -> str:
        """The target answer for the gold dictionary called ``name``."""

    def smallest_pair(self) -> tuple[Any, int]:
        """A pair with the fewest digits the config allows (for the feasibility check)."""
        k = 10 ** (self.cfg.key_digits[0] - 1)
        return (k, 10 ** (self.cfg.value_digits[0] - 1))

    # -- token estimate -------------------------------------------------------------------
    def _num_tokens(self, n: int) -> int:
        t = self._ntok.get(n)
        if t is None:
            t = self._ntok[n] = self.counter.encode_len(f" {n}")
        return t

    def warm_number_cache(self, ranges: Sequence[IntRange]) -> None:
        """Count every integer of small digit ranges in one batch (fast tokenizers batch)."""
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

    def _features(self, pairs: Sequence[tuple[Any, int]]) -> tuple[float, float, float]:
        nums = [x for p in pairs for x in self.pair_numbers(p)]
        return (1.0, float(len(pairs)), float(len(nums)))

    def _raw(self, pairs: Sequence[tuple[Any, int]]) -> int:
        tok = self._num_tokens
        return sum(tok(x) for p in pairs for x in self.pair_numbers(p))

    def _estimate(self, pairs: Sequence[tuple[Any, int]]) -> float:
        """Calibrated token cost of one dictionary line, its name excluded."""
        tok = self._num_tokens
        raw = nums = 0
        for p in pairs:
            for x in self.pair_numbers(p):
                raw += tok(x)
                nums += 1
        w = self._weights
        return raw + w[0] + w[1] * len(pairs) + w[2] * nums

    def _calibrate(self) -> tuple[float, float, float]:
        """Fit the structural token cost of a line (per line, per pair, per number) by least
        squares on a few probe prompts counted exactly with the target tokenizer."""
        import numpy as np

        rng = random.Random(1234567)
        gold = self.make_gold(rng)
        rows, ys = [], []
        for n_lines, size in [(8, 1), (8, 3), (16, 2), (16, 5), (24, 1), (24, 4), (12, 7), (30, 3)]:
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

    def _names_tokens(self, n: int) -> int:
        return sum(self._num_tokens(i) for i in range(1, n + 1))

    def widest_pair(self) -> tuple[Any, Any]:
        """A pair with the most digits the config allows (for the feasibility check)."""
        return (10 ** self.cfg.key_digits[1] - 1, 10 ** self.cfg.value_digits[1] - 1)

    def _check_feasible(self) -> None:
        """Fail at once, naming the parameter to change, when some sample could not fit.

        Fixed-size mode shrinks distractors down to ``dict_size`` min when a sample runs over,
        so the worst case is every dictionary at its minimum size with the widest numbers.
        """
        cfg = self.cfg
        gold = self.make_gold(random.Random(0))
        skeleton = self.counter.count(assemble_prompt([], gold.question))
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

    # -- rendering ------------------------------------------------------------------------
    def render_dict(self, pairs: dict[Any, Any] | Sequence[tuple[Any, Any]]) -> str:
        """Python ``repr`` of the dictionary, as FORMATS.md prescribes."""
        return repr(pairs if isinstance(pairs, dict) else dict(pairs))

    def _layout(
        self, index: int, dicts: list[_Dict], gold: Gold
    ) -> tuple[list[dict[Any, Any]], list[int], int]:
        n = len(dicts) + 1
        rng = sample_rng(self.cfg.seed, index, f"{self.name}/layout/{n}")
        pos = choose_position(self.cfg, n, rng)
        names = list(range(1, n + 1))
        if self.cfg.shuffle_names:
            rng.shuffle(names)
        bodies = [d.pairs for d in dicts]
        bodies.insert(pos, dict(gold.pairs))
        return bodies, names, pos

    # -- the sample -------------------------------------------------------------------------
    def draw_dict(self, rng: random.Random, gold: Gold, size: int) -> list[tuple[Any, int]]:
        """``size`` distractor pairs with distinct keys (subclasses may specialise for speed)."""
        pairs: dict[Any, int] = {}
        while len(pairs) < size:
            k, v = self.make_pair(rng, gold)
            pairs.setdefault(k, v)
        return list(pairs.items())

    def draw_scored_dict(self, rng: random.Random, gold: Gold, size: int) -> _Dict:
        """A distractor dictionary with its estimated token cost."""
        items = self.draw_dict(rng, gold, size)
        return _Dict(dict(items), self._estimate(items))

    def _new_dict(self, rng: random.Random, gold: Gold) -> _Dict:
        return self.draw_scored_dict(rng, gold, draw_int(rng, self.cfg.dict_size))

    def draw_dicts(self, rng: random.Random, gold: Gold, count: int) -> list[_Dict]:
        """``count`` distractor dictionaries with their token estimates, in prompt order."""
        return [self._new_dict(rng, gold) for _ in range(count)]

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

    def sample(self, index: int) -> Sample:
        """Generate sample ``index``; depends only on the config, the tokenizer and ``index``."""
        cfg = self.cfg
        budget = cfg.budget
        rng = sample_rng(cfg.seed, index, self.name)
        gold = self.make_gold(rng)
        skeleton = self._skeleton_tokens(gold.question)
        gold_est = self._estimate(gold.pairs)
        dicts: list[_Dict] = []
        fill = cfg.num_dicts is None
        if fill:
            est = skeleton + gold_est + self._num_tokens(1)
            # Stop half an average line short: the exact count then rarely has to drop one.
            slack = 0.5 * self._estimate([self.smallest_pair()] * cfg.dict_size[1])
            pending: _Dict | None = None
            while pending is None:
                # Draw in batches sized by the room left (batches let subclasses vectorise).
                room = budget - slack - est
                batch = self.draw_dicts(rng, gold, max(1, int(room / self._line_floor) + 1))
                for cand in batch:
                    cost = cand.est + self._num_tokens(len(dicts) + 2)
                    if est + cost > budget - slack:
                        pending = cand
                        break
                    dicts.append(cand)
                    est += cost
        else:
            assert cfg.num_dicts is not None
            dicts = self.draw_dicts(rng, gold, cfg.num_dicts - 1)
            pending = None

        added = 0
        for _ in range(_MAX_ADJUST_ROUNDS):
            bodies, names, pos = self._layout(index, dicts, gold)
            if type(self).render_dict is KVGenerator.render_dict:
                lines = dictionary_lines(names, bodies)
            else:
                render = self.render_dict
                lines = [dictionary_line(n, render(b)) for n, b in zip(names, bodies, strict=True)]
            prompt = assemble_prompt(lines, gold.question)
            num_tokens = self.counter.count(prompt)
            over = num_tokens - budget
            if over > 0:
                if fill and dicts:
                    pending = None
                    dicts.pop()
                    continue
                if not fill and self._shrink(rng, dicts):
                    continue
                raise NeedlesError(
                    f"{self.name}: sample {index} needs {num_tokens} tokens, over the budget "
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
                    pending = self._new_dict(rng, gold)
                    added += 1
                    continue
            break
        else:  # pragma: no cover - bounded by the number of dictionaries and keys
            raise NeedlesError(f"{self.name}: sample {index} did not settle within the budget")

        name = names[pos]
        meta = {
            "task": self.name,
            "preset": self.preset,
            "seed": cfg.seed,
            "index": index,
            "num_tokens": num_tokens,
            "max_tokens": cfg.max_tokens,
            "budget": budget,
            "tokenizer": self.counter.name,
            "chat_template": self.counter.chat_template,
            "num_dicts": len(bodies),
            "gold_key": gold.key,
            "gold_value": gold.value,
            "gold_dict_name": name,
            "gold_position": pos + 1,
            "answer_template": cfg.answer_template,
            **gold.extra_meta,
        }
        return Sample(prompt, self.answer(gold, name), meta)

    def _shrink(self, rng: random.Random, dicts: list[_Dict]) -> bool:
        """Remove one key from a random distractor above the minimum size; False if none."""
        low = self.cfg.dict_size[0]
        shrinkable = [d for d in dicts if len(d.pairs) > low]
        if not shrinkable:
            return False
        d = rng.choice(shrinkable)
        del d.pairs[list(d.pairs)[rng.randrange(len(d.pairs))]]
        d.est = self._estimate(list(d.pairs.items()))
        return True

    @classmethod
    def check_sample(cls, prompt: str, answer: str, meta: dict[str, Any]) -> list[str]:
        """Every invariant violated by one generated sample (empty list when it is valid)."""
        try:
            dicts, question = parse_dictionaries(prompt)
        except (ValueError, SyntaxError) as exc:
            return [str(exc)]
        problems: list[str] = []
        pos = meta["gold_position"]
        if meta["num_dicts"] != len(dicts):
            problems.append(f"meta num_dicts {meta['num_dicts']} but {len(dicts)} dictionaries")
        if meta["num_tokens"] > meta["budget"]:
            problems.append(f"num_tokens {meta['num_tokens']} exceeds budget {meta['budget']}")
        if not 1 <= pos <= len(dicts):
            return problems + [f"gold_position {pos} outside 1..{len(dicts)}"]
        names = [n for n, _ in dicts]
        if len(set(names)) != len(names):
            problems.append("dictionary names are not unique")
        name, gold_dict = dicts[pos - 1]
        if name != meta["gold_dict_name"]:
            problems.append(
                f"line {pos} is Dictionary [{name}], meta says {meta['gold_dict_name']}"
            )
        problems += cls.check_content(dicts, pos - 1, question, answer, meta)
        return problems

    @classmethod
    @abstractmethod
    def check_content(
        cls,
        dicts: list[tuple[int, dict[Any, int]]],
        gold_index: int,
        question: str,
        answer: str,
        meta: dict[str, Any],
    ) -> list[str]:
        """Task-specific invariants of one parsed sample."""

    def iter_samples(self, start: int = 0, stop: int | None = None) -> Iterator[Sample]:
        """Samples ``start .. stop-1`` (default: up to ``num_samples``)."""
        end = self.cfg.num_samples if stop is None else stop
        for i in range(start, end):
            yield self.sample(i)


_LINE = re.compile(r"Dictionary \[(-?\d+)\] (\{.*\})")


def parse_dictionaries(prompt: str) -> tuple[list[tuple[int, dict[Any, int]]], str]:
    """Split a prompt into its ``(name, dict)`` lines and its question; raises ``ValueError``."""
    head = INTRO + "\n\n"
    if not prompt.startswith(head):
        raise ValueError("prompt does not start with the task introduction and a blank line")
    body, sep, question = prompt[len(head) :].partition("\n\n")
    if not sep:
        raise ValueError("no blank line between the dictionaries and the question")
    out = []
    for n, line in enumerate(body.split("\n"), 1):
        m = _LINE.fullmatch(line)
        if not m:
            raise ValueError(
                f"dictionary line {n} is not `Dictionary [<name>] {{...}}`: {line[:60]!r}"
            )
        value = ast.literal_eval(m.group(2))
        if not isinstance(value, dict) or repr(value) != m.group(2):
            raise ValueError(f"dictionary line {n} is not the repr of a dict")
        out.append((int(m.group(1)), value))
    return out, question
