"""KV retrieval eval docs: sized by the model's tokenizer, swept over depth, seeded, scored."""

from __future__ import annotations

import math

import pytest

from artificial_needles.errors import NeedlesError
from artificial_needles.eval.kv_docs import build_kv_docs, depth_starts
from artificial_needles.eval.scoring import MISSING, score_kv
from artificial_needles.tokens.counter import load_tokenizer


@pytest.fixture(scope="module")
def counter(tiny_tokenizer_dir):
    return load_tokenizer(str(tiny_tokenizer_dir))


@pytest.mark.parametrize("task", ["simple-kv", "multi-subkey-kv"])
def test_docs_fit_lengths_and_depths(counter, task):
    docs = build_kv_docs(task, counter, [1024, 2048], depth_buckets=5, num_samples=2, seed=3)
    assert len(docs) == 2 * 5 * 2
    assert [d["max_length"] for d in docs] == [1024] * 10 + [2048] * 10
    for d in docs:
        assert d["num_tokens"] <= d["max_length"] - 100
        assert counter.count(d["prompt"]) == d["num_tokens"]
        # the gold line lies in the bucket's slice of the list (the core's rounding)
        n, lo = d["num_dicts"], d["depth"] / 100
        first, end = math.floor(lo * n), max(math.floor(lo * n) + 1, math.ceil((lo + 0.2) * n))
        assert first <= d["gold_position"] - 1 < end, (d["depth"], d["gold_position"], n)
        assert f"Dictionary [{d['gold_dict_name']}]" in d["prompt"]
        # the reference answer scores perfectly; an empty one scores zero
        right = score_kv(d, d["answer"])
        assert right["acc"] == right["value_acc"] == right["dict_acc"] == 1.0
        assert right[f"acc_{d['max_length']}"] == right[f"acc_depth_{d['depth']}"] == 1.0
        extra = {"key_acc"} if task == "multi-subkey-kv" else set()
        own = {f"acc_{d['max_length']}", f"acc_depth_{d['depth']}"}
        assert set(right) == {"acc", "value_acc", "dict_acc", *extra, *own}
        if extra:
            assert right["key_acc"] == 1.0 and score_kv(d, "")["key_acc"] == 0.0
        assert score_kv(d, "")["acc"] == 0.0
    # a long haystack holds more dictionaries than a short one
    assert docs[-1]["num_dicts"] > docs[0]["num_dicts"]


def test_docs_are_deterministic_and_cells_independent(counter):
    a = build_kv_docs("simple-kv", counter, [1024], depth_buckets=2, num_samples=2, seed=0)
    b = build_kv_docs("simple-kv", counter, [1024], depth_buckets=2, num_samples=2, seed=0)
    c = build_kv_docs("simple-kv", counter, [1024], depth_buckets=2, num_samples=2, seed=1)
    assert a == b
    assert [d["prompt"] for d in a] != [d["prompt"] for d in c]
    assert len({d["gold_key"] for d in a}) == len(a)  # cells draw different questions


def test_scores_wrong_parts_separately(counter):
    (doc,) = build_kv_docs("simple-kv", counter, [1024], depth_buckets=1, num_samples=1)
    key, value, name = doc["gold_key"], doc["gold_value"], doc["gold_dict_name"]
    wrong_dict = score_kv(doc, f"The value of key {key} is {value} and it is in Dictionary [0].")
    assert (wrong_dict["value_acc"], wrong_dict["dict_acc"], wrong_dict["acc"]) == (1, 0, 0)
    answer = f"The value of key {key} is 1 and it is in Dictionary [{name}]."
    wrong_value = score_kv(doc, answer, ["acc_1024", "acc_depth_0", "acc_depth_50"])
    assert (wrong_value["value_acc"], wrong_value["dict_acc"], wrong_value["acc"]) == (0, 1, 0)
    assert wrong_value["acc_depth_0"] == 0.0 and wrong_value["acc_depth_50"] == MISSING


def test_bad_options(counter):
    with pytest.raises(NeedlesError, match="depth_buckets 101"):
        depth_starts(101)
    with pytest.raises(NeedlesError, match=r"max_seq_lengths \[100\]: each length must exceed"):
        build_kv_docs("simple-kv", counter, [100])
    assert depth_starts(10) == list(range(0, 100, 10))
    assert depth_starts(3) == [0, 33, 66]


def test_custom_dataset_needs_a_tokenizer():
    from artificial_needles.lm_eval_tasks.kv_retrieval import utils

    with pytest.raises(NeedlesError, match="pretrained=PATH.*tokenizer"):
        utils.simple_kv_dataset(version=1.0)


