"""MDQA records built from the Lost-in-the-Middle oracle file (the committed copy)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from artificial_needles.demo_model import sha256_of
from artificial_needles.errors import NeedlesError
from artificial_needles.eval.mdqa import build_docs
from artificial_needles.eval.mdqa_oracle import (
    ORACLE_SHA256,
    build_records,
    read_oracle,
    write_records,
)
from artificial_needles.eval.scoring import normalize_answer

ORACLE = Path(__file__).parents[2] / "benchmarks/learning_signal/data/nq-open-oracle.jsonl.gz"


@pytest.fixture(scope="module")
def oracle():
    assert sha256_of(ORACLE) == ORACLE_SHA256
    return read_oracle(ORACLE)


def test_records_hold_the_gold_and_distractors_without_the_answer(oracle):
    assert len(oracle) == 2655
    records = list(build_records(oracle, 20, num_documents=10))
    for i, rec in enumerate(records):
        assert rec["question"] == oracle[i]["question"]
        gold, *others = rec["ctxs"]
        assert gold["isgold"] and gold["text"] == oracle[i]["gold"]["text"]
        assert len(others) == 9 and not any(c["isgold"] for c in others)
        assert len({c["text"] for c in others}) == 9
        answers = [normalize_answer(a) for a in rec["answers"]]
        for ctx in others:
            assert not any(a in normalize_answer(ctx["text"]) for a in answers)


def test_bytes_are_deterministic_and_read_by_the_mdqa_task(oracle, tmp_path):
    a = write_records(build_records(oracle, 5), tmp_path / "a.jsonl.gz")
    b = write_records(build_records(read_oracle(ORACLE), 5), tmp_path / "b.jsonl.gz")
    assert a == b == sha256_of(tmp_path / "a.jsonl.gz")
    assert write_records(build_records(oracle, 5, seed=1), tmp_path / "c.jsonl.gz") != a
    docs = build_docs(tmp_path / "a.jsonl.gz", 10, 5)
    assert [d["gold_position"] for d in docs] == [5] * 5
    assert "Document [5](Title: " + oracle[0]["gold"]["title"] + ")" in docs[0]["prompt"]


def test_bad_oracle_files_name_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl.gz"
    with gzip.open(bad, "wt") as fh:
        fh.write(json.dumps({"question": "q", "answers": ["a"], "ctxs": []}) + "\n")
    with pytest.raises(NeedlesError, match=r"bad.jsonl.gz:1: not an oracle record"):
        read_oracle(bad)
    with pytest.raises(NeedlesError, match="num_questions 9999"):
        list(build_records([], 9999))
