"""Multi-subkey dictionary KV retrieval (docs/formats.md, section 2): tuple keys.

Keys are tuples of integers (subkeys). The question lists some subkeys of the gold key in
shuffled order; exactly one key in the prompt contains all of them. A share of the distractor
keys (``sharing_fraction``) contains ``shared_subkeys`` of the queried subkeys, never all.
The gold value appears nowhere else as a number. With ``near_miss_keys`` each subkey of a
distractor key is, with that probability, one digit away from a queried subkey (never one); with
``near_miss_values`` each distractor value one digit away from the gold value
(:mod:`~artificial_needles.generators.near_miss`).

A tuple key's class is the XOR of its subkeys' classes (:mod:`artificial_needles.seeding`):
the last fresh subkey of every key is the member of ``{n, n ^ 1}`` that puts the key in the
class of the generator's domain, so no evaluation key (as a set of subkeys) is ever a training
key; in the evaluation domains values are also kept in the domain's value class.

Extra metadata: ``query_subkeys`` (the queried integers in question order) and
``gold_key_text`` (the key as printed).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from pydantic import Field, model_validator

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.config import IntRange, KVConfig
from artificial_needles.generators.draw import draw_int, gold_size, number_drawer
from artificial_needles.generators.near_miss import one_digit_away
from artificial_needles.generators.sample import Gold
from artificial_needles.generators.task import KVTask
from artificial_needles.generators.templates import MULTI_ANSWER, MULTI_QUESTION, MULTI_TEMPLATE
from artificial_needles.seeding import DOMAIN_CLASSES, check_domain, class_drawer, class_lookup


class MultiSubkeyKVConfig(KVConfig):
    """``key_digits`` here are the digits of each subkey."""

    key_digits: IntRange = Field((3, 3), description="digits of each subkey [min, max]")
    value_digits: IntRange = Field((4, 4), description="digits of values [min, max]")
    subkeys_per_key: IntRange = Field((3, 4), description="subkeys in a key [min, max]")
    query_subkeys: int | None = Field(
        None, ge=1, description="subkeys named in the question; null names all of the gold key's"
    )
    shared_subkeys: int = Field(
        2, ge=0, description="queried subkeys that a sharing distractor key contains (never all)"
    )
    sharing_fraction: float = Field(
        0.1, ge=0.0, le=1.0, description="share of distractor keys that contain queried subkeys"
    )

    @model_validator(mode="after")
    def _check_subkeys(self) -> MultiSubkeyKVConfig:
        if self.query_subkeys is not None and self.query_subkeys > self.subkeys_per_key[0]:
            raise ValueError(
                f"query_subkeys ({self.query_subkeys}) exceeds the smallest key "
                f"(subkeys_per_key min {self.subkeys_per_key[0]})"
            )
        smallest_query = self.query_subkeys or self.subkeys_per_key[0]
        if self.sharing_fraction > 0 and self.shared_subkeys >= smallest_query:
            raise ValueError(
                f"shared_subkeys ({self.shared_subkeys}) must be smaller than the number of "
                f"queried subkeys ({smallest_query}), or a distractor would match the question"
            )
        if self.shared_subkeys > self.subkeys_per_key[0]:
            raise ValueError("shared_subkeys cannot exceed subkeys_per_key min")
        return self


class MultiSubkeyKVTask(KVTask):
    name = "multi-subkey-kv"
    config_cls = MultiSubkeyKVConfig
    description = "Multi-subkey dictionary key-value retrieval (tuple keys, partial overlaps)"
    presets = {
        "paper-gpt35": {
            "num_samples": 150,
            "num_dicts": 49,
            "gold_dict_size": 2,
            "dict_size": (2, 3),
            "subkeys_per_key": (3, 4),
            "key_digits": (3, 3),
            "value_digits": (4, 4),
            "max_tokens": 4096,
            "margin": 100,
            "gold_position": "uniform",
            "answer_template": False,
        },
    }

    cfg: MultiSubkeyKVConfig

    def __init__(self, config: KVConfig, domain: str = "train") -> None:
        # A tuple key's class is the XOR of its subkeys' classes (artificial_needles.seeding):
        # the last fresh subkey of every key is mapped so that the key is in the domain's class,
        # and in evaluation domains the values are mapped into theirs.
        self._key_class, value_cls = DOMAIN_CLASSES[check_domain(domain)]
        self._value_class = value_cls
        self._subkey_class = class_lookup(config.key_digits[1])
        vd = config.value_digits
        self._draw = {
            "key": number_drawer(config.key_digits),
            "value": class_drawer(number_drawer(vd), vd[1], value_cls),
        }
        super().__init__(config, domain=domain)

    def _number(self, rng: random.Random, kind: str, reserved: set[int]) -> int:
        draw, r = self._draw[kind], rng.random
        while True:
            n = draw(r)
            if n not in reserved:
                return n

    def _near(
        self, rng: random.Random, share: float, targets: Sequence[int], cls: int | None, avoid
    ) -> int | None:
        """With probability ``share``, a number one digit away from one of ``targets`` (class
        ``cls``, not in ``avoid``); else (and when none is found) None. No draw at share 0."""
        if not share or rng.random() >= share:
            return None
        return one_digit_away(rng, targets[int(rng.random() * len(targets))], cls, avoid)

    def _subkeys(
        self,
        rng: random.Random,
        count: int,
        reserved: set[int],
        fixed: Sequence[int] = (),
        near: Sequence[int] = (),
    ) -> list[int]:
        """``count`` (>= 1) distinct subkeys outside ``reserved``; the last one is the member of
        ``{n, n ^ 1}`` that puts the key ``fixed + subkeys`` into the domain's key class. With
        ``near`` (the queried subkeys of a distractor key), each subkey is a near miss of one of
        them with probability ``near_miss_keys``."""
        share = self.cfg.near_miss_keys if near else 0.0
        out: list[int] = []
        while len(out) < count - 1:
            m = self._near(rng, share, near, None, reserved)
            n = self._number(rng, "key", reserved) if m is None else m
            if n not in out:
                out.append(n)
        cls = self._subkey_class
        want = self._key_class
        for n in (*fixed, *out):
            want ^= cls(n)
        m = self._near(rng, share, near, want, {*reserved, *out})
        if m is not None:
            return [*out, m]
        draw, r = self._draw["key"], rng.random
        for _ in range(100_000):
            n = draw(r)
            n ^= cls(n) ^ want
            if n not in reserved and n not in out:
                out.append(n)
                return out
        raise NeedlesError(
            f"{self.name}: key_digits {list(self.cfg.key_digits)} leave too few distinct "
            "subkeys for a key; raise key_digits or lower subkeys_per_key"
        )

    def make_gold(self, rng: random.Random) -> Gold:
        cfg = self.cfg
        value = self._number(rng, "value", set())
        key = tuple(self._subkeys(rng, draw_int(rng, cfg.subkeys_per_key), {value}))
        query = rng.sample(key, cfg.query_subkeys or len(key))
        subkeys = ", ".join(map(str, query))
        question = MULTI_QUESTION.format(subkeys=subkeys)
        if cfg.answer_template:
            question += MULTI_TEMPLATE.format(subkeys=subkeys)
        gold = Gold(
            pairs=[],
            key=key,
            value=value,
            question=question,
            reserved={value, *query},
            extra_meta={"query_subkeys": query, "gold_key_text": repr(key)},
        )
        pairs: dict[Any, int] = {key: value}
        size = gold_size(cfg, rng)
        while len(pairs) < size:
            k, v = self.make_pair(rng, gold)
            pairs.setdefault(k, v)
        items = list(pairs.items())
        rng.shuffle(items)
        gold.pairs = items
        return gold

    def make_pair(self, rng: random.Random, gold: Gold) -> tuple[Any, int]:
        cfg = self.cfg
        size = draw_int(rng, cfg.subkeys_per_key)
        shared: list[int] = []
        if cfg.shared_subkeys and rng.random() < cfg.sharing_fraction:
            shared = rng.sample(gold.extra_meta["query_subkeys"], cfg.shared_subkeys)
        query = gold.extra_meta["query_subkeys"] if cfg.near_miss_keys else ()
        key = shared + self._subkeys(rng, size - len(shared), gold.reserved, shared, query)
        rng.shuffle(key)
        value = self._near(
            rng, cfg.near_miss_values, [gold.value], self._value_class, gold.reserved
        )
        return tuple(key), self._number(rng, "value", gold.reserved) if value is None else value

    def pair_numbers(self, pair: tuple[Any, int]) -> list[int]:
        return [*pair[0], pair[1]]

    def line_shape(self, pairs: dict[Any, Any]) -> tuple[int, ...]:
        # Tuples of non-negative integers (a 1-tuple prints a trailing comma) mapped to
        # integers: the subkey count of each key, in order, shapes the line.
        return tuple(len(k) for k in pairs)

    def smallest_pair(self) -> tuple[Any, int]:
        sub = 10 ** (self.cfg.key_digits[0] - 1)
        return (tuple([sub] * self.cfg.subkeys_per_key[0]), 10 ** (self.cfg.value_digits[0] - 1))

    def widest_pair(self) -> tuple[Any, int]:
        sub = 10 ** self.cfg.key_digits[1] - 1
        return (tuple([sub] * self.cfg.subkeys_per_key[1]), 10 ** self.cfg.value_digits[1] - 1)

    def answer(self, gold: Gold, name: int) -> str:
        subkeys = ", ".join(map(str, gold.extra_meta["query_subkeys"]))
        return MULTI_ANSWER.format(subkeys=subkeys, key=repr(gold.key), value=gold.value, name=name)

    @classmethod
    def check_content(cls, dicts, gold_index, question, answer, meta):  # type: ignore[override]
        key, value = tuple(meta["gold_key"]), meta["gold_value"]
        query = meta["query_subkeys"]
        problems = []
        matches = [(i, k) for i, (_, d) in enumerate(dicts) for k in d if set(query) <= set(k)]
        if matches != [(gold_index, key)]:
            problems.append(
                f"keys containing {query}: {[(i + 1, k) for i, k in matches]}, expected only "
                f"{key} on line {gold_index + 1}"
            )
        elif dicts[gold_index][1][key] != value:
            problems.append(f"gold key {key} maps to {dicts[gold_index][1][key]}, not {value}")
        numbers = [x for _, d in dicts for k, v in d.items() for x in (*k, v)]
        if numbers.count(value) != 1:
            problems.append(f"gold value {value} appears {numbers.count(value)} times")
        subkeys = ", ".join(map(str, query))
        expected_q = MULTI_QUESTION.format(subkeys=subkeys)
        if meta["answer_template"]:
            expected_q += MULTI_TEMPLATE.format(subkeys=subkeys)
        if question != expected_q:
            problems.append("question differs from the task's question for the queried subkeys")
        expected_a = MULTI_ANSWER.format(
            subkeys=subkeys, key=repr(key), value=value, name=meta["gold_dict_name"]
        )
        if answer != expected_a:
            problems.append(f"answer {answer!r}, expected {expected_a!r}")
        return problems


def __getattr__(name: str) -> Any:
    if name == "MultiSubkeyKVGenerator":  # the name before 0.2
        import warnings

        warnings.warn(
            "MultiSubkeyKVGenerator is deprecated: use MultiSubkeyKVTask", DeprecationWarning, 2
        )
        return MultiSubkeyKVTask
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