def test_custom_dataset_reads_metadata(tiny_tokenizer_dir):
    from artificial_needles.lm_eval_tasks.kv_retrieval import utils

    ds = utils.multisubkey_kv_dataset(
        pretrained=str(tiny_tokenizer_dir),
        max_seq_lengths="[1024]",  # strings from --model_args are accepted too
        depth_buckets="2",
        num_samples=1,
        chat_template="true",
        version=1.0,
    )["test"]
    assert len(ds) == 2 and set(ds["depth"]) == {0, 50}
    chat = load_tokenizer(str(tiny_tokenizer_dir), chat_template=True)
    assert all(chat.count(p) == n for p, n in zip(ds["prompt"], ds["num_tokens"], strict=True))


def test_custom_dataset_counts_the_system_turn(tiny_tokenizer_dir, tmp_path):
    """lm-eval's --system_instruction puts a system turn before each prompt; sized without it,
    prompts ran over their length by the turn's tokens. A template that refuses a system turn
    is counted without it, as lm-eval's HF model then renders it."""
    from transformers import AutoTokenizer

    from artificial_needles.lm_eval_tasks.kv_retrieval import utils

    system = "Answer in one sentence, and name the dictionary."
    opts = {"max_seq_lengths": [1024], "depth_buckets": 2, "num_samples": 2, "version": 1.0}
    tok = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)

    def sent(prompt: str, with_system: bool) -> int:
        turns = [{"role": "system", "content": system}] if with_system else []
        turns.append({"role": "user", "content": prompt})
        text = tok.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
        return len(tok(text, add_special_tokens=False)["input_ids"])

    ds = utils.simple_kv_dataset(
        pretrained=str(tiny_tokenizer_dir), chat_template=True, system_instruction=system, **opts
    )["test"]
    assert [sent(p, True) for p in ds["prompt"]] == ds["num_tokens"]
    assert all(n <= 1024 - 100 for n in ds["num_tokens"])

    with pytest.raises(NeedlesError, match="system_instruction is counted as the chat template"):
        utils.simple_kv_dataset(pretrained=str(tiny_tokenizer_dir), system_instruction=system)

    refusing = tmp_path / "no-system"
    tok.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}"
        "{{ raise_exception('no system role') }}{% endif %}"
        "<|user|>{{ m['content'] }}\n{% endfor %}<|assistant|>"
    )
    tok.save_pretrained(refusing)
    tok = AutoTokenizer.from_pretrained(refusing)
    ds = utils.simple_kv_dataset(
        pretrained=str(refusing), chat_template=True, system_instruction=system, **opts
    )["test"]
    assert [sent(p, False) for p in ds["prompt"]] == ds["num_tokens"]


@pytest.mark.parametrize("task", ["simple-kv", "multi-subkey-kv"])
def test_eval_docs_do_not_repeat_training_samples(counter, task):
    """Eval cell seeds of the form ``seed * 10_000 + cell`` would make the first cell of seed s
    draw the gold (key, value) of training samples of seed s: none may. Here:
    eval seeds 0-2 against training seeds 0-2, indices 0-99, same budget. Compared: the gold
    (key, value) pairs and the gold dictionary's line (as printed in the prompt)."""
    from artificial_needles.eval.kv_docs import cell_seed
    from artificial_needles.generators.build import make_generator

    def gold(prompt: str, name: int) -> str:
        return next(ln for ln in prompt.splitlines() if ln.startswith(f"Dictionary [{name}] "))

    train_pairs, train_lines = set(), set()
    for s in range(3):
        gen = make_generator(
            task, overrides={"seed": s, "num_samples": 100, "max_tokens": 1024}, tokenizer=counter
        )
        for smp in gen.iter_samples():
            train_pairs.add((str(smp.meta["gold_key"]), smp.meta["gold_value"]))
            train_lines.add(gold(smp.prompt, smp.meta["gold_dict_name"]))
    for s in range(3):
        docs = build_kv_docs(task, counter, [1024], depth_buckets=2, num_samples=2, seed=s)
        for d in docs:
            key = d["gold_key"] if task == "simple-kv" else str(tuple(eval(d["gold_key"])))
            assert (key, d["gold_value"]) not in train_pairs
            assert gold(d["prompt"], d["gold_dict_name"]) not in train_lines
        assert all(cell_seed(task, s, 1024, 2, b) >= 2**63 for b in range(2))
