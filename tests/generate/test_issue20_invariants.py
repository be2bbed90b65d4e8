"""Invariants of the issue 20 options (hypothesis; both tokenizer kinds, chat template on/off).

For every new option and generator: budgets hold (the exact count is the tokenizer's), the
gold key is unique and its value printed once (``check_sample``), near-miss keys and values are
exactly one digit away from the gold ones and never equal to them, chains are acyclic with the
asked number of hops, multi-query answers come in the asked order, and a length mixture gives
each sample one of its budgets.
"""

from __future__ import annotations

import functools

import pytest
from counters import hf_counter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artificial_needles.generators.build import make_generator
from artificial_needles.generators.near_miss import one_digit_apart
from artificial_needles.generators.parse import parse_dictionaries
from artificial_needles.tokens.counter import EmbeddedMistralCounter

TASKS = ("simple-kv", "multi-subkey-kv", "multi-query-kv", "multi-hop-kv")
KINDS = ("embedded", "hf")


@functools.cache
def _counter(kind: str, chat: bool, path: str):
    return (
        EmbeddedMistralCounter(chat_template=chat) if kind == "embedded" else hf_counter(path, chat)
    )


@functools.cache
def _generator(kind: str, chat: bool, path: str, task: str, options: tuple):
    return make_generator(task, overrides=dict(options), tokenizer=_counter(kind, chat, path))


def _targets(meta: dict) -> tuple[list[int], list[int]]:
    """The numbers near-miss distractors are drawn around (keys, values)."""
    if "query_keys" in meta:
        return meta["query_keys"], meta["query_values"]
    if "chain_keys" in meta:
        return meta["chain_keys"], [meta["gold_value"]]
    if "query_subkeys" in meta:
        return meta["query_subkeys"], [meta["gold_value"]]
    return [meta["gold_key"]], [meta["gold_value"]]


def _answer_lines(meta: dict) -> list[int]:
    return [meta["gold_position"] - 1, *(p - 1 for p in meta.get("linked_positions", []))]


def _check_near_miss(sample, near_keys: float, near_values: float) -> None:
    meta = sample.meta
    dicts, _ = parse_dictionaries(sample.prompt)
    keys, values = _targets(meta)
    answer_lines = set(_answer_lines(meta))
    asked = set(keys) | set(values) | {meta["gold_value"]}
    for line, (_, d) in enumerate(dicts):
        for k, v in d.items():
            subkeys = list(k) if isinstance(k, tuple) else [k]
            if line in answer_lines and (set(subkeys) & asked or v in asked):
                continue  # a pair of the answer
            assert not set(subkeys) & set(keys) or isinstance(k, tuple)
            if near_keys == 1.0 and not isinstance(k, tuple):
                assert any(one_digit_apart(k, t) for t in keys), (k, keys)
            if near_values == 1.0:
                assert any(one_digit_apart(v, t) for t in values), (v, values)
            assert v not in values  # never the gold value itself


