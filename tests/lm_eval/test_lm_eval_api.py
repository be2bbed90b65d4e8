"""Our calls into lm-eval use its current API: a run prints no deprecation warning raised by our
code on any tested lm-eval (0.4.11, Axolotl's pin; the newest the ``eval`` extra allows, run by
``scripts/test.sh``'s eval-only environment). See docs/versions.md."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from importlib.metadata import version
from pathlib import Path

import pytest
from eval_data import write_mdqa

CLI = str(Path(sys.executable).with_name("artificial-needles"))
#: A warning line as Python prints it: ``FILE:LINE: CATEGORY: message``, FILE one of ours.
OURS = re.compile(r"(artificial_needles|lm_eval_tasks|axolotl_plugins)[^\s:]*\.py:\d+: \w*Warning")


@pytest.mark.slow
def test_eval_run_prints_no_deprecation_warning_of_ours(tmp_path, tiny_model_dir):
    write_mdqa(tmp_path / "mdqa" / "nq-open-20_total_documents_gold_at_0.jsonl.gz", 2)
    env = {
        **os.environ,
        "PYTHONWARNINGS": "always::DeprecationWarning,always::FutureWarning",
        "TOKENIZERS_PARALLELISM": "false",
    }
    args = ["--model", "hf", "--model_args", f"pretrained={tiny_model_dir},max_length=2048"]
    args += ["--device", "cpu", "--tasks", "mdqa_20docs_pos10", "--limit", "1"]
    args += ["--metadata", json.dumps({"mdqa_data": str(tmp_path / "mdqa")})]
    args += ["--gen_kwargs", "max_gen_toks=2", "--output_path", str(tmp_path / "out")]
    work = tmp_path / "work"  # not inside a git repository
    work.mkdir()
    proc = subprocess.run(
        [CLI, "eval", *args], capture_output=True, text=True, env=env, cwd=work
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert "mdqa_20docs_pos10" in proc.stdout  # the run happened and printed its table
    ours = [line for line in log.splitlines() if OURS.search(line)]
    assert ours == [], f"lm-eval {version('lm-eval')}: " + "\n".join(ours)
    assert "not a git repository" not in log


def test_loading_tasks_warns_nothing(tmp_path):
    from lm_eval.tasks import TaskManager

    from artificial_needles.eval.lm_eval_compat import load_tasks, once_task_manager
    from artificial_needles.eval.paths import tasks_path

    write_mdqa(tmp_path / "mdqa" / "nq-open-20_total_documents_gold_at_0.jsonl.gz", 2)
    meta = {"mdqa_data": str(tmp_path / "mdqa")}
    manager = once_task_manager(TaskManager)(include_path=str(tasks_path()), metadata=meta)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = load_tasks(manager, ["mdqa_20docs_pos1", "mdqa_closedbook"])
        again = load_tasks(manager, ["mdqa_20docs_pos1", "mdqa_closedbook"])
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning | FutureWarning)]
    assert deprecations == [], [str(w.message) for w in deprecations]
    assert {"mdqa_20docs_pos1", "mdqa_closedbook"} <= set(first)
    assert all(again[name] is task for name, task in first.items())  # built once, shared


def test_plan_prints_no_deprecation_warning_of_ours(tmp_path, tiny_model_dir):
    write_mdqa(tmp_path / "mdqa" / "nq-open-20_total_documents_gold_at_0.jsonl.gz", 2)
    env = {**os.environ, "PYTHONWARNINGS": "always::DeprecationWarning,always::FutureWarning"}
    args = ["eval", "--plan", "--model", "hf", "--model_args", f"pretrained={tiny_model_dir}"]
    args += ["--tasks", "mdqa_20docs_pos10,kv_retrieval_simple"]
    args += ["--metadata", json.dumps({"mdqa_data": str(tmp_path / "mdqa")})]
    proc = subprocess.run([CLI, *args], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ours = [line for line in (proc.stdout + proc.stderr).splitlines() if OURS.search(line)]
    assert ours == [], f"lm-eval {version('lm-eval')}: " + "\n".join(ours)
