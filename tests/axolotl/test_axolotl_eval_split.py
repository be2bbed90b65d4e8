"""The Axolotl eval split (``needles_eval_samples``) shares no sample with the training split.

The eval split is generated in the "validation" domain (``spec.split_domain``,
``artificial_needles.seeding``): every key is in the class that no training key is drawn from,
and every value in the class that no lm-eval KV document's value is drawn from. Its seeds also
differ (>= 2**63, ``spec.eval_seed``), so its random streams are not a training set's, but only
the classes make the guarantee: over many training samples, chance repeats of (key, value) pairs
are certain. The acceptance test (paper presets, seeds 0-9, training indices 0-9,999) shares its
computation with tests/generate/test_overlap.py (``overlap_check.acceptance``).
"""

from __future__ import annotations

import re

import pytest

from artificial_needles.axolotl.spec import (
    build_spec,
    eval_seed,
    iter_split,
    split_domain,
)
from artificial_needles.generators.build import make_generator
from artificial_needles.seeding import DOMAIN_CLASSES, EVAL_SEED_BIT, key_class, number_class

_LINE = re.compile(r"Dictionary \[\d+\] (\{.*\})")
_PAIR = re.compile(r"(\d+): (\d+)")


def _cfg(seed: int, eval_samples: int = 50) -> dict:
    return {
        "needles_task": "simple-kv",
        "needles_num_samples": 10_000,
        "needles_eval_samples": eval_samples,
        "needles_num_dicts": 2,
        "needles_seed": seed,
        "sequence_len": 512,
    }


def _split(cfg: dict, split: str, count: int) -> list:
    spec = build_spec(cfg, split)
    gen = make_generator(
        spec["task"], spec["preset"], spec["overrides"], "default", domain=split_domain(spec)
    )
    return list(iter_split(gen, spec, count))


def _golds(samples: list) -> tuple[set, set]:
    """Gold (key, value) pairs and gold dictionary bodies (the line without its name)."""
    pairs, lines = set(), set()
    for s in samples:
        pairs.add((s.meta["gold_key"], s.meta["gold_value"]))
        bodies = [m.group(1) for m in _LINE.finditer(s.prompt)]
        lines.add(bodies[s.meta["gold_position"] - 1])
    return pairs, lines


def test_eval_split_seeds_are_never_training_seeds_nor_kv_eval_seeds():
    from artificial_needles.eval.kv_docs import cell_seed

    seeds = {eval_seed(task, s) for task in ("simple-kv", "multi-subkey-kv") for s in range(100)}
    assert len(seeds) == 200 and all(s >= EVAL_SEED_BIT for s in seeds)
    kv = {
        cell_seed(task, s, n, 10, b)
        for task in ("kv_retrieval_simple", "kv_retrieval_multisubkey")
        for s in range(100)
        for n in (1024, 4096)
        for b in range(10)
    }
    assert not seeds & kv
    assert build_spec(_cfg(3), "eval")["overrides"]["seed"] == eval_seed("simple-kv", 3)
    assert build_spec(_cfg(3), "train")["overrides"]["seed"] == 3


def test_eval_split_is_not_a_far_index_range_of_the_training_stream():
    """The eval split is not a far index range of the training stream (e.g. indices
    1,000,000+), which a long enough training run (or a second config with more samples) would
    draw too."""
    cfg = _cfg(0, eval_samples=3)
    eval_samples = _split(cfg, "eval", 3)
    spec = build_spec(cfg, "train")
    gen = make_generator(spec["task"], spec["preset"], spec["overrides"], "default")
    far = [gen.sample(1_000_000 + i) for i in range(3)]
    assert [s.prompt for s in eval_samples] != [s.prompt for s in far]
    assert not {s.prompt for s in eval_samples} & {s.prompt for s in far}


def test_splits_are_generated_in_their_domains():
    """The train split's keys are in the training class, the eval split's in the validation
    class (never the training key space)."""
    assert build_spec(_cfg(0), "train")["domain"] == "train"
    assert build_spec(_cfg(0), "eval")["domain"] == "validation"
    legacy = {k: v for k, v in build_spec(_cfg(0), "eval").items() if k != "domain"}
    assert split_domain(legacy) == "validation"
    for split, domain in (("train", "train"), ("eval", "validation")):
        key_cls, value_cls = DOMAIN_CLASSES[domain]
        for s in _split(_cfg(4), split, 40):
            for m in _PAIR.finditer(s.prompt):
                assert number_class(int(m.group(1))) == key_cls, (split, m.group(0))
                if value_cls is not None:
                    assert number_class(int(m.group(2))) == value_cls, (split, m.group(0))


def test_multisubkey_eval_split_keys_are_validation_class():
    cfg = {**_cfg(2), "needles_task": "multi-subkey-kv", "needles_preset": "paper-gpt35"}
    cfg.pop("needles_num_dicts")
    cfg["sequence_len"] = 4096
    for s in _split(cfg, "eval", 3):
        assert key_class(s.meta["gold_key"]) == DOMAIN_CLASSES["validation"][0]
        assert number_class(s.meta["gold_value"]) == DOMAIN_CLASSES["validation"][1]


@pytest.mark.full_scan
@pytest.mark.parametrize("task", ["simple-kv", "multi-subkey-kv"])
def test_no_eval_split_gold_in_training_indices_0_to_9999_of_seeds_0_to_9(task, tmp_path_factory):
    """The eval split of paper-preset runs (150 samples, as the shipped configs) of seeds 0-9
    against every pair and line of training samples 0-9,999 of seeds 0-9, and against the golds
    of the lm-eval KV documents of seeds 0-9 (the default run scans a small range of the same:
    tests/generate/test_overlap.py)."""
    from overlap_check import assert_no_overlap, shared_acceptance

    result = shared_acceptance(task, tmp_path_factory)
    assert_no_overlap(result, seeds=10, split_samples=150)
    assert len(result["split"].pairs) > 1490  # 10 seeds x 150 samples


def test_eval_split_rows_are_the_validation_domain_samples(tiny_tokenizer_dir):
    """The rows Axolotl gets for the eval split (``generate_rows``, as the dataset type and the
    ``needles-generate`` command build them) are the validation-domain samples."""
    from transformers import AutoTokenizer

    from artificial_needles.axolotl.dataset import generate_rows
    from artificial_needles.tokens.counter import HFTokenCounter

    tok = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    spec = build_spec({**_cfg(1, eval_samples=3), "sequence_len": 384}, "eval")
    rows = generate_rows(tok, spec, 3)
    counter = HFTokenCounter(tok, "tiny", chat_template=True)
    gen = make_generator(spec["task"], None, spec["overrides"], counter, domain="validation")
    for row, sample in zip(rows, iter_split(gen, spec, 3), strict=True):
        text = tok.decode(row["input_ids"])
        assert sample.prompt in text
        assert number_class(sample.meta["gold_key"]) == DOMAIN_CLASSES["validation"][0]
