"""Example artificial-needles plugin: ``letter-kv``, integer keys with letter-code values.

Prompt lines look like ``Dictionary [3] {4821: 'qzt', 907: 'bake', ...}``; the question asks
for the value of one key and the dictionary holding it. Invariants (checked by
``artificial-needles validate``): the gold key occurs once in the prompt, the gold value occurs
once among all values, and every value is a lowercase ASCII code whose length lies within
``value_letters`` (recorded in the sample metadata).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from typing import Any

from pydantic import Field, model_validator

from artificial_needles import Gold, KVConfig, KVTask, digits_number, hookimpl

QUESTION = (
    "Above is a list of dictionaries such that each key is an integer and each value is a "
    "lowercase letter code. Report the value of key {key} and the dictionary it is in."
)
TEMPLATE = (
    " Answer in the following template:\n"
    "The value of key {key} is <fill-in-value> and it is in Dictionary [<fill-in-dictionary-name>]."
)
ANSWER = "The value of key {key} is {value} and it is in Dictionary [{name}]."


class LetterKVConfig(KVConfig):
    """:class:`KVConfig` plus the length of the values (``value_digits`` is not used)."""

    value_letters: tuple[int, int] = Field((3, 4), description="letters of values [min, max]")

    @model_validator(mode="after")
    def _check_letters(self) -> LetterKVConfig:
        lo, hi = self.value_letters
        if not 1 <= lo <= hi <= 12:
            raise ValueError(
                f"value_letters {list(self.value_letters)}: need 1 <= min <= max <= 12"
            )
        return self


class LetterKV(KVTask):
    name = "letter-kv"
    config_cls = LetterKVConfig
    description = "Dictionary KV retrieval, integer keys and letter-code values (example plugin)"
    presets = {
        "small": {"num_samples": 100, "num_dicts": 20, "max_tokens": 1024, "value_letters": (2, 3)},
    }

    def _code(self, rng: random.Random) -> str:
        size = rng.randint(*self.cfg.value_letters)
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(size))

    def make_gold(self, rng: random.Random) -> Gold:
        cfg = self.cfg
        key = digits_number(rng, cfg.key_digits)
        value = self._code(rng)
        question = QUESTION.format(key=key)
        if cfg.answer_template:
            question += TEMPLATE.format(key=key)
        extra = {"value_letters": list(cfg.value_letters)}
        gold = Gold([], key, value, question, reserved={key}, extra_meta=extra)
        pairs: dict[int, str] = {key: value}
        while len(pairs) < cfg.gold_dict_size:
            k, v = self.make_pair(rng, gold)
            pairs.setdefault(k, v)
        gold.pairs = list(pairs.items())
        rng.shuffle(gold.pairs)
        return gold

    def make_pair(self, rng: random.Random, gold: Gold) -> tuple[int, str]:
        key = digits_number(rng, self.cfg.key_digits)
        while key in gold.reserved:
            key = digits_number(rng, self.cfg.key_digits)
        value = self._code(rng)
        while value == gold.value:
            value = self._code(rng)
        return key, value

    def pair_numbers(self, pair: tuple[Any, Any]) -> list[int]:
        # Only the key is a number; the calibrated per-pair cost absorbs the letter code.
        return [pair[0]]

    def smallest_pair(self) -> tuple[Any, Any]:
        return 10 ** (self.cfg.key_digits[0] - 1), "a" * self.cfg.value_letters[0]

    def answer(self, gold: Gold, name: int) -> str:
        return ANSWER.format(key=gold.key, value=gold.value, name=name)

    @classmethod
    def check_content(cls, dicts, gold_index, question, answer, meta):  # type: ignore[override]
        key, value, name = meta["gold_key"], meta["gold_value"], meta["gold_dict_name"]
        if "value_letters" not in meta:
            return ["meta lacks value_letters"]
        lo, hi = meta["value_letters"]
        problems = []
        holders = [i for i, (_, d) in enumerate(dicts) if key in d]
        if holders != [gold_index]:
            problems.append(f"gold key {key} is in dictionary lines {[i + 1 for i in holders]}")
        elif dicts[gold_index][1][key] != value:
            problems.append(f"gold key {key} maps to {dicts[gold_index][1][key]!r}, not {value!r}")
        values = [v for _, d in dicts for v in d.values()]
        if values.count(value) != 1:
            problems.append(f"gold value {value!r} appears {values.count(value)} times")
        for v in values:
            if not (
                isinstance(v, str) and lo <= len(v) <= hi and set(v) <= set(string.ascii_lowercase)
            ):
                problems.append(f"value {v!r} is not {lo}-{hi} lowercase letters")
                break
        if any(not isinstance(k, int) for _, d in dicts for k in d):
            problems.append("a key is not an integer")
        expected_q = QUESTION.format(key=key)
        if meta["answer_template"]:
            expected_q += TEMPLATE.format(key=key)
        if question != expected_q:
            problems.append("question differs from the task's question for the gold key")
        expected_a = ANSWER.format(key=key, value=value, name=name)
        if answer != expected_a:
            problems.append(f"answer {answer!r}, expected {expected_a!r}")
        return problems


@hookimpl
def register_generators(register: Callable[[type], None]) -> None:
    register(LetterKV)
