"""Counts after adding or dropping a dictionary line: exact, and without recounting.

A fill-mode sample whose first exact count is over (or well under) the budget drops (or adds)
whole dictionary lines. For a tokenizer that counts additively over lines, the new count is the
old one minus (plus) that line's exact tokens; a 64K-token prompt is tokenized once, not once per
dropped line. A tokenizer that is not additive recounts every time; both stay exact.

These tests run with ``ARTIFICIAL_NEEDLES_COUNT=tokenize``: they cover the path of tokenizers
that are not digit barriers. The structural counts that the embedded and tiny tokenizers get by
default are tested in ``test_structural_counts.py``.
"""

from __future__ import annotations

import pytest
from counters import OffByOneCounter, RecordingCounter, hf_counter

from artificial_needles.eval.kv_docs import build_kv_docs
from artificial_needles.generators.build import make_generator
from artificial_needles.tokens.counter import load_tokenizer

LONG = 20_000  # characters: a whole 16K+ token prompt, not a probe (<= 102 lines) or a line


@pytest.fixture(autouse=True)
def _tokenize_every_prompt(monkeypatch):
    monkeypatch.setenv("ARTIFICIAL_NEEDLES_COUNT", "tokenize")


@pytest.mark.parametrize("task", ["simple-kv", "multi-subkey-kv"])
@pytest.mark.parametrize("kind", ["embedded", "embedded-chat", "hf", "hf-chat"])
def test_line_counts_are_exact(task, kind, tiny_tokenizer_dir):
    chat = kind.endswith("chat")
    counter = (
        load_tokenizer(None, chat)
        if kind.startswith("embedded")
        else hf_counter(tiny_tokenizer_dir, chat)
    )
    gen = make_generator(task, overrides={"max_tokens": 6000, "num_samples": 12}, tokenizer=counter)
    assert gen.costs.line_additive(), f"{kind}: the line check should hold for this tokenizer"
    samples = list(gen.iter_samples())
    assert [s.meta["num_tokens"] for s in samples] == counter.count_many(
        [s.prompt for s in samples]
    )
    assert all(s.meta["num_tokens"] <= gen.cfg.budget for s in samples)
    assert all(gen.check_sample(s.prompt, s.answer, s.meta) == [] for s in samples)


def test_long_prompts_are_counted_once():
    counter = RecordingCounter()
    docs = build_kv_docs("simple-kv", counter, [32768], depth_buckets=4, num_samples=3)
    whole = [n for n in counter.counted if n > LONG]
    # The first estimate of a 32K prompt is a few lines over: before, each dropped line cost a
    # recount (about 3 counts per doc); now one count per doc.
    assert len(whole) == len(docs) == 12
    assert [d["num_tokens"] for d in docs] == load_tokenizer(None).count_many(
        [d["prompt"] for d in docs]
    )


def test_not_additive_tokenizer_recounts_exactly():
    counter = OffByOneCounter()
    gen = make_generator(
        "simple-kv", overrides={"max_tokens": 16384, "num_samples": 4}, tokenizer=counter
    )
    assert not gen.costs.line_additive()
    samples = list(gen.iter_samples())
    assert [s.meta["num_tokens"] for s in samples] == counter.count_many(
        [s.prompt for s in samples]
    )
    assert all(s.meta["num_tokens"] <= gen.cfg.budget for s in samples)
    whole = [n for n in counter.counted if n > LONG]
    assert len(whole) > 2 * len(samples)  # every dropped line was a recount


def test_first_counts_are_batched_and_samples_unchanged(monkeypatch):
    """``iter_samples`` drafts 16 samples and counts their prompts in one tokenizer call; each
    sample is the one ``sample(i)`` makes, and a failure surfaces after the samples before it."""
    counter = RecordingCounter()
    gen = make_generator(
        "simple-kv", overrides={"max_tokens": 3000, "num_samples": 40}, tokenizer=counter
    )
    gen.costs.line_additive()  # its probe counts pairs of prompts: done before recording
    calls: list[int] = []
    real = RecordingCounter.count_many

    def count_many(self, prompts):
        calls.append(len(prompts))
        return real(self, prompts)

    monkeypatch.setattr(RecordingCounter, "count_many", count_many)
    batched = list(gen.iter_samples())
    assert [n for n in calls if n > 1] == [16, 16, 8]  # others: skeletons, recounts
    assert batched == [gen.sample(i) for i in range(40)]

    real_gold = type(gen.task).make_gold  # drawn once per sample, first thing
    golds: list[int] = []

    def make_gold(self, rng):
        golds.append(1)
        if len(golds) == 20:
            raise RuntimeError("draft 19 failed")
        return real_gold(self, rng)

    monkeypatch.setattr(type(gen.task), "make_gold", make_gold)
    seen = []
    with pytest.raises(RuntimeError, match="draft 19"):
        for s in gen.iter_samples():
            seen.append(s.meta["index"])
    assert seen == list(range(19))
