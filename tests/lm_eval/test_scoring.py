"""Scorers (docs/formats.md, sections 4-6): best_subspan_em, flenqa_answer, KV answer parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from artificial_needles.eval.scoring import (
    MISSING,
    best_subspan_em,
    bucket_mean,
    bucket_metrics,
    flenqa_answer,
    flenqa_label,
    normalize_answer,
    parse_kv_answer,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  a  cat,  an apple;   the end. ", "cat apple end"),
        ("Theatre anthem", "theatre anthem"),  # articles only as whole words
        ("U.S.A.", "usa"),
        ("São Paulo", "são paulo"),  # unicode letters kept, lowercased
        ("ÉCOLE «Normale»", "école «normale»"),  # non-ASCII punctuation is not deleted
        ("tab\tand\nnewline", "tab and newline"),
        ("", ""),
    ],
)
def test_normalize_answer(text, expected):
    assert normalize_answer(text) == expected


@pytest.mark.parametrize(
    ("prediction", "answers", "score"),
    [
        ("Paris", ["Paris"], 1.0),
        ("The answer is paris, France.", ["Paris"], 1.0),  # substring after normalization
        ("It is the U.S. Army", ["US Army"], 1.0),  # punctuation deleted
        ("the Beatles", ["Beatles"], 1.0),  # article dropped
        ("A Tale of Two Cities", ["tale of two cities"], 1.0),
        ("London\nParis", ["Paris"], 0.0),  # only the first line counts
        ("\nParis", ["Paris"], 0.0),  # leading newline: the first line is empty
        ("  Paris  \nmore", ["Paris"], 1.0),
        ("Lyon", ["Paris", "Lyon"], 1.0),  # any gold answer
        ("Par", ["Paris"], 0.0),
        ("", ["Paris"], 0.0),  # empty output
        ("Zürich", ["zürich"], 1.0),  # unicode lowercase
        ("Zurich", ["Zürich"], 0.0),  # no accent folding
        ("1,000 people", ["1000"], 1.0),
    ],
)
def test_best_subspan_em(prediction, answers, score):
    assert best_subspan_em(prediction, answers) == score


@given(st.text(), st.lists(st.text(min_size=1), min_size=1, max_size=3))
def test_best_subspan_em_is_binary_and_contains_itself(prediction, answers):
    assert best_subspan_em(prediction, answers) in (0.0, 1.0)
    first = prediction.split("\n", 1)[0]
    assert best_subspan_em(prediction, [first]) == 1.0


@pytest.mark.parametrize(
    ("output", "answer"),
    [
        ("True", "true"),
        ("false", "false"),
        ("FALSE.", "false"),
        ("The statement is true.", "true"),
        ("It is not true.", "false"),  # "not true" -> "false"
        ("Not true", "false"),
        ("not   true", "false"),  # whitespace collapsed first
        ("untrue", "true"),  # substring rule, as in the reference
        ("True at first, but actually False", "false"),  # the last one wins
        ("False? No: True", "true"),
        ("\nTrue", "true"),  # leading newline does not matter here
        ("I cannot answer", None),
        ("", None),  # empty output
        ("Vrai", None),
        ("It’s TRUE — unicode punctuation around", "true"),
        ("the answer is a false one", "false"),
        ("truefalse", "false"),
    ],
)
def test_flenqa_answer(output, answer):
    assert flenqa_answer(output) == answer


@pytest.mark.parametrize(
    ("label", "expected"), [("True", "true"), ("False", "false"), (True, "true"), (False, "false")]
)
def test_flenqa_label(label, expected):
    assert flenqa_label(label) == expected


@pytest.mark.parametrize(
    ("output", "exclude", "value", "name"),
    [
        ("The value of key 2931 is 8364 and it is in Dictionary [85].", [2931], 8364, 85),
        ("the value of key 2931 is: 8364, in dictionary 85", [2931], 8364, 85),
        ("Dictionary [7] holds key 2931 with 8364.", [2931], 8364, 7),  # fallback: first other int
        ("2931 -> 8364", [2931], 8364, None),
        (
            "The key that contains the integers 616, 141, 623 is (141, 623, 616). Its value is "
            "5617 and it is in Dictionary [6].",
            [616, 141, 623],
            5617,
            6,
        ),
        ("I don't know.", [2931], None, None),
        ("", [1], None, None),
    ],
)
def test_parse_kv_answer(output, exclude, value, name):
    got = parse_kv_answer(output, exclude)
    assert (got.value, got.dict_name) == (value, name)


def test_bucket_metrics_and_mean():
    m = bucket_metrics(1.0, ["a"], ["a", "b"])
    assert m == {"a": 1.0, "b": MISSING}
    assert bucket_mean([1.0, MISSING, 0.0, MISSING]) == 0.5
    assert bucket_mean([MISSING, MISSING]) == MISSING
    assert bucket_mean([]) == MISSING


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 10**4))
def test_parse_kv_answer_reads_the_template_answer(key, value, name):
    text = f"The value of key {key} is {value} and it is in Dictionary [{name}]."
    got = parse_kv_answer(text, [key])
    assert (got.value, got.dict_name) == (value, name)


@given(st.text())
def test_flenqa_last_word_decides(text):
    # ". " keeps a trailing "not" in ``text`` from turning the verdict into "not true"
    assert flenqa_answer(text + ". True") == "true"
    assert flenqa_answer(text + ". false") == "false"
    assert flenqa_answer(text + ". not true") == "false"
    assert flenqa_answer("not" + ". True") == "true"
