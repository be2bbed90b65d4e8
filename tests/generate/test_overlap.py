"""No evaluation document shares its gold pair or gold dictionary line with training data.

Separate random streams are not enough: ten seeds of 10,000 paper-sized training samples print a
large share of the ~10**8 (key, value) pairs, so gold pairs of evaluation documents turn up in
training prompts by chance (before the domains, the KV eval documents of seed 1 had gold pairs in
training samples 56 and 67 of ``simple-kv --preset paper-mistral --seed 1``). The guarantee is
structural (``artificial_needles.seeding``): every training key is in class 0, every key of an
evaluation or validation prompt in class 1, so these tests check both the classes of every key
printed and the direct occurrence of the gold pairs and lines.
"""

from __future__ import annotations

import pytest
from overlap_check import (
    LM_EVAL_TASK,
    PAIR,
    PAPER,
    Golds,
    Scan,
    acceptance,
    assert_no_overlap,
    body,
    kv_eval_golds,
    scan,
    shared_acceptance,
)

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.build import make_generator
from artificial_needles.seeding import (
    DOMAIN_CLASSES,
    DOMAINS,
    class_table,
    key_class,
    number_class,
    to_class,
)
from artificial_needles.tokens.counter import load_tokenizer

TASKS = ("simple-kv", "multi-subkey-kv")
EMBEDDED = load_tokenizer(None)


def test_number_classes_split_every_pair_and_are_not_a_digit_rule():
    table = class_table(10**5).tolist()
    assert table == [number_class(n) for n in range(10**5)]
    assert all(table[n] != table[n ^ 1] for n in range(10**5))
    # Fixed forever: old evaluation documents must never meet new training data.
    assert table[:16] == [1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1]
    for step in (2, 10, 100):  # even numbers, a last digit, last two digits: balanced
        share = sum(table[0::step]) / len(table[0::step])
        assert 0.45 < share < 0.55, step
    big = [10**14 + 7919 * i for i in range(2000)]
    assert all(number_class(n) != number_class(n ^ 1) for n in big)
    assert 0.45 < sum(map(number_class, big)) / len(big) < 0.55
    assert {to_class(n, c) for n in (4566, 4567) for c in (0, 1)} == {4566, 4567}
    assert all(number_class(to_class(n, c)) == c for n in range(1000) for c in (0, 1))
    assert key_class((123, 456, 789)) == key_class((789, 123, 456))
    assert key_class((123, 456)) == number_class(123) ^ number_class(456)


@pytest.mark.parametrize("task", TASKS)
def test_kv_eval_gold_pairs_are_not_in_the_first_training_samples(task):
    """Without the data domains, training samples 56 and 67 of simple-kv seed 1 print gold pairs
    of the KV eval documents of seed 1: none may."""
    golds = kv_eval_golds(task, [1], EMBEDDED)
    assert len(golds.pairs) == 200
    result = scan(Scan(task, PAPER[task], {"seed": 1}, 0, 100), golds)
    assert result["hits"] == []
    assert result["num_wrong"] == 0 and result["pairs"] > 5000


@pytest.mark.parametrize("task", TASKS)
def test_every_kv_eval_key_and_value_is_in_the_eval_classes(task):
    from artificial_needles.eval.kv_docs import build_kv_docs

    key_cls, value_cls = DOMAIN_CLASSES["eval"]
    docs = build_kv_docs(task, EMBEDDED, [512, 1024], depth_buckets=3, num_samples=4, seed=5)
    for d in docs:
        for m in PAIR[task].finditer(body(d["prompt"])):
            key = [int(x) for x in m.group(1).split(", ")]
            assert key_class(key) == key_cls, (d["index"], m.group(0))
            assert number_class(int(m.group(2))) == value_cls, (d["index"], m.group(0))


