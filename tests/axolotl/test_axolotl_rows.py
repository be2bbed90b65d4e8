"""Training rows of the needles dataset type: labels cover exactly the answer.

Three chat-template families (Mistral ``[INST]``, Llama-3, ChatML) on tiny local tokenizers;
the rows come from the same function Axolotl calls (``generate_rows``), and the packing test
runs them through Axolotl's own multipack sampler and collator.
"""

from __future__ import annotations

import re

import pytest

from artificial_needles.axolotl.dataset import generate_rows
from artificial_needles.axolotl.rows import IGNORE_INDEX, build_row, slot_spans, trainable_text
from artificial_needles.testing import END_OF_TURN, build_tokenizer

FAMILIES = ["mistral", "llama3", "chatml"]
MAX_TOKENS = 384
MARGIN = 80


@pytest.fixture(scope="module", params=FAMILIES)
def family_tokenizer(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(f"tok-{request.param}")
    return request.param, build_tokenizer(path, chat_template=request.param)


def _spec(task="simple-kv", train_on="answer", seed=0, start=0):
    return {
        "task": task,
        "preset": None,
        "overrides": {"max_tokens": MAX_TOKENS, "margin": MARGIN, "seed": seed, "num_samples": 8},
        "split": "train",
        "start": start,
        "count": 8,
        "mix_ratio": None,
        "train_on": train_on,
        "version": "test",
    }


def _samples(tokenizer, task, seed=0, n=8):
    from artificial_needles.generators.build import make_generator
    from artificial_needles.tokens.counter import HFTokenCounter

    counter = HFTokenCounter(tokenizer, "tiny", chat_template=True)
    gen = make_generator(task, None, _spec(task, seed=seed)["overrides"], tokenizer=counter)
    return list(gen.iter_samples(0, n))


@pytest.mark.parametrize("task", ["simple-kv", "multi-subkey-kv"])
def test_trainable_tokens_are_answer_and_end_of_turn(family_tokenizer, task):
    family, tok = family_tokenizer
    samples = _samples(tok, task)
    rows = generate_rows(tok, _spec(task), len(samples))
    assert len(rows) == len(samples)
    for sample, row in zip(samples, rows, strict=True):
        assert trainable_text(tok, row) == sample.answer + END_OF_TURN[family]
        built = build_row(tok, sample.prompt, sample.answer, sample.meta)
        # the prompt as the model sees it (chat template + generation prompt) fits the budget
        assert built.prompt_tokens == sample.meta["num_tokens"] <= MAX_TOKENS - MARGIN
        assert len(row["input_ids"]) <= MAX_TOKENS
        assert all(lab == IGNORE_INDEX for lab in row["labels"][: built.prompt_tokens])
        assert row["attention_mask"] == [1] * len(row["input_ids"])
        # labels equal the input ids where they are trained (Axolotl shifts them itself)
        assert all(
            lab in (IGNORE_INDEX, t) for t, lab in zip(row["input_ids"], row["labels"], strict=True)
        )


def test_answer_slots_trains_value_and_dictionary_name_only(family_tokenizer):
    _, tok = family_tokenizer
    for task in ("simple-kv", "multi-subkey-kv"):
        samples = _samples(tok, task, n=4)
        rows = generate_rows(tok, _spec(task, train_on="answer_slots"), 4)
        for sample, row in zip(samples, rows, strict=True):
            text = trainable_text(tok, row)
            expected = f"{sample.meta['gold_value']}{sample.meta['gold_dict_name']}"
            assert re.sub(r"\s", "", text) == expected


def test_slot_spans_skip_a_value_inside_the_key():
    meta = {"gold_value": 123, "gold_dict_name": 7}
    answer = "The value of key 1234 is 123 and it is in Dictionary [7]."
    spans = slot_spans(answer, meta)
    assert [answer[a:b] for a, b in spans] == ["123", "7"]
    assert spans[0][0] == answer.index(" is 123") + 4


def test_same_spec_same_rows_and_seed_changes_them(tiny_tokenizer_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    first = generate_rows(tok, _spec(), 5).to_dict()
    again = generate_rows(tok, _spec(), 5).to_dict()
    other = generate_rows(tok, _spec(seed=1), 5).to_dict()
    assert first == again
    assert first["input_ids"] != other["input_ids"]


def test_answer_longer_than_margin_fails_naming_the_key(tiny_tokenizer_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    spec = _spec()
    spec["overrides"] = {**spec["overrides"], "margin": 2}
    # The premise: with a 2-token margin, some of the 8 prompts leave too little room for the
    # answer and its end-of-turn token (fill mode stops within about a line of the budget).
    from artificial_needles.generators.build import make_generator
    from artificial_needles.tokens.counter import HFTokenCounter

    counter = HFTokenCounter(tok, "tiny", chat_template=True)
    gen = make_generator("simple-kv", None, spec["overrides"], tokenizer=counter)
    room = [MAX_TOKENS - s.meta["num_tokens"] for s in gen.iter_samples(0, 8)]
    answer = len(tok(gen.sample(0).answer, add_special_tokens=False)["input_ids"])
    assert min(room) < answer, (room, answer)
    with pytest.raises(ValueError, match="needles_margin"):
        generate_rows(tok, spec, 8)


def test_template_without_end_of_turn_token_fails_clearly(tmp_path):
    tok = build_tokenizer(tmp_path, chat_template="chatml")
    tok.chat_template = (
        "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}"
    )
    sample = _samples(tok, "simple-kv", n=1)[0]
    with pytest.raises(ValueError, match="eot_tokens"):
        build_row(tok, sample.prompt, sample.answer, sample.meta)


def test_labels_survive_axolotl_sample_packing(tiny_tokenizer_dir):
    """Pack rows with Axolotl's multipack sampler and collator; every packed sub-sequence
    still trains on exactly its own answer and end-of-turn marker."""
    import numpy as np
    from axolotl.utils.collators import V2BatchSamplerDataCollatorForSeq2Seq
    from axolotl.utils.samplers import MultipackBatchSampler, get_dataset_lengths
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    rows = generate_rows(tok, _spec(), 8)
    rows = rows.map(lambda r: {"position_ids": list(range(len(r["input_ids"])))})
    pack_len = 2 * MAX_TOKENS
    sampler = MultipackBatchSampler(
        sampler=range(len(rows)),
        batch_size=1,
        batch_max_len=pack_len,
        lengths=get_dataset_lengths(rows),
        bin_size=200,
        drop_last=False,
        num_processes=1,
    )
    collator = V2BatchSamplerDataCollatorForSeq2Seq(
        tokenizer=tok, padding=True, pad_to_multiple_of=pack_len, return_tensors="np"
    )
    seen = []
    packed_any = False
    for batch in sampler:
        for bin_ in batch:
            packed_any |= len(bin_) > 1
            out = collator([[rows[i] for i in bin_]])
            ids, labels, seg = out["input_ids"][0], out["labels"][0], out["attention_mask"][0]
            assert len(ids) == pack_len
            for k, idx in enumerate(bin_, start=1):
                mask = (seg == k) & (labels != IGNORE_INDEX)
                text = tok.decode(ids[mask].tolist(), skip_special_tokens=False)
                assert text == trainable_text(tok, rows[idx])
                assert text.endswith(END_OF_TURN["chatml"])
                seen.append(idx)
            assert np.all(labels[seg == 0] == IGNORE_INDEX)
    assert packed_any
    assert sorted(seen) == list(range(len(rows)))
