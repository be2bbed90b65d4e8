"""``artificial_needles.testing`` and ``artificial-needles tiny-model``.

The commands written in ``configs/axolotl/tiny-cpu-smoke.yml``'s comment are run as written, in
an empty folder, and give a model that the config loads (``base_model: ./tiny-model``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from artificial_needles.cli.main import main
from artificial_needles.testing import CHAT_TEMPLATES, OFFLINE_ENV, build_tokenizer

SMOKE = Path(__file__).resolve().parents[2] / "configs" / "axolotl" / "tiny-cpu-smoke.yml"


def _commented_commands(prog: str) -> list[list[str]]:
    found = re.findall(
        rf"^#[ \t]+{prog} ([^#\n]+?)[ \t]*(?:#.*)?$", SMOKE.read_text(), re.MULTILINE
    )
    return [shlex.split(line) for line in found]


def test_smoke_config_commands_work_as_written(tmp_path, monkeypatch, capsys):
    commands = _commented_commands("artificial-needles")
    assert [c[:1] for c in commands] == [["configs"], ["tiny-model"]]
    monkeypatch.chdir(tmp_path)
    for args in commands:
        assert main(args) == 0, capsys.readouterr().err
    cfg = yaml.safe_load((tmp_path / "tiny-cpu-smoke.yml").read_text())
    assert "dataset_processes" not in cfg and cfg["dataset_num_proc"] == 1
    model_dir = tmp_path / cfg["base_model"]
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model_type"] == "llama" and config["num_hidden_layers"] == 2

    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    assert tok.chat_template == CHAT_TEMPLATES["chatml"]
    assert tok.tokenize("2528") == ["2", "5", "2", "8"]
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    assert model.config.vocab_size == len(tok)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny-cpu-smoke.yml", "tiny-model"]


def test_tiny_model_refuses_a_full_folder_and_replaces_it_with_force(tmp_path, capsys):
    target = tmp_path / "m"
    target.mkdir()
    (target / "keep").write_text("x")
    assert main(["tiny-model", str(target)]) == 2
    assert "not empty; pass --force" in capsys.readouterr().err
    assert main(["tiny-model", str(target), "--arch", "mistral", "--force"]) == 0
    assert not (target / "keep").exists()
    assert json.loads((target / "config.json").read_text())["model_type"] == "mistral"
    assert [p.name for p in tmp_path.iterdir()] == ["m"], "no temporary folder left behind"


def test_tiny_model_needs_an_existing_parent(tmp_path, capsys):
    assert main(["tiny-model", str(tmp_path / "a" / "b")]) == 2
    assert "does not exist; create it first" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_tiny_model_in_a_folder_it_cannot_write_is_one_line(capsys):
    # /proc exists and is a folder, but nothing can be created in it (issue 19, papercut 7)
    assert main(["tiny-model", "/proc/needles-tiny-model"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("artificial-needles: error: /proc/needles-tiny-model: cannot create"), err
    assert len(err.strip().splitlines()) == 1, err


def test_tokenizer_is_deterministic(tmp_path):
    build_tokenizer(tmp_path / "a")
    build_tokenizer(tmp_path / "b", chat_template="llama3")
    assert (tmp_path / "a/tokenizer.json").read_bytes() == (
        tmp_path / "b/tokenizer.json"
    ).read_bytes()


def test_unknown_template_is_one_clear_line(tmp_path):
    from artificial_needles.errors import NeedlesError

    with pytest.raises(NeedlesError, match="use one of chatml, llama3, mistral"):
        build_tokenizer(tmp_path, chat_template="vicuna")


@pytest.mark.slow
def test_smoke_recipe_preprocesses_without_deprecation_warnings(tmp_path, monkeypatch):
    """The by-hand recipe of the smoke config, up to ``axolotl preprocess`` (real Axolotl)."""
    monkeypatch.chdir(tmp_path)
    for args in _commented_commands("artificial-needles"):
        assert main(args) == 0
    axolotl = Path(sys.executable).parent / "axolotl"
    proc = subprocess.run(
        [str(axolotl), "preprocess", "tiny-cpu-smoke.yml"],
        cwd=tmp_path,
        env={**os.environ, **OFFLINE_ENV},
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    assert "dataset_processes" not in log
    assert list((tmp_path / "last_run_prepared").iterdir()), "prepared data written"
