"""A bad config ends `axolotl preprocess` with one line naming the key, no traceback, and the
advice names the Axolotl key (``needles_eval_metadata``), not lm-eval's ``--metadata`` flag
(issue 19, papercut 6). Real Axolotl CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import axolotl_cfg
import pytest
import yaml
from axolotl_cfg import DATA_ENV, PAPER, SMOKE, raw, validate

AXOLOTL = str(Path(sys.executable).parent / "axolotl")


@pytest.fixture
def no_data_env(monkeypatch):
    for name in DATA_ENV:
        monkeypatch.delenv(name, raising=False)


def test_missing_mdqa_data_names_the_axolotl_key(tmp_path, no_data_env):
    with pytest.raises(ValueError) as info:
        validate(raw(PAPER, tmp_path, base_model=axolotl_cfg.LOCAL_BASE))
    message = str(info.value)
    assert "needles_eval_metadata: {mdqa_data: PATH}" in message
    assert "--metadata" not in message


@pytest.mark.slow
def test_config_error_is_one_line_without_traceback(tmp_path, no_data_env):
    cfg = raw(SMOKE, tmp_path / "prepared", needles_eval_tasks=["kv_retrieval_simpel"])
    cfg["output_dir"] = str(tmp_path / "out")
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "AXOLOTL_DO_NOT_TRACK": "1"}
    proc = subprocess.run(
        [AXOLOTL, "preprocess", str(path)], capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("artificial-needles: error in the Axolotl config: needles_eval_tasks")
    assert "did you mean 'kv_retrieval_simple'?" in last
