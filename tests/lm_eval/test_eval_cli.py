"""``artificial-needles eval`` and ``run_lm_eval``: lm-eval's Python API with our tasks, result
files like lm-eval's CLI, and the prompt-length check (no silent truncation)."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eval_data import flenqa_records, write_flenqa, write_mdqa

from artificial_needles.eval import flenqa, mdqa

CLI = str(Path(sys.executable).with_name("artificial-needles"))
SYSTEM = "Answer in one sentence."


@pytest.fixture()
def mdqa_dir(tmp_path):
    write_mdqa(tmp_path / "mdqa" / "nq-open-20_total_documents_gold_at_0.jsonl.gz", 2)
    return tmp_path / "mdqa"


@pytest.mark.slow
def test_eval_cli_end_to_end_with_chat_template(tmp_path, tiny_model_dir):
    fq = write_flenqa(tmp_path / "FLenQA_hf.parquet", per_dataset=2)
    out = tmp_path / "out"
    meta = {"flenqa_data": str(fq), "max_seq_lengths": [1024], "num_samples": 1}
    env = {k: v for k, v in os.environ.items() if k not in (mdqa.ENV_VAR, flenqa.ENV_VAR)}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run(
        [
            CLI,
            "eval",
            "--model",
            "hf",
            "--model_args",
            f"pretrained={tiny_model_dir},max_length=2048",
            "--device",
            "cpu",
            "--tasks",
            "flenqa_monorel_cot",
            "kv_retrieval_multisubkey",
            "--limit",
            "2",
            "--metadata",
            json.dumps(meta),
            "--apply_chat_template",
            "--system_instruction",
            SYSTEM,
            "--gen_kwargs",
            "max_gen_toks=4",
            "--output_path",
            str(out),
            "--log_samples",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "flenqa_monorel_cot" in proc.stdout and "kv_retrieval_multisubkey" in proc.stdout
    table = proc.stdout.replace(" ", "")
    assert "|acc_ctx_1000" in table, proc.stdout  # lm-eval's table was printed
    assert "acc_ctx_250" not in table  # buckets absent from the data are not reported
    (results_file,) = glob.glob(str(out / "*" / "results_*.json"))
    saved = json.loads(Path(results_file).read_text())
    assert saved["config"]["model"] == "hf"
    assert saved["config"]["model_args"]["pretrained"] == str(tiny_model_dir)
    assert 0.0 <= saved["results"]["flenqa_monorel_cot"]["acc,none"] <= 1.0
    kv = saved["results"]["kv_retrieval_multisubkey"]
    assert {"acc,none", "value_acc,none", "dict_acc,none", "acc_1024,none"} <= set(kv)
    assert saved["chat_template"]  # recorded like lm_eval does
    assert saved["artificial_needles"] == {
        "label": str(tiny_model_dir),
        "seed": None,
        "apply_chat_template": True,
        "stage": None,
        "version": saved["artificial_needles"]["version"],
    }

    (samples,) = glob.glob(str(out / "*" / "samples_flenqa_monorel_cot_*.jsonl"))
    first = json.loads(Path(samples).read_text().splitlines()[0])
    prompt = first["arguments"]["gen_args_0"]["arg_0"]
    rec = next(r for r in flenqa_records(2) if r["dataset"] == "MonoRel")
    assert prompt == (
        f"<|im_start|>system\n{SYSTEM}<|im_end|>\n"
        "<|im_start|>user\n" + flenqa.build_prompt(rec, cot=True) + "<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    # KV prompts were sized as lm-eval sent them: chat template and system turn included
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    (samples,) = glob.glob(str(out / "*" / "samples_kv_retrieval_multisubkey_*.jsonl"))
    for line in Path(samples).read_text().splitlines():
        logged = json.loads(line)
        context = logged["arguments"]["gen_args_0"]["arg_0"]
        assert context.startswith(f"<|im_start|>system\n{SYSTEM}<|im_end|>\n")
        sent = len(tok(context, add_special_tokens=False)["input_ids"])
        assert logged["doc"]["num_tokens"] == sent <= 1024 - 100


@pytest.fixture(scope="module")
def lm(tiny_model_dir):
    from lm_eval.models.huggingface import HFLM

    return HFLM(pretrained=str(tiny_model_dir), device="cpu", max_length=900)


def test_check_prompt_lengths_counts_the_chat_template(lm, mdqa_dir):
    from lm_eval.tasks import TaskManager

    from artificial_needles.eval import check_prompt_lengths
    from artificial_needles.eval.lm_eval_compat import load_tasks
    from artificial_needles.eval.paths import tasks_path

    tm = TaskManager(include_path=str(tasks_path()), metadata={"mdqa_data": str(mdqa_dir)})
    tasks = load_tasks(tm, ["mdqa_20docs_pos1", "mdqa_closedbook"])
    (plain,) = check_prompt_lengths(lm, tasks)
    (chat,) = check_prompt_lengths(lm, tasks, apply_chat_template=True)
    assert plain.task == chat.task == "mdqa_20docs_pos1"  # the closed book prompt is short
    assert plain.gen_tokens == 100 and plain.max_length == 900
    want = lm.tok_encode(mdqa.build_docs(mdqa_dir, 20, 1)[1]["prompt"])
    assert plain.prompt_tokens == max(
        len(lm.tok_encode(d["prompt"])) for d in mdqa.build_docs(mdqa_dir, 20, 1)
    )
    assert len(want) <= plain.prompt_tokens
    assert chat.prompt_tokens > plain.prompt_tokens  # template tokens are counted
    assert f"over by {plain.over} tokens" in str(plain)
    # exactly at the limit passes; one token more fails by one
    room = 900 - plain.prompt_tokens
    assert check_prompt_lengths(lm, tasks, gen_kwargs={"max_gen_toks": room}) == []
    (over,) = check_prompt_lengths(lm, tasks, gen_kwargs={"max_gen_toks": room + 1})
    assert over.over == 1
    assert check_prompt_lengths(lm, load_tasks(tm, ["mdqa_closedbook"])) == []


def test_eval_cli_stops_before_truncating(tiny_model_dir, mdqa_dir, capsys):
    from artificial_needles.cli.main import main

    argv = [
        "eval",
        "--model",
        "hf",
        "--model_args",
        f"pretrained={tiny_model_dir},max_length=600",
        "--device",
        "cpu",
        "--tasks",
        "mdqa_20docs",
        "--metadata",
        json.dumps({"mdqa_data": str(mdqa_dir)}),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    for p in (1, 5, 10, 15, 20):
        assert f"mdqa_20docs_pos{p}: longest prompt" in err
    assert "> max_length 600 (over by" in err and "--no_check_lengths" in err


def test_run_lm_eval_api(tmp_path, tiny_model_dir, mdqa_dir):
    from artificial_needles.errors import NeedlesError
    from artificial_needles.eval import run_lm_eval

    out = tmp_path / "out"
    results = run_lm_eval(
        f"pretrained={tiny_model_dir},max_length=2048,device=cpu",
        ["mdqa_20docs_pos10"],
        output_path=str(out),
        limit=1,
        metadata={"mdqa_data": str(mdqa_dir)},
        gen_kwargs="max_gen_toks=2",
        log_samples=True,
    )
    assert 0.0 <= results["results"]["mdqa_20docs_pos10"]["best_subspan_em,none"] <= 1.0
    assert len(results["samples"]["mdqa_20docs_pos10"]) == 1
    assert glob.glob(str(out / "*" / "results_*.json"))
    assert glob.glob(str(out / "*" / "samples_mdqa_20docs_pos10_*.jsonl"))

    with pytest.raises(NeedlesError, match="unknown task"):
        run_lm_eval(f"pretrained={tiny_model_dir}", ["mdqa_40docs_pos1"])
    with pytest.raises(NeedlesError, match="over by"):
        run_lm_eval(
            f"pretrained={tiny_model_dir},max_length=300,device=cpu",
            ["mdqa_20docs_pos1"],
            metadata={"mdqa_data": str(mdqa_dir)},
        )


def test_eval_cli_needs_tasks(capsys):
    from artificial_needles.cli.main import main

    assert main(["eval", "--model", "hf", "--model_args", "pretrained=x"]) == 2
    assert "--tasks is required" in capsys.readouterr().err
