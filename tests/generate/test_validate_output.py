"""``artificial-needles validate`` output a new user can read (issue 19, papercut 9): a file
that is not JSONL gives a capped list with a count of the rest, and a wrong answer says what
was expected."""

from __future__ import annotations

import json

from artificial_needles.cli.main import main


def test_problem_list_is_capped_with_a_count(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("".join(f"line {i}\n" for i in range(222)))
    assert main(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 21
    assert lines[0] == f"{path}:1: not a valid record: Expecting value: line 1 column 1 (char 0)"
    assert lines[-1] == f"{path}: ... and 202 more problem(s) (--max-problems 0 lists all)"
    assert err.strip() == f"{path}: 222 line(s), 222 problem(s)"
    assert main(["validate", str(path), "--max-problems", "0"]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 222
    assert main(["validate", str(path), "--max-problems", "-1"]) == 2


def test_wrong_answer_says_what_was_expected(tmp_path, capsys):
    path = tmp_path / "kv.jsonl"
    args = ["generate", "simple-kv", "--num-samples", "2", "--max-tokens", "600"]
    assert main([*args, "--quiet", "-o", str(path)]) == 0
    records = [json.loads(line) for line in path.read_text().splitlines()]
    right = records[1]["messages"][-1]["content"]
    records[1]["messages"][-1]["content"] = "The value is 7."
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    capsys.readouterr()
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert out == f"{path}:2: answer 'The value is 7.', expected {right!r}\n"
