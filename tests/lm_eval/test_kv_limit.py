"""A small ``--limit`` on the KV tasks (issue 19, papercut 1): lm-eval takes the first documents,
which go length by length and bucket by bucket, so later lengths and depth buckets get none and
report -1. The run warns before it starts and suggests ``num_samples``."""

from __future__ import annotations

import logging

import pytest

from artificial_needles.eval.checks import check_tasks, kv_limit_gaps

META = {"max_seq_lengths": [256, 512], "depth_buckets": 2, "num_samples": 2}  # 8 documents


@pytest.mark.parametrize(
    ("limit", "empty"),
    [
        (1, "length 512 and depth bucket 50%"),
        (2, "length 512 and depth bucket 50%"),
        (3, "length 512 get"),
        (4, "length 512 get"),
        (0.25, "length 512 and depth bucket 50%"),  # a fraction: 2 of 8
        (1.0, "length 512 and depth bucket 50%"),  # lm-eval: 1.0 is one document
    ],
)
def test_limit_leaving_cells_empty_is_named(limit, empty):
    (line,) = kv_limit_gaps(["kv_retrieval_simple"], META, limit)
    assert line.startswith(f"kv_retrieval_simple: --limit {limit:g} evaluates the first ")
    assert empty in line and "num_samples" in line


@pytest.mark.parametrize("limit", [None, 8, 100, 7, 0.99])
def test_limit_reaching_every_cell_is_quiet(limit):
    # 7 of 8 documents, or 0.99 of 8 (lm-eval rounds up to 8): every cell has some
    assert kv_limit_gaps(["kv_retrieval_simple"], META, limit) == []


def test_defaults_and_other_tasks():
    # defaults: one length (4096), 10 buckets of 20 documents: --limit 30 reaches bucket 10% only
    (line,) = kv_limit_gaps(["kv_retrieval_multisubkey", "mdqa_20docs_pos1"], {}, 30)
    assert "depth buckets 20%, 30%, 40%, 50%, 60%, 70%, 80%, 90% get" in line
    assert "length 4096" not in line
    assert kv_limit_gaps(["mdqa_20docs_pos1"], {}, 1) == []


def test_check_tasks_warns_before_the_run(tiny_model_dir, caplog):
    with caplog.at_level(logging.WARNING, logger="artificial_needles"):
        check_tasks(
            ["kv_retrieval"], META, model_args={"pretrained": str(tiny_model_dir)}, limit=1
        )
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(lines) == 2  # both tasks of the group
    assert all("length 512 and depth bucket 50%" in line for line in lines)
