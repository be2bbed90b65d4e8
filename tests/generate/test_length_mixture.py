"""Length mixtures (issue 20, item 5): ``max_tokens`` as a list of budgets with weights.

Each sample draws its budget from its own stream; it is then the sample of the same config with
that one budget. A list of one budget is that budget (the paper presets stay byte-identical).
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from counters import hf_counter

from artificial_needles.cli.main import build_parser, main
from artificial_needles.cli.param_flags import int_or_words
from artificial_needles.errors import NeedlesError
from artificial_needles.generators.build import Summary, make_generator
from artificial_needles.generators.config import KVConfig
from artificial_needles.generators.mixture import LengthMixture
from artificial_needles.tokens.counter import EmbeddedMistralCounter

BUDGETS = (512, 1024, 2048)


def test_one_budget_in_a_list_is_that_budget():
    assert KVConfig(max_tokens=[4096]) == KVConfig()
    assert KVConfig(max_tokens=[4096]).max_tokens == 4096
    cfg = KVConfig(max_tokens=[1024, 2048], max_tokens_weights=[1, 3])
    assert cfg.max_tokens == (1024, 2048) and cfg.is_mixture
    assert cfg.max_tokens_choices == (1024, 2048)
    assert cfg.budget == 2048 - cfg.margin


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"max_tokens": [2048, 2048]}, "repeats a budget"),
        ({"max_tokens": [8, 2048]}, "at least 16"),
        ({"max_tokens_weights": [1.0]}, "needs several max_tokens budgets"),
        ({"max_tokens": [512, 1024], "max_tokens_weights": [1]}, "1 weights for 2"),
        ({"max_tokens": [512, 1024], "max_tokens_weights": [0, 0]}, "at least one above 0"),
        ({"max_tokens": [512, 1024], "margin": 600}, "smaller than max_tokens (512)"),
    ],
)
def test_bad_mixtures_are_named(values, needle):
    with pytest.raises(ValueError, match=re.escape(needle)):
        KVConfig(**values)


@pytest.fixture(scope="module")
def embedded():
    return EmbeddedMistralCounter(chat_template=False)


@pytest.mark.parametrize("chat", [False, True])
def test_each_sample_is_the_sample_of_its_budget(chat, tiny_tokenizer_dir):
    counter = hf_counter(tiny_tokenizer_dir, chat)
    over = {"num_samples": 24, "max_tokens": list(BUDGETS), "seed": 3}
    mix = make_generator("simple-kv", overrides=over, tokenizer=counter)
    assert isinstance(mix, LengthMixture)
    singles = {
        m: make_generator("simple-kv", overrides={**over, "max_tokens": m}, tokenizer=counter)
        for m in BUDGETS
    }
    seen = Counter()
    for sample in mix.iter_samples():
        m = sample.meta["max_tokens"]
        seen[m] += 1
        assert sample.meta["budget"] == m - 100
        assert sample.meta["num_tokens"] <= m - 100
        assert counter.count(sample.prompt) == sample.meta["num_tokens"]
        assert sample == singles[m].sample(sample.meta["index"])
        assert not mix.check_sample(sample.prompt, sample.answer, sample.meta)
    assert set(seen) == set(BUDGETS)  # 24 samples over three equal budgets


def test_weights_are_followed(embedded):
    over = {"num_samples": 400, "max_tokens": [256, 512], "max_tokens_weights": [3, 1]}
    mix = make_generator("simple-kv", overrides=over, tokenizer=embedded)
    drawn = Counter(mix.max_tokens_of(i) for i in range(400))
    assert 250 <= drawn[256] <= 350  # 300 expected (binomial sd ~8.7)
    zero = make_generator(
        "simple-kv",
        overrides={**over, "max_tokens_weights": [0, 1], "num_samples": 20},
        tokenizer=embedded,
    )
    assert {s.meta["max_tokens"] for s in zero.iter_samples()} == {512}


def test_mixture_cli_is_deterministic_and_summarised(tmp_path, capsys):
    outs = []
    for run in range(2):
        out = tmp_path / f"m{run}.jsonl"
        rc = main(
            [
                "generate", "simple-kv", "-o", str(out), "--num-samples", "30",
                "--max-tokens", "512", "1024", "--num-workers", str(1 + run),
            ]  # fmt: skip
        )
        assert rc == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    metas = [json.loads(line)["meta"] for line in outs[0].decode().splitlines()]
    assert {m["max_tokens"] for m in metas} == {512, 1024}
    err = capsys.readouterr().err
    for budget in (412, 924):
        n = sum(m["budget"] == budget for m in metas)
        assert f"budget {budget}: {n} samples" in err


def test_summary_of_one_budget_is_unchanged():
    s = Summary(100)
    for i, n in enumerate((90, 95)):
        s.add({"num_tokens": n, "gold_position": 1 + i, "num_dicts": 4, "budget": 100})
    assert "tokens: min 90  mean 92.5  max 95  budget 100  (mean fill 92.5%)" in s.render()


def test_max_tokens_flag_takes_several_numbers():
    args = build_parser().parse_args(
        ["generate", "simple-kv", "-o", "x", "--max-tokens", "2048", "4096", "8192",
         "--max-tokens-weights", "1", "1", "2", "--gold-dict-size", "match"]  # fmt: skip
    )
    assert args.max_tokens == [2048, 4096, 8192]
    assert args.max_tokens_weights == [1.0, 1.0, 2.0]
    assert args.gold_dict_size == "match"
    assert int_or_words(("match",))("4") == 4


def test_bad_mixture_flag_is_one_line_exit_2(tmp_path, capsys):
    rc = main(["generate", "simple-kv", "-o", str(tmp_path / "x"), "--max-tokens", "64", "64"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "max_tokens: [64, 64] repeats a budget" in err
    assert not (tmp_path / "x").exists()


def test_unknown_word_for_an_int_flag_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["generate", "simple-kv", "-o", "x", "--gold-dict-size", "3x"])
    assert exc.value.code == 2
    assert "neither an integer nor one of match" in capsys.readouterr().err


def test_mixture_budget_too_small_fails_cleanly(embedded):
    with pytest.raises(NeedlesError, match="max_tokens"):
        make_generator(
            "multi-subkey-kv",
            overrides={"max_tokens": [150, 4096], "num_dicts": 40, "margin": 100},
            tokenizer=embedded,
        ).sample(0)
