"""FLenQA prompts (every variant, exact), loading and bucketed scores (docs/formats.md, sec. 6)."""

from __future__ import annotations

import json

import pytest
from eval_data import flenqa_records, write_flenqa

from artificial_needles.errors import NeedlesError
from artificial_needles.eval import flenqa
from artificial_needles.eval.scoring import MISSING

REC = {
    "assertion/question": "Is Anna taller than Bob?",
    "mixin": "Anna is tall. Some padding. Bob is short.",
    "rule": "If someone is tall then they are taller.",
}

EXPECTED = {
    ("Simplified RuleTaker", False): (
        "Answer whether the statement Is Anna taller than Bob? can be derived from the rule and "
        'the facts. Answer with either "True" or "False".\n'
        "Rule: If someone is tall then they are taller.\n"
        "Facts: Anna is tall. Some padding. Bob is short.\n"
        'Answer with either "True or "False".\n'
    ),
    ("Simplified RuleTaker", True): (
        "Answer whether the statement Is Anna taller than Bob? can be derived from the rule and "
        "the facts.\n"
        'Show your steps then answer with either "True" or "False".\n'
        "Rule: If someone is tall then they are taller.\n"
        "Facts: Anna is tall. Some padding. Bob is short.\n"
        'Answer with either "True or "False". Let\'s work this out in a step by step way to be '
        "sure we have the right answer.\n"
    ),
    ("PIR", False): (
        "Anna is tall. Some padding. Bob is short.\n"
        "True/False Question: Is Anna taller than Bob?\n"
        "Answer only True or False.\n"
    ),
    ("PIR", True): (
        "Show your steps then answer with ’true’ or ’false’.\n"
        "Anna is tall. Some padding. Bob is short.\n"
        "True/False Question: Is Anna taller than Bob?\n"
        "Let’s work this out in a step by step way to\n"
        "be sure we have the right answer.\n"
    ),
    ("MonoRel", False): (
        "Here are some facts. Answer the exact following question based on the text: Is Anna "
        "taller than Bob? Answer the question as it appears exactly.\n"
        "Anna is tall. Some padding. Bob is short.\n"
        "Is Anna taller than Bob?\n"
        "Answer only True or False.\n"
    ),
    ("MonoRel", True): (
        "Here are some facts. Answer the exact following question based on the text: Is Anna "
        "taller than Bob? Answer the question as it appears exactly.\n"
        "Show your steps then answer with ’true’ or ’false’.\n"
        "Anna is tall. Some padding. Bob is short.\n"
        "Is Anna taller than Bob?\n"
        "Let’s work this out in a step by step way to be sure we have the right answer. Show "
        "your work and finally answer with ’true’ or ’false’. The final step should include the "
        "exact text of the question and the answer.\n"
    ),
}


@pytest.mark.parametrize(("dataset", "cot"), sorted(EXPECTED))
def test_prompts_exact(dataset, cot):
    assert flenqa.build_prompt({**REC, "dataset": dataset}, cot) == EXPECTED[(dataset, cot)]


def test_unknown_dataset():
    with pytest.raises(NeedlesError, match="unknown dataset 'Other'"):
        flenqa.build_prompt({**REC, "dataset": "Other"})


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
@pytest.mark.parametrize(("subset", "name"), sorted(flenqa.SUBSETS.items()))
def test_build_docs_from_local_file(tmp_path, suffix, subset, name):
    path = write_flenqa(tmp_path / f"flenqa{suffix}", per_dataset=4)
    docs = flenqa.build_docs(subset, cot=False, location=str(path))
    assert len(docs) == 4 and {d["dataset"] for d in docs} == {name}
    assert [d["label"] for d in docs] == ["true", "false", "true", "false"]  # str and bool labels
    assert all(d["prompt"].endswith("\n") for d in docs)
    assert {d["ctx_size"] for d in docs} <= set(flenqa.CTX_SIZES)


def test_missing_fields_name_the_line(tmp_path):
    recs = flenqa_records(1)
    del recs[2]["rule"]  # the RuleTaker record
    path = tmp_path / "f.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    with pytest.raises(NeedlesError, match=r"f.jsonl:3: missing field\(s\) \['rule'\]"):
        flenqa.build_docs("ruletaker", False, str(path))


def test_bad_label_and_missing_file(tmp_path):
    recs = flenqa_records(1)
    recs[0]["label"] = "maybe"
    path = tmp_path / "f.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    with pytest.raises(NeedlesError, match="f.jsonl:1: label 'maybe'"):
        flenqa.build_docs("pir", False, str(path))
    with pytest.raises(NeedlesError, match="does not exist"):
        flenqa.build_docs("pir", False, str(tmp_path / "nope.jsonl"))


def test_hub_fallback_offline_says_how_to_point_at_a_file(monkeypatch):
    """Without a local file the hub dataset is used; offline that fails with a clear message."""
    monkeypatch.delenv(flenqa.ENV_VAR, raising=False)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    flenqa.hub_records.cache_clear()
    assert flenqa.data_location({}) is None
    with pytest.raises(NeedlesError, match="alonj/FLenQA.*ARTIFICIAL_NEEDLES_FLENQA_DATA"):
        flenqa.build_docs("pir", False, None)


def test_scores_by_bucket():
    from artificial_needles.eval.scoring import score_flenqa

    doc = {"label": "false", "ctx_size": 500, "dispersion": "middle", "padding_type": "books"}
    right = score_flenqa(doc, "Step 1 ... so it is not true.")
    assert right == {
        "acc": 1.0, "acc_ctx_500": 1.0, "acc_dispersion_middle": 1.0, "acc_padding_books": 1.0
    }
    run_keys = ["acc_ctx_250", "acc_ctx_500", "acc_dispersion_middle", "acc_padding_books"]
    full = score_flenqa(doc, "Step 1 ... so it is not true.", run_keys)
    assert full["acc_ctx_250"] == MISSING and set(full) == {"acc", *run_keys}
    wrong = score_flenqa(doc, "")
    assert wrong["acc"] == wrong["acc_ctx_500"] == 0.0
