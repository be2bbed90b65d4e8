"""Bad input to ``artificial-needles report``: one line naming the path and the fix, exit
status 1, nothing left in DIR."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from artificial_needles.cli.main import main
from artificial_needles.errors import NeedlesError
from artificial_needles.report import build_report

FIX = Path(__file__).parent / "fixtures"
BASE = FIX / "runs" / "base"


def _fail(capsys, args: list[str], out: Path) -> str:
    rc = main(["report", *args, "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("artificial-needles report: error: "), err
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    return lines[0]


def _results_copy(tmp_path: Path, edit) -> Path:
    (src,) = BASE.rglob("results_*.json")
    data = json.loads(src.read_text())
    dest = tmp_path / "run" / "model" / src.name
    dest.parent.mkdir(parents=True)
    dest.write_text(edit(data) if callable(edit) else edit)
    return tmp_path / "run"


def test_missing_path(tmp_path, capsys):
    line = _fail(capsys, [str(tmp_path / "nope")], tmp_path / "out")
    assert f"{tmp_path / 'nope'}: no such file or directory" in line and "--output_path" in line


def test_directory_without_results(tmp_path, capsys):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "samples_x.jsonl").write_text("{}\n")
    line = _fail(capsys, [str(tmp_path / "empty")], tmp_path / "out")
    assert f"{tmp_path / 'empty'}: no results_*.json found" in line


def test_truncated_json(tmp_path, capsys):
    (src,) = BASE.rglob("results_*.json")
    run = _results_copy(tmp_path, src.read_text()[:500])
    line = _fail(capsys, [str(BASE), str(run)], tmp_path / "out")
    assert "results_2024-06-01T10-00-00.000000.json: not valid JSON (line" in line
    assert "re-run the evaluation or remove it" in line


def test_json_that_is_not_lm_eval_output(tmp_path, capsys):
    run = _results_copy(tmp_path, "[1, 2, 3]")
    line = _fail(capsys, [str(run)], tmp_path / "out")
    assert 'no "results" object' in line


def test_results_with_none_of_our_tasks(tmp_path, capsys):
    def edit(data):
        data["results"] = {"arc_easy": {"alias": "arc_easy", "acc,none": 0.5}}
        data["groups"] = {}
        return json.dumps(data)

    run = _results_copy(tmp_path, edit)
    line = _fail(capsys, [str(run)], tmp_path / "out")
    assert f"{run}: none of the report's tasks" in line and "arc_easy" in line
    assert "tasks-path" in line


def test_unknown_baseline(tmp_path, capsys):
    line = _fail(capsys, [str(BASE), "--baseline", "nobody"], tmp_path / "out")
    assert "--baseline 'nobody': no such label" in line
    assert "mistralai/Mistral-7B-Instruct-v0.1" in line


def test_label_count_mismatch(tmp_path, capsys):
    line = _fail(capsys, [str(BASE), "--label", "a", "--label", "b"], tmp_path / "out")
    assert "--label given 2 time(s) for 1 RUN path(s)" in line


def test_unwritable_output(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(["report", str(BASE), "-o", str(blocker / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1
    assert f"{blocker / 'out'}: cannot write in {blocker}" in err[0] and "writable -o" in err[0]
    assert blocker.read_text() == "x"


def test_output_is_a_foreign_directory(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    rc = main(["report", str(BASE), "-o", str(out)])
    assert rc == 1
    assert "not empty and not a report directory" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_failure_midway_leaves_the_old_report(tmp_path, monkeypatch):
    out = build_report([BASE]).save(tmp_path / "out")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    rep = build_report([BASE, FIX / "runs" / "finetuned"])

    def boom():
        raise NeedlesError("drawing failed")

    monkeypatch.setattr(rep.sections[0].figures[0], "draw", boom)
    with pytest.raises(NeedlesError):
        rep.save(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_rerun_replaces_a_report(tmp_path):
    out = build_report([BASE]).save(tmp_path / "out")
    build_report([BASE, FIX / "runs" / "finetuned"]).save(out)
    assert "kv-template" in (out / "report.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    shutil.rmtree(out)
