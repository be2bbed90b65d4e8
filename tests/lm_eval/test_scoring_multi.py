"""Scorers of the multi-query and multi-hop KV tasks (issue 20): partial answers score partly."""

from __future__ import annotations

import pytest

from artificial_needles.eval.scoring import (
    MISSING,
    multihop_steps,
    multiquery_steps,
    read_key_answers,
    score_multihop,
    score_multiquery,
)
from artificial_needles.generators.templates import multihop_answer, multiquery_answer

MQ = {
    "query_keys": [1234, 567, 8901],
    "query_values": [42, 7777, 305],
    "query_dict_names": [3, 17, 9],
    "gold_value": 42,
    "max_length": 4096,
    "depth": 10,
}
MH = {
    "chain_keys": [1234, 5678, 910],
    "chain_values": [5678, 910, 4321],
    "chain_dict_names": [3, 12, 40],
    "gold_value": 4321,
    "max_length": 2048,
    "depth": 50,
}


def test_the_generated_answer_scores_full():
    out = multiquery_answer(MQ["query_keys"], MQ["query_values"], MQ["query_dict_names"])
    got = score_multiquery(MQ, out)
    assert got == {
        "acc": 1.0, "query_acc": 1.0, "value_acc": 1.0, "dict_acc": 1.0,
        "query_acc_1": 1.0, "query_acc_2": 1.0, "query_acc_3": 1.0,
        "acc_4096": 1.0, "acc_depth_10": 1.0,
    }  # fmt: skip
    out = multihop_answer(MH["chain_keys"], MH["chain_values"], MH["chain_dict_names"])
    got = score_multihop(MH, out)
    assert got == {
        "acc": 1.0, "chain_acc": 1.0, "hop_acc_1": 1.0, "hop_acc_2": 1.0, "hop_acc_3": 1.0,
        "acc_2048": 1.0, "acc_depth_50": 1.0,
    }  # fmt: skip


def test_some_queries_right():
    out = (
        "The value of key 1234 is 42 and it is in Dictionary [3].\n"
        "The value of key 567 is 7770 and it is in Dictionary [17].\n"  # wrong value
        "The value of key 8901 is 305 and it is in Dictionary [8]."  # wrong dictionary
    )
    got = score_multiquery(MQ, out, ["acc_4096", "acc_depth_10", "acc_8192"])
    assert got["acc"] == 0.0
    assert got["query_acc"] == pytest.approx(1 / 3)
    assert got["value_acc"] == pytest.approx(2 / 3)
    assert got["dict_acc"] == pytest.approx(2 / 3)
    assert (got["query_acc_1"], got["query_acc_2"], got["query_acc_3"]) == (1.0, 0.0, 0.0)
    assert got["acc_4096"] == 0.0 and got["acc_8192"] == MISSING


def test_queries_answered_out_of_order_or_loosely():
    out = (
        "Key 8901: value 305, Dictionary [9]. Key 1234 -> 42 (Dictionary [3]).\n"
        "And key 567 is 7777 in Dictionary 17"
    )
    got = score_multiquery(MQ, out)
    assert got["acc"] == 1.0
    # no key named: the i-th line answers the i-th key
    got = score_multiquery(MQ, "42, Dictionary [3]\n7777 in Dictionary [17]")
    assert (got["query_acc_1"], got["query_acc_2"], got["query_acc_3"]) == (1.0, 1.0, 0.0)
    assert score_multiquery(MQ, "")["query_acc"] == 0.0


def test_a_wrong_hop():
    out = (
        "Key 1234 is in Dictionary [3] and its value is 5678.\n"
        "Key 5678 is in Dictionary [12] and its value is 911.\n"  # wrong value: chain breaks
        "Key 911 is in Dictionary [40] and its value is 4321.\n"
        "The value at the end of the chain is 4321."
    )
    got = score_multihop(MH, out)
    assert (got["hop_acc_1"], got["hop_acc_2"], got["hop_acc_3"]) == (1.0, 0.0, 0.0)
    assert got["chain_acc"] == 0.0
    assert got["acc"] == 1.0  # the final value happens to be right
    wrong_dict = out.replace("Dictionary [3]", "Dictionary [4]")
    assert score_multihop(MH, wrong_dict)["hop_acc_1"] == 0.0


def test_multihop_final_value_without_the_end_line():
    lines = multihop_answer(MH["chain_keys"], MH["chain_values"], [3, 12, 41]).split("\n")
    out = "\n".join(lines[:-1])
    got = score_multihop(MH, out)
    assert got["acc"] == 1.0  # read from the last key's line
    assert got["hop_acc_3"] == 0.0 and got["chain_acc"] == 0.0
    assert score_multihop(MH, "The value at the end of the chain is 4320.")["acc"] == 0.0
    assert score_multihop(MH, "no idea")["acc"] == 0.0


def test_a_line_about_another_key_is_not_read_for_a_missing_key():
    got = read_key_answers("Key 99 is in Dictionary [12] and its value is 910.", [5678])
    assert got[0].value is None and got[0].dict_name is None


def test_step_metric_names():
    assert multiquery_steps(MQ) == ("query_acc_1", "query_acc_2", "query_acc_3")
    assert multihop_steps(MH) == ("hop_acc_1", "hop_acc_2", "hop_acc_3")
