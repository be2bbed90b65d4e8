"""The lm-eval task folders: names, YAML validity, generated configs, and end-to-end runs
through the real ``lm_eval`` CLI with a tiny random model (offline)."""

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
from artificial_needles.eval.paths import tasks_path

TASKS_DIR = Path(__file__).parents[2] / "lm_eval_tasks"
LM_EVAL = str(Path(sys.executable).with_name("lm_eval"))

MDQA_TASKS = (
    [f"mdqa_10docs_pos{p}" for p in (1, 5, 10)]
    + [f"mdqa_20docs_pos{p}" for p in (1, 5, 10, 15, 20)]
    + [f"mdqa_30docs_pos{p}" for p in (1, 5, 10, 15, 20, 25, 30)]
    + ["mdqa_closedbook"]
)
FLENQA_TASKS = [f"flenqa_{s}{c}" for s in ("pir", "monorel", "ruletaker") for c in ("", "_cot")]
KV_TASKS = [
    "kv_retrieval_simple",
    "kv_retrieval_multisubkey",
    "kv_retrieval_multiquery",
    "kv_retrieval_multihop",
]
GROUPS = [
    "mdqa_10docs",
    "mdqa_20docs",
    "mdqa_30docs",
    "flenqa",
    "flenqa_cot",
    "kv_retrieval",
    "kv_retrieval_multi",
    "needles_general",
    "artificial_needles",
]
ALL_NAMES = set(MDQA_TASKS + FLENQA_TASKS + KV_TASKS + GROUPS)


def test_tasks_path_is_the_folder():
    assert tasks_path() == TASKS_DIR.resolve()


def test_task_manager_finds_exactly_our_names():
    from lm_eval.tasks import TaskManager

    tm = TaskManager(include_path=str(tasks_path()), include_defaults=False)
    assert set(tm.all_tasks) == ALL_NAMES
    assert set(tm.all_groups) == set(GROUPS)


def test_every_yaml_parses_and_has_a_version():
    """lm-eval skips a YAML that fails to parse without a word: parse each one here."""
    from artificial_needles.eval.lm_eval_compat import load_task_yaml as load_yaml_config

    files = sorted(TASKS_DIR.rglob("*.yaml"))
    assert len(files) == len(ALL_NAMES)
    for path in files:
        cfg = load_yaml_config(str(path))
        assert "task" in cfg or "group" in cfg, path
        assert cfg["metadata"]["version"] >= 1.0, path
        if "group" in cfg and cfg["group"] not in ("needles_general", "artificial_needles"):
            assert cfg["aggregate_metric_list"], path
        if isinstance(cfg.get("task"), str):
            assert callable(cfg["custom_dataset"]), path
            assert callable(cfg["process_results"]), path
            gen = cfg["generation_kwargs"]
            assert gen["do_sample"] is False and gen["temperature"] == 0.0, path


def test_generation_budgets_follow_the_spec():
    from artificial_needles.eval.lm_eval_compat import load_task_yaml as load_yaml_config

    def budget(name: str) -> int:
        path = next(TASKS_DIR.rglob(f"{name}.yaml"))
        return load_yaml_config(str(path))["generation_kwargs"]["max_gen_toks"]

    assert {budget(t) for t in MDQA_TASKS} == {100}
    assert {budget(t) for t in FLENQA_TASKS} == {400}


def test_generate_config_matches_committed_files(tmp_path):
    from artificial_needles.lm_eval_tasks.mdqa import _generate_config

    _generate_config.main(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in (TASKS_DIR / "mdqa").glob("*.yaml") if "docs" in p.name)
    for name in made:
        assert (tmp_path / name).read_text() == (TASKS_DIR / "mdqa" / name).read_text(), name


def test_yaml_declares_only_the_fixed_metrics():
    """Per-bucket metrics follow the run (registered at load time); the YAML lists the rest."""
    from artificial_needles.eval.lm_eval_compat import load_task_yaml as load_yaml_config

    kv = load_yaml_config(str(TASKS_DIR / "kv_retrieval" / "kv_retrieval_simple.yaml"))
    assert {m["metric"] for m in kv["metric_list"]} == {"acc", "value_acc", "dict_acc", "key_acc"}
    fq = load_yaml_config(str(TASKS_DIR / "flenqa" / "flenqa_pir.yaml"))
    assert {m["metric"] for m in fq["metric_list"]} == {"acc"}


