"""End to end: the real ``axolotl train`` / ``axolotl preprocess --debug`` with our plugin.

CPU, ``--launcher python``, the tiny random model of the ``tiny_model_dir`` fixture, no network.
The test copies ``configs/axolotl/tiny-cpu-smoke.yml`` and points ``base_model``,
``output_dir`` and ``dataset_prepared_path`` at temporary paths.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from artificial_needles.testing import OFFLINE_ENV as OFFLINE

SMOKE = Path(__file__).parents[2] / "configs" / "axolotl" / "tiny-cpu-smoke.yml"
AXOLOTL = str(Path(sys.executable).parent / "axolotl")
ANSI = re.compile(r"\x1b\[[0-9;]*m")

pytestmark = pytest.mark.slow


def _config(model_dir: Path, work: Path) -> Path:
    cfg = yaml.safe_load(SMOKE.read_text())
    cfg["base_model"] = str(model_dir)
    cfg["output_dir"] = str(work / "out")
    cfg["dataset_prepared_path"] = str(work / "prepared")
    path = work / "tiny-cpu-smoke.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _axolotl(args: list[str], cwd: Path, timeout: int = 600) -> str:
    env = {**os.environ, **OFFLINE}
    proc = subprocess.run(
        [AXOLOTL, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    out = ANSI.sub("", proc.stdout + proc.stderr)
    assert proc.returncode == 0, out[-6000:]
    return out


@pytest.fixture(scope="module")
def trained(tiny_model_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("axolotl-train")
    config = _config(tiny_model_dir, work)
    log = _axolotl(["train", str(config), "--launcher", "python"], cwd=work)
    return work, log


def test_train_saves_a_model_with_finite_loss(trained):
    work, log = trained
    out = work / "out"
    assert (out / "model.safetensors").is_file()
    assert (out / "config.json").is_file()
    losses = [float(x) for x in re.findall(r"'loss': '?([-+\w.]+)'?", log)]
    assert len(losses) == 4, "max_steps 4 with logging_steps 1"
    assert all(math.isfinite(x) for x in losses)
    train_loss = float(re.search(r"'train_loss': '?([-+\w.]+)'?", log).group(1))
    assert math.isfinite(train_loss)
    # the plugin generated the split for this tokenizer: one spec file per split
    assert sorted(p.name.split("-")[0] for p in (work / "prepared" / "needles").iterdir()) == [
        "eval",
        "train",
    ]
    assert "needles train split (simple-kv)" in log


def _results(folder: Path) -> list[dict]:
    files = sorted(folder.rglob("results_*.json"))
    assert files, f"lm-eval results under {folder}"
    return [json.loads(f.read_text()) for f in files]


def test_base_and_trained_model_are_evaluated_the_same_way(trained, tiny_model_dir):
    work, log = trained
    root = work / "out" / "needles_eval"
    runs = {stage: _results(root / stage) for stage in ("base", "finetuned")}
    for stage, results in runs.items():
        (data,) = results
        assert 0.0 <= data["results"]["kv_retrieval_simple"]["acc,none"] <= 1.0
        meta = data["artificial_needles"]
        assert meta["stage"] == stage and meta["seed"] == 0
        assert meta["apply_chat_template"] is True
    base, tuned = runs["base"][0], runs["finetuned"][0]
    assert base["artificial_needles"]["label"] == tiny_model_dir.name
    assert tuned["artificial_needles"]["label"] == "out"
    # same settings, only the model differs
    assert base["config"]["limit"] == tuned["config"]["limit"] == 2

    def settings(run: dict) -> dict:  # the task config without the model's own paths
        task = dict(run["configs"]["kv_retrieval_simple"])
        task["metadata"] = {
            k: v for k, v in task["metadata"].items() if k not in ("pretrained", "tokenizer")
        }
        return task

    assert settings(base) == settings(tuned)
    assert base["n-samples"] == tuned["n-samples"]
    assert "needles base eval kv_retrieval_simple:" in log
    assert "needles finetuned eval kv_retrieval_simple:" in log


def test_report_compares_base_and_finetuned(trained, tiny_model_dir):
    work, _ = trained
    report = work / "out" / "needles_eval" / "report"
    data = json.loads((report / "report.json").read_text())
    assert data["labels"] == [tiny_model_dir.name, "out"]
    assert data["baseline"] == tiny_model_dir.name
    assert (report / "report.md").is_file() and (report / "report.html").is_file()


def test_preprocess_debug_shows_our_labels(tiny_model_dir, tmp_path):
    config = _config(tiny_model_dir, tmp_path)
    log = _axolotl(
        ["preprocess", str(config), "--debug", "--debug-num-examples", "1"], cwd=tmp_path
    )
    count = int(re.search(r"Count of labels: (\d+)", log).group(1))
    assert count > 0
    # check_dataset_labels prints each token as `text(label, id)`: trained tokens have
    # label == id, and the last trained one is the ChatML end of turn
    trained_tokens = re.findall(r"(\S*)\((\d+), (\d+)\)", log)
    trained_tokens = [t for t, lab, tid in trained_tokens if lab == tid]
    assert len(trained_tokens) == count
    assert trained_tokens[-1].endswith("<|im_end|>")
    assert "".join(trained_tokens).startswith("Thevalueofkey")
    assert list((tmp_path / "prepared").glob("*/dataset_info.json")) or list(
        (tmp_path / "prepared").rglob("*.arrow")
    )
