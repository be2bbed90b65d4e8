"""Before training, a base model that cannot run a task stops the job fast: the plugin's
``pre_model_load`` runs each task on one document (a child process, a temporary folder)."""

from __future__ import annotations

import time

import pytest
import yaml
from axolotl_cfg import SMOKE

from artificial_needles.errors import NeedlesError

pytestmark = pytest.mark.slow


def test_a_base_model_that_cannot_run_a_task_fails_before_training(tiny_model_dir, tmp_path):
    from axolotl.cli.config import load_cfg

    from artificial_needles.axolotl.plugin import NeedlesPlugin

    cfg = yaml.safe_load(SMOKE.read_text())
    cfg.update(
        base_model=str(tiny_model_dir),
        output_dir=str(tmp_path / "out"),
        dataset_prepared_path=str(tmp_path / "prepared"),
        # the KV prompts are sized for 1024 tokens: they cannot fit a 600-token context
        needles_eval_model_args="max_length=600",
    )
    config = tmp_path / "smoke.yml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    started = time.monotonic()
    with pytest.raises(NeedlesError, match="base model failed on kv_retrieval_simple with one"):
        NeedlesPlugin().pre_model_load(load_cfg(str(config)))
    assert time.monotonic() - started < 120
    base = tmp_path / "out" / "needles_eval" / "base"
    assert not list(base.rglob("results_*.json")) and not (base / "command.sh").exists()
