"""Exact prompt and answer strings of both synthetic tasks (docs/formats.md, sections 1-2)."""

import re

import pytest

from artificial_needles.generators.build import make_generator
from artificial_needles.generators.records import to_record
from artificial_needles.generators.sample import Sample
from artificial_needles.generators.templates import (
    MULTI_ANSWER,
    MULTI_QUESTION,
    MULTI_TEMPLATE,
    SIMPLE_ANSWER,
    SIMPLE_QUESTION,
    SIMPLE_TEMPLATE,
    assemble_prompt,
    dictionary_line,
)

SIMPLE_EXPECTED = (
    "Do a task using the list of dictionaries below.\n"
    "\n"
    "Dictionary [1] {122: 765, 4548: 1475, 4818: 4782}\n"
    "Dictionary [2] {526: 290, 9205: 9318}\n"
    "Dictionary [3] {2931: 8364, 1777: 3005, 1729: 4684}\n"
    "\n"
    "Above is a list of dictionaries such that each key and value is an integer. "
    "Report the value of key 2931 and the dictionary it is in."
)
SIMPLE_TEMPLATE_EXPECTED = (
    SIMPLE_EXPECTED + " Answer in the following template:\n"
    "The value of key 2931 is <fill-in-value> and it is in Dictionary [<fill-in-dictionary-name>]."
)
MULTI_EXPECTED = (
    "Do a task using the list of dictionaries below.\n"
    "\n"
    "Dictionary [1] {(141, 986, 163): 2528, (726, 947, 349, 820): 4130}\n"
    "Dictionary [2] {(141, 623, 616): 5617}\n"
    "\n"
    "Above is a list of dictionaries such that each key is a tuple of integers and each value "
    "is an integer. Report the key that contains the integers 616, 141, 623 (not necessarily in "
    "order), its value, and the dictionary it is in."
)


def _simple_lines():
    dicts = [
        {122: 765, 4548: 1475, 4818: 4782},
        {526: 290, 9205: 9318},
        {2931: 8364, 1777: 3005, 1729: 4684},
    ]
    return [dictionary_line(i + 1, repr(d)) for i, d in enumerate(dicts)]


def test_simple_prompt_without_template():
    prompt = assemble_prompt(_simple_lines(), SIMPLE_QUESTION.format(key=2931))
    assert prompt == SIMPLE_EXPECTED


def test_simple_prompt_with_template():
    q = SIMPLE_QUESTION.format(key=2931) + SIMPLE_TEMPLATE.format(key=2931)
    assert assemble_prompt(_simple_lines(), q) == SIMPLE_TEMPLATE_EXPECTED


def test_simple_answer():
    assert (
        SIMPLE_ANSWER.format(key=2931, value=8364, name=85)
        == "The value of key 2931 is 8364 and it is in Dictionary [85]."
    )


def test_multi_prompt_and_answer():
    lines = [
        dictionary_line(1, repr({(141, 986, 163): 2528, (726, 947, 349, 820): 4130})),
        dictionary_line(2, repr({(141, 623, 616): 5617})),
    ]
    q = MULTI_QUESTION.format(subkeys="616, 141, 623")
    assert assemble_prompt(lines, q) == MULTI_EXPECTED
    assert assemble_prompt(lines, q + MULTI_TEMPLATE.format(subkeys="616, 141, 623")) == (
        MULTI_EXPECTED + " Answer in the following template:\n"
        "The key that contains the integers 616, 141, 623 is <fill-in-key>. Its value is "
        "<fill-in-value> and it is in Dictionary [<fill-in-dictionary-name>]."
    )
    answer = MULTI_ANSWER.format(subkeys="616, 141, 623", key=(141, 623, 616), value=5617, name=6)
    assert answer == (
        "The key that contains the integers 616, 141, 623 is (141, 623, 616). Its value is 5617 "
        "and it is in Dictionary [6]."
    )


LINE = r"Dictionary \[\d+\] \{\d+: \d+(, \d+: \d+)*\}"


@pytest.mark.parametrize("template", [True, False])
def test_generated_simple_prompt_shape(template):
    gen = make_generator(
        "simple-kv", overrides={"max_tokens": 1024, "answer_template": template, "num_samples": 3}
    )
    for s in gen.iter_samples():
        key, value, name = s.meta["gold_key"], s.meta["gold_value"], s.meta["gold_dict_name"]
        question = re.escape(SIMPLE_QUESTION.format(key=key))
        if template:
            question += re.escape(SIMPLE_TEMPLATE.format(key=key))
        pattern = (
            re.escape("Do a task using the list of dictionaries below.\n\n")
            + f"{LINE}(\\n{LINE})*"
            + "\n\n"
            + question
        )
        assert re.fullmatch(pattern, s.prompt), s.prompt[-300:]
        assert s.answer == f"The value of key {key} is {value} and it is in Dictionary [{name}]."
        assert f"Dictionary [{name}] {{" in s.prompt.split("\n")[s.meta["gold_position"] + 1]


@pytest.mark.parametrize("template", [True, False])
def test_generated_multi_prompt_shape(template):
    gen = make_generator(
        "multi-subkey-kv",
        overrides={"max_tokens": 1024, "answer_template": template, "num_samples": 3},
    )
    for s in gen.iter_samples():
        subkeys = ", ".join(map(str, s.meta["query_subkeys"]))
        assert s.prompt.endswith(
            MULTI_QUESTION.format(subkeys=subkeys)
            + (MULTI_TEMPLATE.format(subkeys=subkeys) if template else "")
        )
        key = tuple(s.meta["gold_key"])
        assert s.answer == (
            f"The key that contains the integers {subkeys} is {key!r}. Its value is "
            f"{s.meta['gold_value']} and it is in Dictionary [{s.meta['gold_dict_name']}]."
        )
        assert sorted(s.meta["query_subkeys"]) == sorted(key)


def test_chat_records():
    s = Sample("P", "A", {"task": "simple-kv"})
    assert to_record(s, "mistral")["messages"] == [
        {"role": "user", "content": "P"},
        {"role": "assistant", "content": "A"},
    ]
    assert to_record(s, "openai")["messages"] == [
        {
            "role": "system",
            "content": "Write a response that appropriately completes the request.",
        },
        {"role": "user", "content": "P"},
        {"role": "assistant", "content": "A"},
    ]
    assert to_record(s, "openai")["meta"] == {"task": "simple-kv", "format": "openai"}
