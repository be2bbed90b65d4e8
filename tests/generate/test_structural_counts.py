"""Counts from a prompt's structure: the tokenizer's own count, without tokenizing.

For tokenizers that give every digit a token of its own (the embedded Mistral model, the tiny
test tokenizer), the KV generators count a prompt from its lines' numbers and shapes
(``tasks/exact_count.py``). Every count must equal the tokenizer's, the samples must be the
bytes that tokenizing every prompt gives, and no whole prompt may reach the tokenizer. A
tokenizer that joins digits, or one that lies about its counts, falls back to tokenizing.
"""

from __future__ import annotations

import json
import re

import pytest
from counters import OffByOneCounter, RecordingCounter, hf_counter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.build import make_generator
from artificial_needles.tokens.counter import load_tokenizer
from artificial_needles.tokens.digit_barrier import COUNT_ENV

#: The rules a random simple-kv config may break, as the refusal names them: too few keys for the
#: dictionary sizes, a budget too small for the gold dictionary or for num_dicts dictionaries,
#: or a field out of range (a ConfigError: "<task>: <field>: must ...").
REFUSALS = re.compile(
    r"leave \d+ keys per data domain|alone need about \d+ tokens|num_dicts=\d+ may need about"
    r"|^simple-kv: \w+: "
)
LONG = 3_000  # characters: longer than every short string counted for a shape or the question


def _lines(samples) -> list[str]:
    return [json.dumps([s.prompt, s.answer, s.meta], sort_keys=True) for s in samples]


def _tokenized(task, overrides, counter_factory, monkeypatch, preset=None):
    """The same samples with every prompt tokenized (the reference)."""
    with monkeypatch.context() as m:
        m.setenv(COUNT_ENV, "tokenize")
        gen = make_generator(task, overrides=overrides, tokenizer=counter_factory(), preset=preset)
        assert not gen.exact_counts()
        return list(gen.iter_samples())


CASES = [
    ("simple-kv", "paper-mistral", {"num_samples": 40}),
    ("simple-kv", None, {"num_samples": 12, "max_tokens": 16384}),
    ("simple-kv", None, {"num_samples": 30, "max_tokens": 2000, "answer_template": False}),
    ("simple-kv", None, {"num_samples": 20, "num_dicts": 30, "dict_size": [1, 6],
                         "key_digits": [1, 5], "value_digits": [2, 7], "max_tokens": 1200}),
    ("multi-subkey-kv", None, {"num_samples": 12, "max_tokens": 6000}),
    ("multi-subkey-kv", None, {"num_samples": 12, "subkeys_per_key": [3, 5],
                               "max_tokens": 3000}),
]  # fmt: skip


@pytest.mark.parametrize(("task", "preset", "overrides"), CASES)
@pytest.mark.parametrize("kind", ["embedded", "embedded-chat", "hf", "hf-chat"])
def test_structural_counts_are_the_tokenizers(
    task, preset, overrides, kind, tiny_tokenizer_dir, monkeypatch
):
    chat = kind.endswith("chat")

    def factory():
        if kind.startswith("embedded"):
            return RecordingCounter(chat)
        return hf_counter(tiny_tokenizer_dir, chat)

    counter = factory()
    assert counter.digit_barrier()
    gen = make_generator(task, overrides=overrides, tokenizer=counter, preset=preset)
    assert gen.exact_counts(), f"{kind}: the structure should count this tokenizer exactly"
    if isinstance(counter, RecordingCounter):
        counter.counted.clear()
    samples = list(gen.iter_samples())
    if isinstance(counter, RecordingCounter):
        assert [n for n in counter.counted if n > LONG] == [], "a whole prompt was tokenized"
    assert [s.meta["num_tokens"] for s in samples] == factory().count_many(
        [s.prompt for s in samples]
    )
    assert all(s.meta["num_tokens"] <= gen.cfg.budget for s in samples)
    assert all(gen.check_sample(s.prompt, s.answer, s.meta) == [] for s in samples)
    # Byte-identical to tokenizing every prompt, and to sample(i) one at a time.
    assert _lines(samples) == _lines(_tokenized(task, overrides, factory, monkeypatch, preset))
    assert _lines(samples[:5]) == _lines(gen.sample(i) for i in range(5))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key_lo=st.integers(1, 4),
    key_span=st.integers(0, 3),
    value_lo=st.integers(1, 6),
    value_span=st.integers(0, 3),
    size_lo=st.integers(1, 4),
    size_span=st.integers(0, 4),
    gold_size=st.integers(1, 5),
    fill=st.booleans(),
    template=st.booleans(),
    max_tokens=st.sampled_from([900, 1500, 4096]),
    seed=st.integers(0, 2**32),
)
def test_structural_counts_hold_for_any_config(
    key_lo, key_span, value_lo, value_span, size_lo, size_span, gold_size, fill, template,
    max_tokens, seed,
):  # fmt: skip
    overrides = {
        "num_samples": 6,
        "seed": seed,
        "key_digits": [key_lo, key_lo + key_span],
        "value_digits": [value_lo, value_lo + value_span],
        "dict_size": [size_lo, size_lo + size_span],
        "gold_dict_size": gold_size,
        "answer_template": template,
        "max_tokens": max_tokens,
        "num_dicts": None if fill else 8,
    }
    counter = load_tokenizer(None)
    try:
        gen = make_generator("simple-kv", overrides=overrides, tokenizer=counter)
    except NeedlesError as exc:  # a config the generator refuses must say which rule it breaks
        assert REFUSALS.search(str(exc)), str(exc)
        return
    assert gen.exact_counts()
    samples = list(gen.iter_samples())
    assert [s.meta["num_tokens"] for s in samples] == counter.count_many(
        [s.prompt for s in samples]
    )
    assert all(s.meta["num_tokens"] <= gen.cfg.budget for s in samples)


