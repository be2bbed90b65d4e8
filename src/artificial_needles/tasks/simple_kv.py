"""Simple dictionary KV retrieval (FORMATS.md section 1): integer keys and values.

Prompt: ``Dictionary [i] {k: v, ...}`` lines; the question asks for the value of one key and
the dictionary that holds it. The gold key occurs once in the whole prompt, and neither the gold
key nor the gold value appears anywhere else as a number.
"""

from __future__ import annotations

import random
from typing import Any

from artificial_needles.tasks.base import Gold, KVConfig, KVGenerator, digits_number
from artificial_needles.templates import SIMPLE_ANSWER, SIMPLE_QUESTION, SIMPLE_TEMPLATE


class SimpleKVConfig(KVConfig):
    """Parameters of ``simple-kv``; all fields are shared with :class:`KVConfig`."""


class SimpleKVGenerator(KVGenerator):
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

    def _number(self, rng: random.Random, digits: tuple[int, int], reserved: set[int]) -> int:
        while True:
            n = digits_number(rng, digits)
            if n not in reserved:
                return n

    def make_gold(self, rng: random.Random) -> Gold:
        cfg = self.cfg
        key = digits_number(rng, cfg.key_digits)
        value = self._number(rng, cfg.value_digits, {key})
        question = SIMPLE_QUESTION.format(key=key)
        if cfg.answer_template:
            question += SIMPLE_TEMPLATE.format(key=key)
        gold = Gold(pairs=[], key=key, value=value, question=question, reserved={key, value})
        pairs = {key: value}
        while len(pairs) < cfg.gold_dict_size:
            k, v = self.make_pair(rng, gold)
            pairs.setdefault(k, v)
        items = list(pairs.items())
        rng.shuffle(items)
        gold.pairs = items
        return gold

    def make_pair(self, rng: random.Random, gold: Gold) -> tuple[Any, int]:
        return (
            self._number(rng, self.cfg.key_digits, gold.reserved),
            self._number(rng, self.cfg.value_digits, gold.reserved),
        )

    def pair_numbers(self, pair: tuple[Any, int]) -> list[int]:
        return [pair[0], pair[1]]

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
        if answer != SIMPLE_ANSWER.format(key=key, value=value, name=meta["gold_dict_name"]):
            problems.append(f"answer {answer!r} is not the expected answer")
        return problems
