"""Answers that need several dictionaries (``Gold.linked``): the builder places, counts and
names them, and the paper's single-dictionary layout is untouched when there are none."""

from __future__ import annotations

import random

import pytest
from counters import hf_counter

from artificial_needles import Generator, Gold
from artificial_needles.generators.parse import parse_dictionaries
from artificial_needles.generators.simple_kv import SimpleKVConfig, SimpleKVTask
from artificial_needles.tokens.counter import load_tokenizer


class TwoKeys(SimpleKVTask):
    """The value of the gold key and of a second key that sits in a dictionary of its own."""

    name = "two-keys-test"

    def make_gold(self, rng: random.Random) -> Gold:
        gold = super().make_gold(rng)
        key2, value2 = self.make_pair(rng, gold)
        gold.reserved |= {key2, value2}
        other = {key2: value2}
        while len(other) < 2:
            k, v = self.make_pair(rng, gold)
            other.setdefault(k, v)
            gold.reserved |= {k, v}
        gold.linked = [list(other.items())]
        gold.extra_meta = {"second_key": key2, "second_value": value2}
        gold.question += f" Also report the value of key {key2}."
        return gold

    def answer_for(self, gold: Gold, names: list[int]) -> str:
        second = gold.extra_meta
        return f"{gold.value} in [{names[0]}]; {second['second_value']} in [{names[1]}]"


@pytest.mark.parametrize("kind", ["embedded", "hf-chat"])
@pytest.mark.parametrize("fixed", [None, 12])
def test_linked_dictionaries_are_placed_counted_and_named(kind, fixed, tiny_tokenizer_dir):
    counter = load_tokenizer(None) if kind == "embedded" else hf_counter(tiny_tokenizer_dir, True)
    cfg = SimpleKVConfig(num_samples=12, max_tokens=1500, num_dicts=fixed, seed=3)
    gen = Generator(TwoKeys(cfg), counter)
    samples = list(gen.iter_samples())
    assert samples == [gen.sample(i) for i in range(12)]  # deterministic, batched or not
    assert [s.meta["num_tokens"] for s in samples] == counter.count_many(
        [s.prompt for s in samples]
    )
    for s in samples:
        meta = s.meta
        assert meta["num_tokens"] <= cfg.budget
        dicts, _ = parse_dictionaries(s.prompt)
        assert len(dicts) == meta["num_dicts"]
        [line] = meta["linked_positions"]
        [name] = meta["linked_dict_names"]
        assert line != meta["gold_position"]
        assert dicts[line - 1][0] == name
        assert dicts[line - 1][1][meta["second_key"]] == meta["second_value"]
        holders = [i for i, (_, d) in enumerate(dicts) if meta["second_key"] in d]
        assert holders == [line - 1]  # distractors never print a linked key
        first = f"{meta['gold_value']} in [{meta['gold_dict_name']}]"
        assert s.answer == f"{first}; {meta['second_value']} in [{name}]"
        if fixed:
            assert meta["num_dicts"] == fixed + 1


def test_linked_positions_spread_over_the_prompt():
    cfg = SimpleKVConfig(num_samples=200, max_tokens=700, num_dicts=10)
    gen = Generator(TwoKeys(cfg), load_tokenizer(None))
    lines = {s.meta["linked_positions"][0] for s in gen.iter_samples()}
    assert lines == set(range(1, 12))
