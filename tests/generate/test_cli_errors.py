"""Clean errors of `generate` / `validate` and `--version`."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from artificial_needles.cli.main import main

SMALL = ["--num-samples", "3", "--max-tokens", "500", "--quiet"]


@pytest.fixture
def no_generation(monkeypatch):
    """Fail the test if generation starts: output checks must come before any work."""
    import artificial_needles.generators.build as generate

    def refuse(*args, **kwargs):
        raise AssertionError("generation started before the output path was checked")

    monkeypatch.setattr(generate, "generate_file", refuse)
    monkeypatch.setattr(generate, "make_generator", refuse)


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("artificial-needles: error: "), err
    return err


def test_output_directory_fails_before_generating(tmp_path, capsys, no_generation):
    assert main(["generate", "simple-kv", *SMALL, "-o", str(tmp_path)]) == 2
    assert "is a directory" in _error_line(capsys)
    assert list(tmp_path.iterdir()) == []
    assert main(["generate", "simple-kv", *SMALL, "-o", str(tmp_path / "new") + os.sep]) == 2
    assert "directory" in _error_line(capsys)


def test_empty_output_path(tmp_path, capsys, no_generation, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "simple-kv", *SMALL, "-o", ""]) == 2
    assert "output path is empty" in _error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_symlink_output_writes_through_the_link(tmp_path):
    target = tmp_path / "data" / "train.jsonl"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    assert main(["generate", "simple-kv", *SMALL, "-o", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    lines = target.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["meta"]["index"] == 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["train.jsonl"]
    # a dangling link creates its target
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "data" / "new.jsonl")
    assert main(["generate", "simple-kv", *SMALL, "-o", str(dangling)]) == 0
    assert dangling.is_symlink() and (tmp_path / "data" / "new.jsonl").read_text() == (
        target.read_text()
    )


def test_special_files_are_refused(tmp_path, capsys, no_generation):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert main(["generate", "simple-kv", *SMALL, "-o", str(fifo)]) == 2
    assert "FIFO" in _error_line(capsys) and fifo.exists()
    assert main(["generate", "simple-kv", *SMALL, "-o", os.devnull]) == 2
    assert "device" in _error_line(capsys)
    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        assert main(["generate", "simple-kv", *SMALL, "-o", str(sock_path)]) == 2
        assert "socket" in _error_line(capsys)
    # a link onto a special file is refused the same way
    link = tmp_path / "link"
    link.symlink_to(fifo)
    assert main(["generate", "simple-kv", *SMALL, "-o", str(link)]) == 2
    assert "FIFO" in _error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "link", "s.sock"]


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_num_workers_must_be_positive(capsys, value, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["generate", "simple-kv", "--num-workers", value, "-o", str(tmp_path / "x")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--num-workers" in err and "positive integer" in err, err


def test_validate_empty_file_is_an_error(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert main(["validate", str(empty)]) == 2
    assert "no records" in _error_line(capsys)


def test_tokenizer_paths_stored_absolute_and_validate_tokenizer_option(
    tmp_path, tiny_tokenizer_dir, monkeypatch, capsys
):
    work = tmp_path / "work"
    shutil.copytree(tiny_tokenizer_dir, work / "tok")
    monkeypatch.chdir(work)
    out = work / "x.jsonl"
    assert main(["generate", "simple-kv", *SMALL, "--tokenizer", "tok", "-o", "x.jsonl"]) == 0
    meta = json.loads(out.read_text().splitlines()[0])["meta"]
    assert meta["tokenizer"] == str(work / "tok")
    # recount from anywhere else
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(out), "--recount"]) == 0
    # the tokenizer moved: the error names the file, line, field and the option that fixes it
    (work / "tok").rename(tmp_path / "moved")
    capsys.readouterr()
    assert main(["validate", str(out), "--recount"]) == 2
    err = _error_line(capsys)
    assert f"{out}:1: meta.tokenizer" in err and "--tokenizer" in err, err
    assert main(["validate", str(out), "--recount", "--tokenizer", str(tmp_path / "moved")]) == 0
    # hub names stay names (nothing is resolved against the working directory)
    from artificial_needles.tokens.counter import load_tokenizer

    assert load_tokenizer(None).name == "embedded:mistral-7b-v0.1"


def test_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"artificial-needles {version('artificial-needles')}"
    res = subprocess.run(
        [str(Path(sys.executable).parent / "artificial-needles"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0 and res.stdout.startswith("artificial-needles "), res


def test_replaced_file_keeps_its_permissions(tmp_path):
    out = tmp_path / "x.jsonl"
    out.write_text("old\n")
    out.chmod(0o640)
    assert main(["generate", "simple-kv", *SMALL, "-o", str(out)]) == 0
    assert (out.stat().st_mode & 0o777) == 0o640 and out.read_text() != "old\n"
