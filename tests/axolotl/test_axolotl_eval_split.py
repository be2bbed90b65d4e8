"""The Axolotl eval split (``needles_eval_samples``) shares no sample with the training split.

The eval split draws with a seed >= 2**63 (``spec.eval_seed``), never a training seed, so no
eval sample is a training sample of any index, and none is an lm-eval KV eval document (those
seeds come from another hash label). The prompts are sized with the embedded tokenizer and kept
small (two dictionaries) so that the training indices 0-9,999 of ten seeds are quick to draw.
"""

from __future__ import annotations

import re

import pytest

from artificial_needles.axolotl.spec import EVAL_SEED_BIT, build_spec, eval_seed, iter_split
from artificial_needles.generate import make_generator

_LINE = re.compile(r"Dictionary \[\d+\] (\{.*\})")


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
    gen = make_generator(spec["task"], spec["preset"], spec["overrides"], tokenizer="default")
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
    from artificial_needles.data.kv_eval import cell_seed

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
    """The old eval split was training indices 1,000,000+: a long enough training run (or a
    second config with more samples) drew the very same samples."""
    cfg = _cfg(0, eval_samples=3)
    eval_samples = _split(cfg, "eval", 3)
    spec = build_spec(cfg, "train")
    gen = make_generator(spec["task"], spec["preset"], spec["overrides"], tokenizer="default")
    far = [gen.sample(1_000_000 + i) for i in range(3)]
    assert [s.prompt for s in eval_samples] != [s.prompt for s in far]
    assert not {s.prompt for s in eval_samples} & {s.prompt for s in far}


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_no_eval_gold_occurs_in_training_indices_0_to_9999(seed):
    cfg = _cfg(seed)
    eval_pairs, eval_lines = _golds(_split(cfg, "eval", cfg["needles_eval_samples"]))
    train_pairs, train_lines = _golds(_split(cfg, "train", 10_000))
    assert len(eval_pairs) == cfg["needles_eval_samples"]
    assert not eval_pairs & train_pairs
    assert not eval_lines & train_lines