CONFIGS = {
    "simple-kv": [
        {},  # fill mode, vectorised (<= 4 digits)
        {"num_dicts": 12, "key_digits": (1, 2), "value_digits": (2, 5)},  # scalar path
        {"key_digits": (6, 9), "value_digits": (7, 7), "max_tokens": 1200},  # wide numbers
    ],
    "multi-subkey-kv": [
        {},
        {"num_dicts": 6, "subkeys_per_key": (2, 5), "shared_subkeys": 1, "sharing_fraction": 1},
        {"key_digits": (6, 8), "max_tokens": 1500, "query_subkeys": 2, "shared_subkeys": 1},
    ],
}


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("task", TASKS)
def test_every_key_of_a_sample_is_in_its_domain_class(task, domain):
    for i, overrides in enumerate(CONFIGS[task]):
        job = Scan(task, None, {"seed": 11 + i, "max_tokens": 1024, **overrides}, 0, 12, domain)
        result = scan(job, Golds())
        assert result["num_wrong"] == 0, (overrides, result["wrong_class"])
        assert result["pairs"] > 12


@pytest.mark.parametrize("task", TASKS)
def test_domains_draw_unrelated_samples_from_the_same_seed(task):
    gens = {d: make_generator(task, PAPER[task], {"seed": 3}, domain=d) for d in DOMAINS}
    samples = {d: [g.sample(i) for i in range(5)] for d, g in gens.items()}
    for d in DOMAINS:
        s = samples[d][0]
        assert gens[d].check_sample(s.prompt, s.answer, s.meta) == []
        assert gens[d].domain == d
        assert key_class(s.meta["gold_key"]) == DOMAIN_CLASSES[d][0]
    positions = {d: [s.meta["gold_position"] for s in ss] for d, ss in samples.items()}
    assert positions["train"] != positions["eval"] != positions["validation"]


def test_a_key_space_too_small_for_one_domain_is_refused():
    """Each domain has half of the keys: one-digit keys leave five, too few for dictionaries of
    five distinct keys (the generator would never finish one)."""
    with pytest.raises(NeedlesError, match=r"key_digits \[1, 1\] leave 5 keys per data domain"):
        make_generator("simple-kv", overrides={"key_digits": (1, 1), "dict_size": (5, 5)})
    with pytest.raises(NeedlesError, match="than the 6 that dict_size max 4"):
        make_generator(
            "simple-kv",
            overrides={"key_digits": (1, 1), "value_digits": (1, 3), "dict_size": (4, 4)},
        )
    gen = make_generator("simple-kv", overrides={"key_digits": (1, 1), "dict_size": (4, 4)})
    assert gen.check_sample(*_fields(gen.sample(0))) == []


def _fields(sample):
    return sample.prompt, sample.answer, sample.meta


def test_unknown_domain_is_refused():
    with pytest.raises(ValueError, match="unknown domain 'test'; use one of train, eval"):
        make_generator("simple-kv", domain="test")


@pytest.mark.parametrize("task", TASKS)
def test_no_eval_gold_in_a_small_training_scan(task):
    """The full scan below, on 2 seeds x 150 training indices and a 10-sample eval split (the
    same code path, in this process): no gold of the KV eval documents nor of the Axolotl eval
    split in training samples, every key in its domain's class."""
    result = acceptance(task, seeds=(0, 1), train_stop=150, split_samples=10, workers=1)
    assert_no_overlap(result, seeds=2, split_samples=10)
    assert result["train"]["pairs"] > 2 * 150 * 100


@pytest.mark.full_scan
@pytest.mark.parametrize("task", TASKS)
def test_no_kv_eval_gold_in_training_indices_0_to_9999_of_seeds_0_to_9(task, tmp_path_factory):
    """The gold pairs and gold dictionary lines of the KV eval documents (lm-eval defaults) of
    seeds 0-9 occur in no training sample 0-9,999 of seeds 0-9 (paper preset, any pair anywhere
    in the prompt) nor in the Axolotl eval split of those runs; every training key is in the
    training class. The Axolotl side is asserted in tests/axolotl/test_axolotl_eval_split.py
    from the same computation."""
    result = shared_acceptance(task, tmp_path_factory)
    assert_no_overlap(result, seeds=10, split_samples=150)
    train = result["train"]
    assert train["pairs"] > (25_000_000 if task == "simple-kv" else 10_000_000)
    assert len(result["kv"].pairs) > 1990 and LM_EVAL_TASK[task]
    print(f"{task}: {train['pairs']} training pairs scanned in {result['seconds']:.0f} s")