@pytest.mark.slow
def test_lm_eval_ls_tasks_lists_our_names():
    out = subprocess.run(
        [LM_EVAL, "ls", "tasks", "--include_path", str(tasks_path())],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    ours = {
        line.split("|")[1].strip()
        for line in out.splitlines()
        if line.startswith("|") and str(tasks_path()) in line
    }
    assert ours == ALL_NAMES
    # needles_general's members are lm-eval's own tasks and groups
    listed = {line.split("|")[1].strip() for line in out.splitlines() if line.startswith("|")}
    assert {"mmlu", "hellaswag", "gsm8k", "triviaqa", "nq_open"} <= listed


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (mdqa.ENV_VAR, flenqa.ENV_VAR) and not k.startswith("PYTEST")
    }
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def _samples(out: Path, task: str) -> list[dict]:
    (path,) = glob.glob(str(out / "*" / f"samples_{task}_*.jsonl"))
    return [json.loads(line) for line in open(path, encoding="utf-8")]


@pytest.mark.slow
def test_lm_eval_cli_end_to_end(tmp_path, tiny_model_dir):
    """One real ``lm_eval run`` over a task of every family (and the MDQA group)."""
    data = tmp_path / "mdqa"
    write_mdqa(data / "nq-open-20_total_documents_gold_at_0.jsonl.gz", 3)
    fq = write_flenqa(tmp_path / "FLenQA_hf.jsonl", per_dataset=3)
    out = tmp_path / "out"
    meta = {
        "mdqa_data": str(data),
        "flenqa_data": str(fq),
        "max_seq_lengths": [1024],
        "num_samples": 1,
        "depth_buckets": 2,
    }
    tasks = ["mdqa_20docs", "mdqa_closedbook", "flenqa_pir", "flenqa_ruletaker_cot"]
    tasks += ["kv_retrieval_simple"]
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
            *tasks,
            "--limit",
            "2",
            "--metadata",
            json.dumps(meta),
            "--gen_kwargs",
            "max_gen_toks=8",
            "--output_path",
            str(out),
            "--log_samples",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (results_file,) = glob.glob(str(out / "*" / "results_*.json"))
    res = json.loads(Path(results_file).read_text())["results"]

    for p in (1, 5, 10, 15, 20):
        assert 0.0 <= res[f"mdqa_20docs_pos{p}"]["best_subspan_em,none"] <= 1.0
    assert 0.0 <= res["mdqa_20docs"]["best_subspan_em,none"] <= 1.0
    assert 0.0 <= res["mdqa_closedbook"]["best_subspan_em,none"] <= 1.0
    for task in ("flenqa_pir", "flenqa_ruletaker_cot"):
        assert 0.0 <= res[task]["acc,none"] <= 1.0
        buckets = [k for k in res[task] if k.startswith("acc_") and "stderr" not in k]
        # --limit leaves some buckets of the data empty: those report -1
        assert any(0.0 <= res[task][k] <= 1.0 for k in buckets), res[task]
        assert all(res[task][k] == -1.0 or 0.0 <= res[task][k] <= 1.0 for k in buckets)
    kv = res["kv_retrieval_simple"]
    for key in ("acc", "value_acc", "dict_acc", "acc_1024", "acc_depth_0", "acc_depth_50"):
        assert 0.0 <= kv[f"{key},none"] <= 1.0, key
    # only the requested buckets are reported
    assert "acc_4096,none" not in kv and "acc_depth_10,none" not in kv

    # the prompts the model saw are exactly the reference prompts
    s = _samples(out, "mdqa_20docs_pos5")
    assert len(s) == 2
    want = mdqa.build_docs(data, 20, 5)[0]["prompt"]
    assert s[0]["arguments"]["gen_args_0"]["arg_0"] == want
    assert "Document [5](Title: Gold 0)" in want
    s = _samples(out, "mdqa_closedbook")
    assert s[0]["arguments"]["gen_args_0"]["arg_0"] == "Question: where is thing 0\nAnswer:"
    s = _samples(out, "flenqa_ruletaker_cot")
    rec = next(r for r in flenqa_records(3) if r["dataset"] == "Simplified RuleTaker")
    assert s[0]["arguments"]["gen_args_0"]["arg_0"] == flenqa.build_prompt(rec, cot=True)
    s = _samples(out, "kv_retrieval_simple")
    prompt = s[0]["arguments"]["gen_args_0"]["arg_0"]
    assert prompt.startswith("Do a task using the list of dictionaries below.\n\nDictionary [1] {")
    assert "Answer in the following template:" in prompt
    assert s[0]["doc"]["max_length"] == 1024 and s[0]["doc"]["num_tokens"] <= 1024 - 100
