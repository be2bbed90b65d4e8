"""The issue 20 metadata keys: validated before any model loads, and passed to the generators
of the tasks that take them (unset keys leave every task's documents as they were)."""

from __future__ import annotations

import pytest

from artificial_needles.errors import NeedlesError
from artificial_needles.eval.metadata import generator_overrides, parse_metadata, task_options


def test_new_keys_validate():
    ok = {"gold_dict_size": "match", "near_miss_keys": 0.3, "num_queries": 4, "hops": 3}
    assert parse_metadata(ok) == ok
    assert parse_metadata('{"gold_dict_size": 2}') == {"gold_dict_size": 2}
    for bad, key in (
        ({"gold_dict_size": "same"}, "gold_dict_size"),
        ({"gold_dict_size": 0}, "gold_dict_size"),
        ({"near_miss_values": 2}, "near_miss_values"),
        ({"hops": 0}, "hops"),
        ({"num_querys": 2}, "did you mean 'num_queries'"),
    ):
        with pytest.raises(NeedlesError, match=key):
            parse_metadata(bad)


def test_overrides_go_to_the_tasks_that_take_them():
    opts = task_options(
        {"gold_dict_size": "match", "hops": "3", "num_queries": 4, "near_miss_keys": "0.5"}
    )
    assert generator_overrides(opts, "simple-kv") == {
        "gold_dict_size": "match",
        "near_miss_keys": 0.5,
    }
    assert generator_overrides(opts, "multi-hop-kv")["hops"] == 3
    assert "hops" not in generator_overrides(opts, "multi-query-kv")
    assert generator_overrides(opts, "multi-query-kv")["num_queries"] == 4
    assert generator_overrides(task_options({}), "simple-kv") == {}
    assert generator_overrides(task_options({"gold_dict_size": "2"}), "x") == {"gold_dict_size": 2}


def test_multi_group_is_named_as_the_code_names_it():
    from pathlib import Path

    from artificial_needles.eval.task_names import KV_MULTI_GROUP

    path = Path(__file__).parents[2] / "lm_eval_tasks" / "kv_retrieval" / "_kv_retrieval_multi.yaml"
    assert f"group: {KV_MULTI_GROUP}\n" in path.read_text(encoding="utf-8")
