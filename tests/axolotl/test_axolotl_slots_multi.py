"""answer_slots on answers of several lines (multi-query, multi-hop): every value and every
dictionary name of every line is a slot, and the end of a chain's value too."""

from __future__ import annotations

from artificial_needles.axolotl.rows import slot_spans
from artificial_needles.generators.templates import (
    SIMPLE_ANSWER,
    multihop_answer,
    multiquery_answer,
)


def _slots(answer, meta):
    return [answer[a:b] for a, b in slot_spans(answer, meta)]


def test_multiquery_slots():
    answer = multiquery_answer([12, 40, 5], [7, 8, 12], [3, 9, 1])
    meta = {"gold_value": 7, "gold_dict_name": 3, "linked_dict_names": [9, 1]}
    assert _slots(answer, {**meta, "query_values": [7, 8, 12]}) == ["7", "3", "8", "9", "12", "1"]


def test_multihop_slots():
    answer = multihop_answer([12, 40, 77], [40, 77, 5], [3, 1, 8])
    meta = {"gold_value": 5, "gold_dict_name": 3, "linked_dict_names": [1, 8]}
    got = _slots(answer, {**meta, "chain_values": [40, 77, 5]})
    assert got == ["40", "3", "77", "1", "5", "8", "5"]
    one = multihop_answer([12], [5], [4])
    assert _slots(one, {"gold_value": 5, "gold_dict_name": 4, "chain_values": [5]}) == [
        "5", "4", "5",
    ]  # fmt: skip


def test_single_line_slots_unchanged():
    answer = SIMPLE_ANSWER.format(key=7, value=77, name=7)
    assert _slots(answer, {"gold_value": 77, "gold_dict_name": 7}) == ["77", "7"]
