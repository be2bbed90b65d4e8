"""Every task family through the real ``lm_eval`` CLI on the real demo model.

SmolLM2-135M-Instruct (fixture ``demo_model_dir``) is our second real tokenizer family beside
Mistral's SentencePiece: GPT-2-style byte BPE that splits digits, ChatML, no BOS. KV retrieval
is sized with that tokenizer through its chat template at 512 and 1,024 tokens in 2 depth
buckets; MDQA reads 10-document records built from the committed Lost-in-the-Middle oracle file
(real NQ questions and passages); FLenQA the small fixture of ``tests/eval_data.py``.
"""

from __future__ import annotations

import glob
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eval_data import write_flenqa

from artificial_needles.eval.mdqa_oracle import build_records, read_oracle, write_records
from artificial_needles.eval.paths import tasks_path

pytestmark = pytest.mark.slow
LM_EVAL = str(Path(sys.executable).with_name("lm_eval"))
ORACLE = Path(__file__).parents[2] / "benchmarks/learning_signal/data/nq-open-oracle.jsonl.gz"
TASKS = {
    # task: (metric, docs evaluated)
    "kv_retrieval_simple": ("acc", 4),
    "kv_retrieval_multisubkey": ("acc", 4),
    "kv_retrieval_multiquery": ("acc", 4),
    "kv_retrieval_multihop": ("acc", 4),
    "mdqa_10docs_pos1": ("best_subspan_em", 3),
    "mdqa_10docs_pos10": ("best_subspan_em", 3),
    "mdqa_closedbook": ("best_subspan_em", 3),
    "flenqa_pir": ("acc", 3),
}


@pytest.fixture(scope="module")
def results(demo_model_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("demo-lm-eval")
    mdqa = work / "mdqa-10docs.jsonl.gz"
    write_records(build_records(read_oracle(ORACLE), 3, num_documents=10), mdqa)
    flenqa = write_flenqa(work / "flenqa.jsonl", per_dataset=3)
    meta = {
        "max_seq_lengths": [512, 1024],
        "depth_buckets": 2,
        "num_samples": 1,
        "mdqa_data": str(mdqa),
        "flenqa_data": str(flenqa),
        "chat_template": True,  # size the KV prompts as the model sees them (--apply_chat_template)
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run(
        [
            LM_EVAL,
            "run",
            "--model",
            "hf",
            "--model_args",
            f"pretrained={demo_model_dir},max_length=2048,dtype=bfloat16",
            "--device",
            "cpu",
            "--apply_chat_template",
            "--include_path",
            str(tasks_path()),
            "--tasks",
            ",".join(TASKS),
            "--metadata",
            json.dumps(meta),
            "--limit",
            "4",
            "--gen_kwargs",
            "max_gen_toks=48",
            "--output_path",
            str(work / "out"),
            "--log_samples",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=1500,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    (results_file,) = glob.glob(str(work / "out" / "*" / "results_*.json"))
    return json.loads(Path(results_file).read_text()), Path(results_file).parent


def test_every_family_scores_real_numbers(results):
    data, _ = results
    for task, (metric, n) in TASKS.items():
        value = data["results"][task][f"{metric},none"]
        assert isinstance(value, float) and 0.0 <= value <= 1.0, (task, value)
        assert data["n-samples"][task]["effective"] == n, task
    kv = data["results"]["kv_retrieval_simple"]
    for key in ("acc_512", "acc_1024", "acc_depth_0", "acc_depth_50"):
        assert 0.0 <= kv[f"{key},none"] <= 1.0, key


def test_prompts_fit_their_budgets_with_the_real_tokenizer(results, demo_model_dir):
    from transformers import AutoTokenizer

    _, folder = results
    tok = AutoTokenizer.from_pretrained(demo_model_dir)
    for task in ("kv_retrieval_simple", "kv_retrieval_multisubkey", "kv_retrieval_multihop"):
        (samples,) = folder.glob(f"samples_{task}_*.jsonl")
        recs = [json.loads(line) for line in samples.read_text().splitlines()]
        assert {r["doc"]["max_length"] for r in recs} == {512, 1024}
        for rec in recs:
            doc = rec["doc"]
            prompt = rec["arguments"]["gen_args_0"]["arg_0"]  # as the model saw it
            assert prompt.startswith("<|im_start|>system\n")
            assert prompt.endswith("<|im_start|>assistant\n")
            count = len(tok(prompt, add_special_tokens=False).input_ids)
            assert count <= doc["max_length"] - 100, (task, count, doc["max_length"])
            assert count >= 0.85 * (doc["max_length"] - 100), (task, count)  # filled, not short


def test_outputs_are_the_models_own_words(results):
    _, folder = results
    (samples,) = folder.glob("samples_mdqa_10docs_pos1_*.jsonl")
    recs = [json.loads(line) for line in samples.read_text().splitlines()]
    outputs = [r["filtered_resps"][0] for r in recs]
    assert all(isinstance(o, str) and o.strip() for o in outputs)  # real text, not empty
    scores = [r["best_subspan_em"] for r in recs]
    assert all(s in (0.0, 1.0) and not math.isnan(s) for s in scores)
