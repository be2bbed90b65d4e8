"""Invariants of every generated sample over random parameters, seeds and tokenizers."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.build import build_config, make_generator, to_dataset
from artificial_needles.generators.draw import PAPER_FIRST_SHARE, choose_position
from artificial_needles.tokens.counter import HFTokenCounter, load_tokenizer

EMBEDDED = load_tokenizer(None)


@pytest.fixture(scope="module")
def hf_counter(tiny_tokenizer_dir):
    from transformers import AutoTokenizer

    return HFTokenCounter(AutoTokenizer.from_pretrained(tiny_tokenizer_dir), "tiny", False)


@pytest.fixture(scope="module")
def hf_chat_counter(tiny_tokenizer_dir):
    from transformers import AutoTokenizer

    return HFTokenCounter(AutoTokenizer.from_pretrained(tiny_tokenizer_dir), "tiny", True)


#: 31 dictionaries of up to six 6-digit pairs in 815 tokens: drawn ~2.5x over the budget.
FAR_OVER_BUDGET = {
    "max_tokens": 815,
    "margin": 20,
    "num_dicts": 31,
    "key_digits": (4, 6),
    "value_digits": (6, 6),
    "dict_size": (1, 6),
    "gold_dict_size": 1,
    "answer_template": True,
    "seed": 62640,
}


def ranges(lo: int, hi: int):
    return st.tuples(st.integers(lo, hi), st.integers(lo, hi)).map(lambda t: tuple(sorted(t)))


common = {
    "max_tokens": st.integers(256, 3000),
    "margin": st.integers(0, 60),
    "dict_size": ranges(1, 6),
    "value_digits": ranges(2, 6),
    "answer_template": st.booleans(),
    "shuffle_names": st.booleans(),
    "gold_position": st.sampled_from(["uniform", "paper", "depth"]),
    "seed": st.integers(0, 2**31),
}


def _check(gen, indexes):
    for i in indexes:
        s = gen.sample(i)
        assert gen.check_sample(s.prompt, s.answer, s.meta) == []
        assert s.meta["num_tokens"] == gen.counter.count(s.prompt)
        assert s.meta["num_tokens"] <= gen.cfg.budget
        if gen.cfg.num_dicts is not None:
            assert s.meta["num_dicts"] == gen.cfg.num_dicts
        if gen.cfg.gold_position == "depth":
            lo, hi = gen.cfg.gold_depth
            n = s.meta["num_dicts"]
            assert lo * n - 1 <= s.meta["gold_position"] - 1 <= hi * n


def _build(task, params, counter):
    if params.get("gold_position") == "depth":
        params["gold_depth"] = (0.3, 0.6)
    try:
        return make_generator(task, overrides=params, tokenizer=counter)
    except NeedlesError as exc:  # infeasible combinations must say which parameter to change
        assert any(w in str(exc) for w in ("max_tokens", "num_dicts", "budget")), str(exc)
        assume(False)


simple_params = st.fixed_dictionaries(
    {
        **common,
        "key_digits": ranges(2, 6),
        "gold_dict_size": st.integers(1, 5),
        "num_dicts": st.one_of(st.none(), st.integers(1, 40)),
    }
)
multi_params = st.fixed_dictionaries(
    {
        **common,
        "key_digits": ranges(3, 4),
        "gold_dict_size": st.integers(1, 4),
        "num_dicts": st.one_of(st.none(), st.integers(1, 20)),
        "subkeys_per_key": ranges(3, 5),
        "shared_subkeys": st.integers(0, 2),
        "sharing_fraction": st.floats(0, 1),
    }
)
# No shrinking phase: a failure prints its full example, and CI time stays bounded.
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(params=simple_params, index=st.integers(0, 10**6))
def test_simple_invariants_embedded(params, index):
    _check(_build("simple-kv", params, EMBEDDED), [index, index + 1])


@SETTINGS
@given(params=simple_params, index=st.integers(0, 10**6))
@example(  # fixed num_dicts drawn ~2.5x over budget: needs ~80 key removals to settle
    params={**FAR_OVER_BUDGET, "shuffle_names": True, "gold_position": "paper"},
    index=67193,
)
def test_simple_invariants_hf(params, index, hf_counter):
    _check(_build("simple-kv", params, hf_counter), [index])


@SETTINGS
@given(params=multi_params, index=st.integers(0, 10**6))
def test_multi_invariants_embedded(params, index):
    _check(_build("multi-subkey-kv", params, EMBEDDED), [index])


@SETTINGS
@given(params=multi_params, index=st.integers(0, 10**6))
def test_multi_invariants_hf(params, index, hf_counter):
    _check(_build("multi-subkey-kv", params, hf_counter), [index])


@pytest.mark.parametrize("task", ["simple-kv", "multi-subkey-kv"])
def test_chat_template_budget(task, hf_chat_counter):
    gen = make_generator(task, overrides={"max_tokens": 800}, tokenizer=hf_chat_counter)
    for i in range(5):
        s = gen.sample(i)
        ids = hf_chat_counter.chat_ids(s.prompt)
        assert s.meta["num_tokens"] == len(ids) <= gen.cfg.budget
        assert s.meta["chat_template"] is True


def test_embedded_chat_count_matches_mistral_common():
    from mistral_common.protocol.instruct.messages import UserMessage
    from mistral_common.protocol.instruct.request import ChatCompletionRequest
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    reference = MistralTokenizer.v1()
    counter = load_tokenizer("default", chat_template=True)
    gen = make_generator("simple-kv", overrides={"max_tokens": 600}, tokenizer=counter)
    for i in range(3):
        prompt = gen.sample(i).prompt
        req = ChatCompletionRequest(messages=[UserMessage(content=prompt)])
        assert counter.count(prompt) == len(reference.encode_chat_completion(req).tokens)


@pytest.mark.parametrize("counter_name", ["embedded", "hf"])
def test_fill_mode_reaches_97_percent(counter_name, hf_counter):
    counter = EMBEDDED if counter_name == "embedded" else hf_counter
    for max_tokens in (2048, 4096):
        gen = make_generator("simple-kv", overrides={"max_tokens": max_tokens}, tokenizer=counter)
        fills = [gen.sample(i).meta["num_tokens"] / gen.cfg.budget for i in range(60)]
        assert max(fills) <= 1.0
        assert statistics.fmean(fills) >= 0.97, (max_tokens, statistics.fmean(fills))


def test_paper_preset_matches_recipe():
    gen = make_generator("simple-kv", preset="paper-mistral", overrides={"num_samples": 40})
    samples = list(gen.iter_samples())
    for s in samples:
        assert s.meta["num_dicts"] == 85
        assert s.meta["num_tokens"] <= 4096 - 100
        assert s.meta["preset"] == "paper-mistral"
        assert gen.check_sample(s.prompt, s.answer, s.meta) == []
    # about 3,900 tokens per prompt, as the paper reports
    assert 3700 < statistics.fmean(s.meta["num_tokens"] for s in samples) < 3996
    cfg = build_config("multi-subkey-kv", "paper-gpt35")
    assert cfg.num_dicts == 49 and cfg.num_samples == 150


def test_paper_position_mixture():
    import random

    cfg = build_config("simple-kv", "paper-mistral")
    rng = random.Random(0)
    draws = [choose_position(cfg, 85, rng) for _ in range(20000)]
    first = draws.count(0) / len(draws)
    # 5% forced first + 3% among the first 5 (ceil(0.05*85)) + uniform share of position 1
    expected_first = PAPER_FIRST_SHARE + 0.03 / 5 + 0.92 / 85
    assert abs(first - expected_first) < 0.01
    early = sum(d < 5 for d in draws) / len(draws)
    assert abs(early - (0.08 + 0.92 * 5 / 85)) < 0.012
    assert set(draws) == set(range(85))


def test_samples_depend_only_on_seed_and_index():
    a = make_generator("simple-kv", overrides={"max_tokens": 700, "seed": 3})
    b = make_generator("simple-kv", overrides={"max_tokens": 700, "seed": 3})
    c = make_generator("simple-kv", overrides={"max_tokens": 700, "seed": 4})
    assert a.sample(17) == b.sample(17)
    assert [b.sample(i) for i in (5, 4)] == [a.sample(i) for i in (5, 4)]
    assert a.sample(17).prompt != c.sample(17).prompt


def test_to_dataset():
    gen = make_generator("simple-kv", overrides={"max_tokens": 600, "num_samples": 4})
    ds = to_dataset(gen, "openai")
    assert len(ds) == 4
    assert [m["role"] for m in ds[0]["messages"]] == ["system", "user", "assistant"]
    assert ds[2]["meta"]["index"] == 2
    assert ds[0]["messages"][1]["content"] == gen.sample(0).prompt


def test_fixed_num_dicts_far_over_budget_settles_in_few_counts(hf_counter, monkeypatch):
    """31 dictionaries drawn at ~2.5x the budget: keys are removed by the estimate between
    exact counts (before: one key per count, and 64 counts were not enough)."""
    params = {k: v for k, v in FAR_OVER_BUDGET.items() if k != "answer_template"}
    gen = make_generator("simple-kv", overrides=params, tokenizer=hf_counter)
    counts: list[int] = []
    count = hf_counter.count
    monkeypatch.setattr(hf_counter, "count", lambda text: counts.append(count(text)) or counts[-1])
    for index in (67193, 1, 2):
        counts.clear()
        s = gen.sample(index)
        assert s.meta["num_dicts"] == 31 and s.meta["num_tokens"] <= gen.cfg.budget
        assert len(counts) <= 8, counts
