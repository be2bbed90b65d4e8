"""Training rows of the multi-query and multi-hop generators through the real Axolotl dataset
path (``generate_rows``, the function Axolotl calls): the decoded labels are the answer and its
end of turn, and with ``answer_slots`` every value and dictionary name of every line."""

from __future__ import annotations

import re

import pytest

from artificial_needles.axolotl.dataset import generate_rows
from artificial_needles.axolotl.rows import IGNORE_INDEX, build_row, trainable_text
from artificial_needles.testing import END_OF_TURN, build_tokenizer

TASKS = {"multi-query-kv": {"num_queries": 3}, "multi-hop-kv": {"hops": 3}}
MAX_TOKENS, MARGIN = 640, 160


@pytest.fixture(scope="module", params=["mistral", "chatml"])
def family_tokenizer(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(f"tok-{request.param}")
    return request.param, build_tokenizer(path, chat_template=request.param)


def _spec(task: str, train_on: str = "answer") -> dict:
    overrides = {"max_tokens": MAX_TOKENS, "margin": MARGIN, "num_samples": 6, **TASKS[task]}
    return {
        "task": task, "preset": None, "overrides": overrides, "split": "train", "start": 0,
        "count": 6, "mix_ratio": None, "train_on": train_on, "version": "test",
    }  # fmt: skip


def _samples(tok, task):
    from artificial_needles.generators.build import make_generator
    from artificial_needles.tokens.counter import HFTokenCounter

    counter = HFTokenCounter(tok, "tiny", chat_template=True)
    return list(
        make_generator(task, None, _spec(task)["overrides"], tokenizer=counter).iter_samples()
    )


@pytest.mark.parametrize("task", sorted(TASKS))
def test_labels_are_the_answer(family_tokenizer, task):
    family, tok = family_tokenizer
    samples = _samples(tok, task)
    rows = generate_rows(tok, _spec(task), len(samples))
    for sample, row in zip(samples, rows, strict=True):
        assert trainable_text(tok, row) == sample.answer + END_OF_TURN[family]
        assert len(sample.answer.split("\n")) == 3 + (task == "multi-hop-kv")
        built = build_row(tok, sample.prompt, sample.answer, sample.meta)
        assert built.prompt_tokens == sample.meta["num_tokens"] <= MAX_TOKENS - MARGIN
        assert all(lab == IGNORE_INDEX for lab in row["labels"][: built.prompt_tokens])


@pytest.mark.parametrize("task", sorted(TASKS))
def test_answer_slots_cover_every_line(family_tokenizer, task):
    _, tok = family_tokenizer
    samples = _samples(tok, task)
    rows = generate_rows(tok, _spec(task, "answer_slots"), len(samples))
    for sample, row in zip(samples, rows, strict=True):
        meta = sample.meta
        names = [meta["gold_dict_name"], *meta["linked_dict_names"]]
        values = meta.get("query_values") or meta["chain_values"]
        pairs = zip(values, names, strict=True)
        if task == "multi-query-kv":  # "... is <value> and it is in Dictionary [<name>]."
            expected = "".join(f"{v}{n}" for v, n in pairs)
        else:  # "Key <k> is in Dictionary [<name>] and its value is <value>.", then the end
            expected = "".join(f"{n}{v}" for v, n in pairs) + str(meta["gold_value"])
        assert re.sub(r"\s", "", trainable_text(tok, row)) == expected
