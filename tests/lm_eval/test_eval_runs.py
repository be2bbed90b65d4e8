"""Real lm-eval runs through our runner (tiny model, CPU): the run record and chat-template rule,
one task at a time, buckets that follow the run."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pytest
from eval_data import write_flenqa, write_mdqa

from artificial_needles.eval import flenqa, mdqa


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch):
    monkeypatch.delenv(mdqa.ENV_VAR, raising=False)
    monkeypatch.delenv(flenqa.ENV_VAR, raising=False)


@pytest.fixture()
def mdqa_dir(tmp_path):
    write_mdqa(tmp_path / "mdqa" / "nq-open-20_total_documents_gold_at_0.jsonl.gz", 2)
    return tmp_path / "mdqa"


def _prompt(results: dict, task: str) -> str:
    args = results["samples"][task][0]["arguments"]
    # saving rewrites the arguments as {"gen_args_0": {"arg_0": ...}}
    return args["gen_args_0"]["arg_0"] if isinstance(args, dict) else args[0][0]


def _saved(out: Path) -> dict:
    (path,) = glob.glob(str(out / "**" / "results_*.json"), recursive=True)
    return json.loads(Path(path).read_text())


def test_chat_template_by_default_and_recorded(tmp_path, tiny_model_dir, mdqa_dir):
    from artificial_needles.eval import run_lm_eval

    args = f"pretrained={tiny_model_dir},max_length=2048,device=cpu"
    meta = {"mdqa_data": str(mdqa_dir)}
    on = run_lm_eval(
        args,
        ["mdqa_closedbook"],
        output_path=str(tmp_path / "on"),
        limit=1,
        metadata=meta,
        gen_kwargs="max_gen_toks=2",
        log_samples=True,
        run_info={"label": "base model", "stage": "base", "seed": 3},
    )
    prompt = _prompt(on, "mdqa_closedbook")
    assert prompt.startswith("<|im_start|>user\n")  # the tiny tokenizer has a chat template
    record = {"label": "base model", "seed": 3, "apply_chat_template": True, "stage": "base"}
    assert {k: on["artificial_needles"][k] for k in record} == record
    assert _saved(tmp_path / "on")["artificial_needles"] == on["artificial_needles"]

    off = run_lm_eval(
        args,
        ["mdqa_closedbook"],
        limit=1,
        metadata=meta,
        gen_kwargs="max_gen_toks=2",
        log_samples=True,
        apply_chat_template=False,
    )
    prompt = _prompt(off, "mdqa_closedbook")
    assert prompt == "Question: where is thing 0\nAnswer:"
    assert off["artificial_needles"]["apply_chat_template"] is False
    assert off["artificial_needles"]["label"] == str(tiny_model_dir)


def test_each_task_written_before_the_next_and_failures_kept(tmp_path, tiny_model_dir, mdqa_dir):
    from artificial_needles.eval import run_lm_eval_each

    out = tmp_path / "out"
    # max_length 700 fits the closed-book prompt, not the 20-document one
    got = run_lm_eval_each(
        f"pretrained={tiny_model_dir},max_length=700,device=cpu",
        ["mdqa_20docs_pos1", "mdqa_closedbook"],
        output_path=out,
        limit=1,
        metadata={"mdqa_data": str(mdqa_dir)},
        gen_kwargs="max_gen_toks=2",
        run_info={"stage": "finetuned"},
    )
    assert list(got.results) == ["mdqa_closedbook"]
    assert "mdqa_20docs_pos1: longest prompt" in got.errors["mdqa_20docs_pos1"]
    saved = _saved(out / "mdqa_closedbook")
    assert "mdqa_closedbook" in saved["results"]
    assert saved["artificial_needles"]["stage"] == "finetuned"
    assert not (out / "mdqa_20docs_pos1").exists()


def test_buckets_follow_the_requested_lengths_and_depths(tmp_path, tiny_model_dir):
    from artificial_needles.eval import run_lm_eval

    meta = {"max_seq_lengths": [700, 1000], "depth_buckets": 3, "num_samples": 1}
    res = run_lm_eval(
        f"pretrained={tiny_model_dir},max_length=2048,device=cpu",
        ["kv_retrieval_multisubkey"],
        metadata=meta,
        gen_kwargs="max_gen_toks=2",
    )["results"]["kv_retrieval_multisubkey"]
    buckets = {k.split(",")[0] for k in res if k.startswith("acc_") and "stderr" not in k}
    assert buckets == {"acc_700", "acc_1000", "acc_depth_0", "acc_depth_33", "acc_depth_66"}
    assert all(0.0 <= res[f"{b},none"] <= 1.0 for b in buckets)  # bucket means, no -1
    assert 0.0 <= res["key_acc,none"] <= 1.0


def test_flenqa_group_reports_per_length_accuracy(tmp_path, tiny_model_dir):
    from artificial_needles.eval import run_lm_eval

    fq = write_flenqa(tmp_path / "f.jsonl", per_dataset=5)
    results = run_lm_eval(
        f"pretrained={tiny_model_dir},max_length=2048,device=cpu",
        ["flenqa"],
        metadata={"flenqa_data": str(fq)},
        gen_kwargs="max_gen_toks=2",
        apply_chat_template=False,
    )
    group = results["groups"]["flenqa"]
    res = results["results"]
    members = ("flenqa_pir", "flenqa_monorel", "flenqa_ruletaker")
    sizes = {t: len(results["samples"][t]) for t in members} if "samples" in results else None
    for n in (250, 500, 1000, 2000, 3000):
        key = f"acc_ctx_{n},none"
        assert any(key in res[t] for t in members), key
        assert 0.0 <= group[key] <= 1.0, (key, group)
    assert sizes is None
