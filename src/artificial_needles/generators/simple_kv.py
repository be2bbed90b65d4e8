"""Simple dictionary KV retrieval (docs/formats.md, section 1): integer keys and values.

Prompt: ``Dictionary [i] {k: v, ...}`` lines; the question asks for the value of one key and
the dictionary that holds it. The gold key occurs once in the whole prompt, and neither the gold
key nor the gold value appears anywhere else as a number.

Every key is in the key class of the generator's domain, and in the evaluation domains every
value in the domain's value class (:mod:`artificial_needles.seeding`): a drawn number of the
wrong class is replaced by its partner ``n ^ 1``, in the scalar drawers and in the batch draw
(:mod:`~artificial_needles.generators.pair_batch`) alike, so no evaluation key is ever a training
key and no random draw is added.

``gold_dict_size: match`` draws the gold dictionary's size from ``dict_size``; with
``near_miss_keys`` / ``near_miss_values`` each distractor key / value is, with that
probability, one digit away from the gold key / value (:mod:`~.near_miss`; in the batch draw
the dictionaries that changed are re-estimated). Neither draws anything when unset.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from itertools import accumulate, islice
from typing import TYPE_CHECKING, Any

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.config import KVConfig
from artificial_needles.generators.draw import digit_spans, gold_size, number_drawer
from artificial_needles.generators.near_miss import NearMiss
from artificial_needles.generators.pair_batch import PairBatch
from artificial_needles.generators.sample import DictBlock, Gold
from artificial_needles.generators.task import KVTask
from artificial_needles.generators.templates import SIMPLE_ANSWER, SIMPLE_QUESTION, SIMPLE_TEMPLATE

if TYPE_CHECKING:
    from artificial_needles.generators.budget import LineCosts
from artificial_needles.seeding import DOMAIN_CLASSES, check_domain, class_drawer


class SimpleKVConfig(KVConfig):
    """Parameters of ``simple-kv``; all fields are shared with :class:`KVConfig`."""


class SimpleKVTask(KVTask):
    name = "simple-kv"
    config_cls = SimpleKVConfig
    description = "Simple dictionary key-value retrieval (integer keys and values)"
    presets = {
        "paper-mistral": {
            "num_samples": 350,
            "num_dicts": 85,
            "gold_dict_size": 3,
            "dict_size": (3, 4),
            "key_digits": (3, 4),
            "value_digits": (3, 4),
            "max_tokens": 4096,
            "margin": 100,
            "gold_position": "paper",
            "answer_template": True,
        },
    }

    def __init__(self, config: KVConfig, domain: str = "train") -> None:
        # Keys (and in evaluation domains values) are mapped into the domain's class
        # (artificial_needles.seeding): no evaluation key is ever a training key.
        key_cls, value_cls = DOMAIN_CLASSES[check_domain(domain)]
        kd, vd = config.key_digits, config.value_digits
        # Half of the keys of each digit count are in a domain's class; distractor keys also
        # avoid the gold key and value, and keys are distinct within a dictionary.
        keys = sum(digit_spans(kd)[1]) // 2
        value_may_be_key = vd[0] <= kd[1] and kd[0] <= vd[1]  # the gold value is then reserved
        asked = self.asked_keys(config)
        # a distractor avoids every asked key, a gold dictionary the others
        need = (
            max(config.dict_size[1] + asked, config.gold_size_max + asked - 1)
            + value_may_be_key * asked
        )
        if keys < need:
            raise NeedlesError(
                f"{self.name}: key_digits {list(kd)} leave {keys} keys per data domain, fewer "
                f"than the {need} that dict_size max {config.dict_size[1]} or gold_dict_size "
                f"{config.gold_dict_size} need; raise key_digits or lower dict_size / "
                "gold_dict_size"
            )
        # The scalar drawers (gold pairs, rare top-ups) look classes up without numpy's table.
        self._draw_key = class_drawer(number_drawer(kd), kd[1], key_cls, table=False)
        self._draw_value = class_drawer(number_drawer(vd), vd[1], value_cls, table=False)
        super().__init__(config, domain=domain)
        self._classes = (key_cls, value_cls)
        #: Near-miss distractors (near_miss.py); no draw at all when both shares are 0.
        self.near_miss = NearMiss(
            config.near_miss_keys, config.near_miss_values, key_cls, value_cls
        )
        #: The batch draw of the hot path and the line costs it was made for (keys and values
        #: of at most 4 digits: the token count of every candidate number is read by index).
        self._batch: tuple[LineCosts, PairBatch] | None = None

    def _pair_batch(self, costs: LineCosts) -> PairBatch | None:
        cfg = self.cfg
        kd, vd = cfg.key_digits, cfg.value_digits
        if max(kd[1], vd[1]) > 4:
            return None
        if self._batch is None or self._batch[0] is not costs:
            costs.warm_numbers([kd, vd])
            batch = PairBatch(
                kd, vd, *self._classes, cfg.dict_size, costs.number_tokens, costs.weights
            )
            self._batch = (costs, batch)
        return self._batch[1]

    @classmethod
    def asked_keys(cls, config: KVConfig) -> int:
        """How many keys a sample reserves (1; more for tasks that ask several)."""
        return 1

    def draw_key(self, rng: random.Random) -> int:
        """A key of the domain's key class (any distinctness is the caller's)."""
        return self._draw_key(rng.random)

    def draw_value(self, rng: random.Random) -> int:
        """A value of the domain's value class."""
        return self._draw_value(rng.random)

    def near_miss_targets(self, gold: Gold) -> tuple[list[int], list[int]]:
        """The keys and values near-miss distractors are drawn around (the gold ones)."""
        return [gold.key], [gold.value]

    def make_gold(self, rng: random.Random) -> Gold:
        cfg = self.cfg
        key = self._draw_key(rng.random)
        value = self._draw_value(rng.random)
        while value == key:
            value = self._draw_value(rng.random)
        question = SIMPLE_QUESTION.format(key=key)
        if cfg.answer_template:
            question += SIMPLE_TEMPLATE.format(key=key)
        gold = Gold(pairs=[], key=key, value=value, question=question, reserved={key, value})
        pairs = {key: value}
        size = gold_size(cfg, rng)
        while len(pairs) < size:
            k, v = self.make_pair(rng, gold)
            pairs.setdefault(k, v)
        items = list(pairs.items())
        rng.shuffle(items)
        gold.pairs = items
        return gold

    def make_pair(self, rng: random.Random, gold: Gold) -> tuple[Any, int]:
        r, reserved = rng.random, gold.reserved
        while True:
            k, v = self._draw_key(r), self._draw_value(r)
            if k not in reserved and v not in reserved:
                break
        if self.near_miss.enabled:
            return self.near_miss.pair(rng, k, v, self.near_miss_targets(gold), reserved)
        return k, v

    def draw_dicts(
        self, rng: random.Random, gold: Gold, count: int, costs: LineCosts
    ) -> list[DictBlock]:
        batch = self._pair_batch(costs) if count > 0 else None
        if batch is None:
            return super().draw_dicts(rng, gold, count, costs)
        # The hot path: every pair of the batch from one draw (pair_batch.py).
        keys, values, sizes, ests, raws = batch.draw(rng, gold.reserved, count)
        if self.near_miss.enabled:
            self._near_misses(rng, gold, keys, values, sizes, costs, (ests, raws))
        pairs_iter = zip(keys, values, strict=True)
        bodies = [dict(islice(pairs_iter, n)) for n in sizes]
        out = list(map(DictBlock, bodies, ests, raws))
        if sum(map(len, bodies)) == len(keys):  # no key repeated inside a dictionary
            return out
        for d, size in zip(out, sizes, strict=True):
            if len(d.pairs) < size:  # a key repeated inside one dictionary (rare): top it up
                while len(d.pairs) < size:
                    k, v = self.make_pair(rng, gold)
                    d.pairs.setdefault(k, v)
                d.est = costs.estimate(list(d.pairs.items()))
                d.raw = None
        return out

    def _near_misses(
        self,
        rng: random.Random,
        gold: Gold,
        keys: list[int],
        values: list[int],
        sizes: list[int],
        costs: LineCosts,
        cost_lists: tuple[list[float], list[int]],
    ) -> None:
        """Near-miss keys and values in a batch's flat lists (near_miss.py); each changed
        dictionary's estimate and exact number tokens move by the tokens of the numbers
        replaced (the same digit count: for most tokenizers, none)."""
        swaps = self.near_miss.apply_flat(
            rng, keys, values, self.near_miss_targets(gold), gold.reserved
        )
        if not swaps:
            return
        ests, raws = cost_lists
        ends = list(accumulate(sizes))
        tok = costs.number_tokens  # warmed for every key and value length (_pair_batch)
        for at, old, new in swaps:
            delta = tok[new] - tok[old]
            if delta:
                i = bisect_right(ends, at)
                ests[i] += delta
                raws[i] += delta

    def pair_numbers(self, pair: tuple[Any, int]) -> list[int]:
        return [pair[0], pair[1]]

    def line_shape(self, pairs: dict[Any, Any]) -> int:
        # Non-negative integers printed by repr: only the number of pairs shapes the line.
        return len(pairs)

    def answer(self, gold: Gold, name: int) -> str:
        return SIMPLE_ANSWER.format(key=gold.key, value=gold.value, name=name)

    @classmethod
    def check_content(cls, dicts, gold_index, question, answer, meta):  # type: ignore[override]
        key, value = meta["gold_key"], meta["gold_value"]
        problems = []
        holders = [i for i, (_, d) in enumerate(dicts) if key in d]
        if holders != [gold_index]:
            problems.append(f"gold key {key} is in dictionary lines {[i + 1 for i in holders]}")
        elif dicts[gold_index][1][key] != value:
            problems.append(f"gold key {key} maps to {dicts[gold_index][1][key]}, not {value}")
        numbers = [x for _, d in dicts for kv in d.items() for x in kv]
        if numbers.count(key) != 1:
            problems.append(f"gold key {key} appears {numbers.count(key)} times as a number")
        if numbers.count(value) != 1:
            problems.append(f"gold value {value} appears {numbers.count(value)} times")
        expected_q = SIMPLE_QUESTION.format(key=key)
        if meta["answer_template"]:
            expected_q += SIMPLE_TEMPLATE.format(key=key)
        if question != expected_q:
            problems.append("question differs from the task's question for the gold key")
        expected_a = SIMPLE_ANSWER.format(key=key, value=value, name=meta["gold_dict_name"])
        if answer != expected_a:
            problems.append(f"answer {answer!r}, expected {expected_a!r}")
        return problems


def __getattr__(name: str) -> Any:
    if name == "SimpleKVGenerator":  # the name before 0.2
        import warnings

        warnings.warn("SimpleKVGenerator is deprecated: use SimpleKVTask", DeprecationWarning, 2)
        return SimpleKVTask
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
