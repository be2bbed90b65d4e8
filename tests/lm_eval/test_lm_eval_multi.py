"""The real ``lm_eval`` CLI runs kv_retrieval_multiquery and kv_retrieval_multihop (the group
``kv_retrieval_multi``) on the tiny model: per-query / per-hop metrics for the requested
settings, the documents' answers score fully, and eval documents never repeat training keys."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from artificial_needles.eval.kv_docs import build_kv_docs
from artificial_needles.eval.paths import tasks_path
from artificial_needles.eval.scoring import score_multihop, score_multiquery
from artificial_needles.generators.build import make_generator
from artificial_needles.generators.parse import parse_dictionaries
from artificial_needles.seeding import number_class
from artificial_needles.tokens.counter import load_tokenizer

LM_EVAL = str(Path(sys.executable).with_name("lm_eval"))


@pytest.fixture(scope="module")
def counter(tiny_tokenizer_dir):
    return load_tokenizer(str(tiny_tokenizer_dir))


@pytest.mark.parametrize(
    ("task", "over", "score"),
    [
        ("multi-query-kv", {"num_queries": 3}, score_multiquery),
        ("multi-hop-kv", {"hops": 3}, score_multihop),
    ],
)
def test_docs_score_fully_and_fit(counter, task, over, score):
    docs = build_kv_docs(task, counter, [1024], depth_buckets=2, num_samples=2, overrides=over)
    assert len(docs) == 4
    for d in docs:
        assert counter.count(d["prompt"]) == d["num_tokens"] <= 1024 - 100
        got = score(d, d["answer"])
        assert got["acc"] == 1.0 and all(v == 1.0 for v in got.values())
        assert score(d, "")["acc"] == 0.0
        assert len(d.get("query_keys") or d["chain_keys"]) == 3


def test_shortcut_probe_metadata(counter):
    """gold_dict_size "match" through the task metadata: the gold dictionary is sized like the
    distractors (3 or 4 keys), not always 3; the documents are still valid and score fully."""
    from artificial_needles.eval.metadata import generator_overrides, task_options
    from artificial_needles.eval.scoring import score_kv

    over = generator_overrides(task_options({"gold_dict_size": "match"}), "simple-kv")
    docs = build_kv_docs(
        "simple-kv", counter, [1024], depth_buckets=2, num_samples=12, overrides=over
    )
    sizes = set()
    for d in docs:
        dicts, _ = parse_dictionaries(d["prompt"])
        sizes.add(len(dicts[d["gold_position"] - 1][1]))
        assert score_kv(d, d["answer"])["acc"] == 1.0
    assert sizes == {3, 4}
    plain = build_kv_docs("simple-kv", counter, [1024], depth_buckets=2, num_samples=12)
    assert {len(parse_dictionaries(d["prompt"])[0][d["gold_position"] - 1][1]) for d in plain} == {
        3
    }


@pytest.mark.parametrize("task", ["multi-query-kv", "multi-hop-kv"])
def test_eval_keys_are_never_training_keys(counter, task):
    """Every key of an eval document is in the evaluation class, every training key in the
    other: no eval document's key (or pair) can occur in training data of any seed."""
    docs = build_kv_docs(task, counter, [1024], depth_buckets=2, num_samples=3)
    train = make_generator(
        task, overrides={"max_tokens": 1024, "num_samples": 6}, tokenizer=counter
    )
    for d in docs:
        for _, body in parse_dictionaries(d["prompt"])[0]:
            assert all(number_class(k) == 1 for k in body)
    for s in train.iter_samples():
        for _, body in parse_dictionaries(s.prompt)[0]:
            assert all(number_class(k) == 0 for k in body)


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


@pytest.mark.slow
def test_lm_eval_cli_runs_both_tasks(tmp_path, tiny_model_dir):
    out = tmp_path / "out"
    meta = {"max_seq_lengths": [1024], "num_samples": 1, "depth_buckets": 2, "hops": 3}
    proc = _run(
        [
            LM_EVAL,
            "run",
            "--model",
            "hf",
            "--model_args",
            f"pretrained={tiny_model_dir},max_length=2048",
            "--device",
            "cpu",
            "--include_path",
            str(tasks_path()),
            "--tasks",
            "kv_retrieval_multi",
            "--metadata",
            json.dumps(meta),
            "--gen_kwargs",
            "max_gen_toks=8",
            "--output_path",
            str(out),
            "--log_samples",
        ],  # fmt: skip
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (results_file,) = glob.glob(str(out / "*" / "results_*.json"))
    res = json.loads(Path(results_file).read_text())["results"]
    mq, mh = res["kv_retrieval_multiquery"], res["kv_retrieval_multihop"]
    for key in ("acc", "query_acc", "value_acc", "dict_acc", "query_acc_1", "query_acc_2"):
        assert 0.0 <= mq[f"{key},none"] <= 1.0, key
    assert "query_acc_3,none" not in mq  # num_queries defaults to 2
    for key in ("acc", "chain_acc", "hop_acc_1", "hop_acc_2", "hop_acc_3", "acc_1024"):
        assert 0.0 <= mh[f"{key},none"] <= 1.0, key
    assert "acc,none" in res["kv_retrieval_multi"]
    (samples,) = glob.glob(str(out / "*" / "samples_kv_retrieval_multihop_*.jsonl"))
    rec = json.loads(Path(samples).read_text().splitlines()[0])
    assert (
        rec["doc"]["chain_keys"] and "3 lookups in all" in rec["arguments"]["gen_args_0"]["arg_0"]
    )