OPTIONS = st.fixed_dictionaries(
    {
        "task": st.sampled_from(TASKS),
        "near_miss_keys": st.sampled_from([0.0, 0.3, 1.0]),
        "near_miss_values": st.sampled_from([0.0, 1.0]),
        "gold_dict_size": st.sampled_from([2, "match"]),
        "max_tokens": st.sampled_from([1024, (768, 1280)]),
        "extra": st.integers(1, 4),
        "index": st.integers(0, 50),
        "kind": st.sampled_from(KINDS),
        "chat": st.booleans(),
    }
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(OPTIONS)
def test_invariants(tiny_tokenizer_dir, o):
    task = o["task"]
    options = {
        "near_miss_keys": o["near_miss_keys"],
        "near_miss_values": o["near_miss_values"],
        "gold_dict_size": o["gold_dict_size"],
        "max_tokens": o["max_tokens"],
        "margin": 100,
    }
    if task == "multi-subkey-kv":
        options["dict_size"] = (2, 3)
    if task == "multi-query-kv":
        options["num_queries"] = o["extra"]
    if task == "multi-hop-kv":
        options["hops"] = o["extra"]
    counter = _counter(o["kind"], o["chat"], str(tiny_tokenizer_dir))
    gen = _generator(
        o["kind"], o["chat"], str(tiny_tokenizer_dir), task, tuple(sorted(options.items()))
    )
    sample = gen.sample(o["index"])
    meta = sample.meta
    budgets = o["max_tokens"] if isinstance(o["max_tokens"], tuple) else (o["max_tokens"],)
    assert meta["max_tokens"] in budgets and meta["budget"] == meta["max_tokens"] - 100
    assert meta["num_tokens"] == counter.count(sample.prompt) <= meta["budget"]
    assert gen.check_sample(sample.prompt, sample.answer, meta) == []
    _check_near_miss(sample, o["near_miss_keys"], o["near_miss_values"])
    if task == "multi-hop-kv":
        chain = [*meta["chain_keys"], meta["gold_value"]]
        assert len(meta["chain_keys"]) == meta["hops"] == o["extra"]
        assert len(set(chain)) == len(chain)  # acyclic
        assert meta["chain_values"] == chain[1:]
        assert len(set(_answer_lines(meta))) == o["extra"]
    if task == "multi-query-kv":
        lines = sample.answer.split("\n")
        assert len(lines) == o["extra"] == len(set(_answer_lines(meta)))
        for line, key, value in zip(lines, meta["query_keys"], meta["query_values"], strict=True):
            assert line.startswith(f"The value of key {key} is {value} and")


@pytest.mark.parametrize("task", TASKS)
def test_near_miss_share(task):
    """About the asked share of distractor keys are near misses (0.3 of ~hundreds of keys)."""
    over = {"near_miss_keys": 0.3, "max_tokens": 2048, "num_samples": 4}
    if task == "multi-subkey-kv":
        over["dict_size"] = (2, 3)
    gen = make_generator(
        task, overrides=over, tokenizer=EmbeddedMistralCounter(chat_template=False)
    )
    near = total = 0
    for sample in gen.iter_samples():
        dicts, _ = parse_dictionaries(sample.prompt)
        keys, _ = _targets(sample.meta)
        lines = set(_answer_lines(sample.meta))
        for line, (_, d) in enumerate(dicts):
            if line in lines:
                continue
            for k in d:
                parts = list(k) if isinstance(k, tuple) else [k]
                for p in parts:
                    total += 1
                    near += any(one_digit_apart(p, t) for t in keys)
    share = near / total
    if task == "multi-subkey-kv":  # per subkey; some subkeys are shared, a few draws fail
        assert 0.15 < share < 0.45, share
    else:
        assert 0.22 < share < 0.38, share


@pytest.mark.parametrize("task", ["multi-query-kv", "multi-hop-kv"])
def test_linked_tasks_are_counted_from_their_structure(task):
    """The structure probe lays out the linked dictionaries too (it left them out, so the check
    failed and every prompt of these tasks was tokenized: ~1.9x tokenize-once, now ~1x)."""
    gen = make_generator(
        task, preset="paper-style", tokenizer=EmbeddedMistralCounter(chat_template=False)
    )
    assert gen.exact_counts()
    for s in gen.iter_samples(0, 3):
        assert gen.counter.count(s.prompt) == s.meta["num_tokens"]


def test_num_dicts_adds_the_linked_dictionaries():
    """num_dicts is the gold dictionary and the distractors (the builder's rule); the linked
    dictionaries of the further hops come on top."""
    counter = EmbeddedMistralCounter(chat_template=False)
    gen = make_generator("multi-hop-kv", overrides={"hops": 3, "num_dicts": 5}, tokenizer=counter)
    assert {s.meta["num_dicts"] for s in gen.iter_samples(0, 4)} == {7}