def _assert_tokenized_exactly(counter, overrides) -> None:
    """simple-kv with ``counter`` takes the tokenizing path and its counts are exact."""
    gen = make_generator("simple-kv", overrides=overrides, tokenizer=counter)
    assert not gen.exact_counts()
    samples = list(gen.iter_samples())
    assert [s.meta["num_tokens"] for s in samples] == counter.count_many(
        [s.prompt for s in samples]
    )


def _digit_joining_tokenizer(path):
    """A byte-level BPE (GPT-2 style) trained on numbers: it has multi-digit tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=500,
        special_tokens=["<unk>", "<s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    corpus = [f"Dictionary [{i}] {{{i * 37 % 1000}: {i * 91 % 10000}}}" for i in range(3000)]
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", unk_token="<unk>")
    fast.save_pretrained(path)
    return path


def test_tokenizers_that_join_digits_are_tokenized(tmp_path):
    counter = hf_counter(_digit_joining_tokenizer(tmp_path / "bytelevel"))
    assert not counter.scan_digit_barrier()
    _assert_tokenized_exactly(counter, {"num_samples": 6, "max_tokens": 1500})


def test_a_count_the_structure_cannot_predict_is_tokenized():
    counter = OffByOneCounter()
    assert counter.digit_barrier()  # the vocabulary says barrier; the probe prompts say no
    _assert_tokenized_exactly(counter, {"num_samples": 6, "max_tokens": 4000})


def test_tokenize_env_turns_structural_counts_off(monkeypatch):
    monkeypatch.setenv(COUNT_ENV, "tokenize")
    counter = RecordingCounter()
    assert not counter.digit_barrier()
    gen = make_generator("simple-kv", overrides={"num_samples": 4}, tokenizer=counter,
                         preset="paper-mistral")  # fmt: skip
    assert not gen.exact_counts()
    counter.counted.clear()
    list(gen.iter_samples())
    assert len([n for n in counter.counted if n > LONG]) == 4


def test_a_task_that_renders_its_own_lines_must_declare_their_shape():
    from artificial_needles.generators.builder import Generator
    from artificial_needles.generators.simple_kv import SimpleKVConfig, SimpleKVTask

    class QuotedKeys(SimpleKVTask):
        def render_dict(self, pairs):
            return json.dumps({str(k): v for k, v in dict(pairs).items()})

    class QuotedKeysShaped(QuotedKeys):
        def line_shape(self, pairs):
            return len(pairs)

    config = SimpleKVConfig(num_samples=5, max_tokens=2000)
    counter = load_tokenizer(None)
    assert not Generator(QuotedKeys(config), counter).exact_counts()
    shaped = Generator(QuotedKeysShaped(config), counter)
    assert shaped.exact_counts()
    samples = list(shaped.iter_samples())
    assert '{"' in samples[0].prompt  # its own rendering, counted from its structure
    assert [s.meta["num_tokens"] for s in samples] == counter.count_many(
        [s.prompt for s in samples]
    )
