"""``artificial-needles eval`` never loses results: the output path is checked before any model
loads (exit 2, one line), a save that still fails leaves a readable fallback file and a non-zero
exit, and the results file written is printed (lm-eval hides ``pretrained=./tiny`` runs in a
``.__tiny/`` folder)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from eval_data import write_mdqa


@pytest.fixture()
def mdqa_dir(tmp_path):
    write_mdqa(tmp_path / "mdqa" / "nq-open-20_total_documents_gold_at_0.jsonl.gz", 2)
    return tmp_path / "mdqa"


def _argv(model: str, mdqa_dir: Path, out: str) -> list[str]:
    return [
        "eval",
        "--model",
        "hf",
        "--model_args",
        f"pretrained={model},max_length=2048",
        "--device",
        "cpu",
        "--tasks",
        "mdqa_closedbook",
        "--limit",
        "1",
        "--gen_kwargs",
        "max_gen_toks=2",
        "--metadata",
        json.dumps({"mdqa_data": str(mdqa_dir)}),
        "--output_path",
        out,
    ]


@pytest.fixture()
def no_model(monkeypatch):
    """Fails the test if lm-eval's hf model is ever constructed."""
    from lm_eval.models.huggingface import HFLM

    def constructed(*args, **kwargs):
        raise AssertionError("the model was constructed")

    monkeypatch.setattr(HFLM, "__init__", constructed)


def _in_the_way(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "afile").write_text("x")
    return str(tmp_path / "afile" / "sub"), "afile is a file, not a folder"


def _fifo(tmp_path: Path) -> tuple[str, str]:
    os.mkfifo(tmp_path / "pipe")
    return str(tmp_path / "pipe"), "is a FIFO (named pipe), not a folder"


def _proc(tmp_path: Path) -> tuple[str, str]:
    return "/proc/needles-results", "cannot write in /proc"


@pytest.mark.parametrize("case", [_in_the_way, _fifo, _proc], ids=["file", "fifo", "proc"])
def test_bad_output_path_exits_2_before_the_model_loads(
    case, tmp_path, tiny_model_dir, mdqa_dir, no_model, capsys
):
    from artificial_needles.cli.main import main

    out, message = case(tmp_path)
    assert main(_argv(str(tiny_model_dir), mdqa_dir, out)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("artificial-needles: error: --output_path ") and message in err, err


def test_results_path_printed_and_a_failed_save_kept(
    tmp_path, tiny_model_dir, mdqa_dir, monkeypatch, capsys
):
    from artificial_needles.cli.main import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny").symlink_to(tiny_model_dir)
    # lm-eval names the model folder after pretrained: ./tiny -> .__tiny (hidden from ls)
    assert main(_argv("./tiny", mdqa_dir, "out")) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    assert printed.startswith("results written to out/.__tiny/results_"), printed
    saved = json.loads(Path(printed.removeprefix("results written to ")).read_text())
    assert "mdqa_closedbook" in saved["results"]

    # a file where lm-eval's model folder goes: the run succeeds, the save fails
    (tmp_path / "out2").mkdir()
    (tmp_path / "out2" / ".__tiny").write_text("in the way")
    assert main(_argv("./tiny", mdqa_dir, "out2")) == 2
    err = capsys.readouterr().err
    assert "could not save the results under out2" in err
    (kept,) = tmp_path.glob("needles-results-*.json")
    assert f"written to {kept}" in err
    data = json.loads(kept.read_text())
    assert 0.0 <= data["results"]["mdqa_closedbook"]["best_subspan_em,none"] <= 1.0
    assert data["artificial_needles"]["label"] == "./tiny"
