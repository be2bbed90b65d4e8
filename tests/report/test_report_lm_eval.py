"""End to end: real ``lm_eval`` CLI runs on tiny random models (offline), then the report.

Two labels: ``tiny-a`` evaluated twice (``--seed 1`` and ``--seed 2``; the report averages
them) and ``tiny-b`` (a second random model) once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from eval_data import write_flenqa, write_mdqa

from artificial_needles.cli.main import main
from artificial_needles.eval import flenqa, mdqa
from artificial_needles.eval.paths import tasks_path

LM_EVAL = str(Path(sys.executable).with_name("lm_eval"))
TASKS = ["mdqa_10docs", "mdqa_closedbook", "flenqa_pir", "kv_retrieval_simple"]


def _lm_eval(model: Path, out: Path, seed: int, meta: dict, cwd: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (mdqa.ENV_VAR, flenqa.ENV_VAR) and not k.startswith("PYTEST")
    }
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    args = [
        LM_EVAL, "run", "--model", "hf",
        "--model_args", f"pretrained={model},max_length=2048",
        "--device", "cpu", "--include_path", str(tasks_path()), "--tasks", *TASKS,
        "--limit", "2", "--metadata", json.dumps(meta), "--gen_kwargs", "max_gen_toks=8",
        "--output_path", str(out), "--log_samples", "--seed", str(seed),
    ]  # fmt: skip
    proc = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.slow
def test_report_on_real_lm_eval_runs(tmp_path, tiny_model_dir, capsys):
    from artificial_needles.testing import build_model

    other = build_model(tmp_path / "model-b", seed=1)
    data = tmp_path / "mdqa"
    write_mdqa(data / "nq-open-10_total_documents_gold_at_0.jsonl.gz", 3, num_documents=10)
    meta = {
        "mdqa_data": str(data),
        "flenqa_data": str(write_flenqa(tmp_path / "FLenQA_hf.jsonl", per_dataset=3)),
        "max_seq_lengths": [1024],
        "num_samples": 1,
        "depth_buckets": 2,
    }
    runs = [
        (tiny_model_dir, tmp_path / "a1", 1),
        (tiny_model_dir, tmp_path / "a2", 2),
        (other, tmp_path / "b", 0),
    ]
    for model, out, seed in runs:
        _lm_eval(model, out, seed, meta, tmp_path)

    out = tmp_path / "report"
    rc = main(
        ["report", *(str(r[1]) for r in runs), "-o", str(out),
         "--label", "tiny-a", "--label", "tiny-a", "--label", "tiny-b"]
    )  # fmt: skip
    assert rc == 0
    assert "10 documents" in capsys.readouterr().out
    rep = json.loads((out / "report.json").read_text())
    assert rep["labels"] == ["tiny-a", "tiny-b"] and rep["baseline"] == "tiny-a"
    # plain lm-eval runs: --seed is lm-eval's sampling seed, not a training seed (not shown)
    assert [(r["label"], r["seed"]) for r in rep["runs"]] == [
        ("tiny-a", None), ("tiny-a", None), ("tiny-b", None)
    ]  # fmt: skip
    assert rep["absent"] == ["General (needles_general)"]
    assert any("--limit 2" in w for w in rep["warnings"])

    def inputs(folder: Path) -> dict:
        (f,) = folder.rglob("results_*.json")
        return json.loads(f.read_text())["results"]

    a = [inputs(tmp_path / "a1"), inputs(tmp_path / "a2")]
    b = inputs(tmp_path / "b")
    checks = [
        (rep["sections"]["mdqa"]["documents"]["10"]["positions"]["5"], "mdqa_10docs_pos5",
         "best_subspan_em,none"),
        (rep["sections"]["flenqa"]["modes"]["no_cot"]["by_task"]["PIR"]["all"], "flenqa_pir",
         "acc,none"),
        (rep["sections"]["kv"]["tasks"]["kv_retrieval_simple"]["summary"]["acc"],
         "kv_retrieval_simple", "acc,none"),
    ]  # fmt: skip
    for entry, task, key in checks:
        vals = np.array([r[task][key] for r in a])
        got = entry["labels"]["tiny-a"]
        assert got["n"] == 2 and got["values"] == list(vals)
        assert got["mean"] == pytest.approx(vals.mean())
        assert got["sd"] == pytest.approx(vals.std(ddof=1))
        assert entry["labels"]["tiny-b"]["values"] == [b[task][key]]
        assert entry["deltas"]["tiny-b"]["delta"] == pytest.approx(b[task][key] - vals.mean())

    md = (out / "report.md").read_text()
    pos5 = f"| 5 | {np.mean([r['mdqa_10docs_pos5']['best_subspan_em,none'] for r in a]) * 100:.2f}"
    assert pos5 in md
    grid = rep["sections"]["kv"]["tasks"]["kv_retrieval_simple"]["grid"]["tiny-b"]
    assert {(c["length"], c["depth"]) for c in grid} <= {(1024, 0), (1024, 50)}
    for name in rep["figures"]:
        assert (out / name).read_bytes().startswith(b"\x89PNG")
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(rep["figures"])
