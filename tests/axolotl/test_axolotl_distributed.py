"""The plugin's evaluations under a real 2-process launch (``torchrun --nproc_per_node 2``, gloo,
CPU): exactly one evaluation per stage, run by global rank 0 in a child process without the
launcher's variables, every document evaluated, one report, no rank held up.

Axolotl's own trainer does not run distributed on CPU (transformers refuses the device map:
"Cannot access accelerator device"), so ``axolotl train`` is not launched here: each rank
initialises a real gloo process group and calls the plugin's hooks (``pre_model_load``,
``post_train_unload``) and the ``needles-eval`` command directly (tests/axolotl/dist_hooks.py),
as ``axolotl train`` and ``axolotl needles-eval`` would under ``torchrun``. The single-process
``axolotl train`` run is tests/axolotl/test_axolotl_train.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from artificial_needles.eval.child import DISTRIBUTED_PREFIXES, DISTRIBUTED_VARS, free_port
from artificial_needles.testing import OFFLINE_ENV

SMOKE = Path(__file__).parents[2] / "configs" / "axolotl" / "tiny-cpu-smoke.yml"
HOOKS = Path(__file__).with_name("dist_hooks.py")
TORCHRUN = str(Path(sys.executable).with_name("torchrun"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def launched(tiny_model_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("dist")
    cfg = yaml.safe_load(SMOKE.read_text())
    cfg.update(
        base_model=str(tiny_model_dir),
        output_dir=str(work / "out"),
        dataset_prepared_path=str(work / "prepared"),
        ddp_backend="gloo",
    )
    cfg.pop("needles_eval_limit")  # every document: 2 lengths x depths x samples = 2
    config = work / "smoke.yml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    reports = work / "ranks"
    reports.mkdir()
    env = {**os.environ, **OFFLINE_ENV, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [TORCHRUN, "--nproc_per_node", "2", "--master_port", str(free_port()), str(HOOKS)]
        + [str(config), str(reports)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    ranks = {r: json.loads((reports / f"rank{r}.json").read_text()) for r in (0, 1)}
    return work / "out" / "needles_eval", ranks, log


def test_one_evaluation_per_stage_of_every_document(launched):
    root, _, _ = launched
    for stage in ("base", "finetuned"):
        (results,) = (root / stage / "kv_retrieval_simple").rglob("results_*.json")
        data = json.loads(results.read_text())
        assert data["n-samples"]["kv_retrieval_simple"] == {"original": 2, "effective": 2}
        assert data["artificial_needles"]["stage"] == stage
        assert 0.0 <= data["results"]["kv_retrieval_simple"]["acc,none"] <= 1.0
        plan = json.loads((root / stage / "plan.json").read_text())
        assert plan["total"]["requests"] == 2 and plan["tasks"][0]["task"] == "kv_retrieval_simple"
    report = json.loads((root / "report" / "report.json").read_text())
    assert len(report["labels"]) == 2
    assert sorted(p.name for p in root.iterdir()) == ["base", "finetuned", "report"]


def test_only_rank_0_works_and_no_rank_waits(launched):
    _, ranks, log = launched
    assert {r["env"]["RANK"] for r in ranks.values()} == {"0", "1"}
    for hook in ("pre_model_load_s", "post_train_unload_s", "needles_eval_s"):
        assert ranks[1][hook] < 5, (hook, ranks[1])  # rank 1 returns at once
    assert ranks[0]["post_train_unload_s"] > ranks[1]["post_train_unload_s"]
    assert "needles base check: every task ran on one document" in log
    # the needles-eval command found every task done and skipped it
    assert log.count("skipped, results exist") == 2
    assert ranks[0]["needles_eval_s"] < ranks[0]["post_train_unload_s"]


def test_the_child_environment_has_no_launcher_variables(launched):
    root, ranks, _ = launched
    port = ranks[0]["env"]["MASTER_PORT"]
    for stage in ("base", "finetuned"):
        script = (root / stage / "command.sh").read_text()
        exported = dict(re.findall(r"^export (\w+)=(.*)$", script, re.M))
        assert not [
            k for k in exported if k in DISTRIBUTED_VARS or k.startswith(DISTRIBUTED_PREFIXES)
        ]
        assert f"unset {' '.join(sorted(DISTRIBUTED_VARS))}" in script
        assert port not in script
        assert "accelerate" not in script  # no GPU here: one process
        assert f"--stage {stage}" in script and "--per_task" in script
