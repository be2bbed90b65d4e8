"""docs/formats.md sections 9-10 give the exact strings of the multi-query and multi-hop
prompts and answers (issue 20)."""

from __future__ import annotations

from pathlib import Path

from artificial_needles.generators import templates

FORMATS = (Path(__file__).parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")


def test_multi_templates_are_documented_exactly() -> None:
    for text in (
        templates.MULTIQUERY_QUESTION.format(keys="<keys>"),
        templates.MULTIQUERY_SLOT.format(key="<key>"),
        templates.MULTIQUERY_LINE.format(key="<key>", value="<value>", name="<name>"),
        templates.MULTIHOP_QUESTION.format(key="<key>", hops="<hops>"),
        templates.MULTIHOP_FIRST_SLOT.format(key="<key>"),
        templates.MULTIHOP_SLOT,
        templates.MULTIHOP_END_SLOT,
        templates.MULTIHOP_LINE.format(key="<key>", name="<name>", value="<value>"),
        templates.MULTIHOP_END.format(value="<value>"),
    ):
        assert f"`{text}`" in FORMATS, text
    for tmpl in (templates.MULTIQUERY_TEMPLATE, templates.MULTIHOP_TEMPLATE):
        head = tmpl.format(lines="").removesuffix("\n")
        assert f"`{head}`" in FORMATS, head


def test_template_functions_join_the_documented_lines() -> None:
    q = templates.multiquery_question([11, 22], template=True)
    assert q == (
        templates.MULTIQUERY_QUESTION.format(keys="11, 22")
        + templates.MULTIQUERY_TEMPLATE.format(lines="")
        + templates.MULTIQUERY_SLOT.format(key=11)
        + "\n"
        + templates.MULTIQUERY_SLOT.format(key=22)
    )
    assert templates.multiquery_question([11, 22], template=False) == (
        templates.MULTIQUERY_QUESTION.format(keys="11, 22")
    )
    h = templates.multihop_question(7, 3, template=True).split("\n")
    assert h[1:] == [
        templates.MULTIHOP_FIRST_SLOT.format(key=7),
        templates.MULTIHOP_SLOT,
        templates.MULTIHOP_SLOT,
        templates.MULTIHOP_END_SLOT,
    ]
    a = templates.multihop_answer([7, 8], [8, 9], [2, 5]).split("\n")
    assert a == [
        "Key 7 is in Dictionary [2] and its value is 8.",
        "Key 8 is in Dictionary [5] and its value is 9.",
        "The value at the end of the chain is 9.",
    ]
    assert templates.multiquery_answer([7, 8], [1, 2], [3, 4]) == (
        "The value of key 7 is 1 and it is in Dictionary [3].\n"
        "The value of key 8 is 2 and it is in Dictionary [4]."
    )


def _example(start: str) -> tuple[str, str]:
    blocks = FORMATS.split("```\n")
    i = next(i for i, b in enumerate(blocks) if b.startswith(templates.INTRO) and start in b)
    return blocks[i][:-1], blocks[i + 2][:-1]


def test_examples_are_the_generators_output() -> None:
    from artificial_needles.generators.build import make_generator

    for task, seed, start in (
        ("multi-query-kv", 0, "{9028: 998"),
        ("multi-hop-kv", 1, "{712: 2507"),
    ):
        prompt, answer = _example(start)
        sample = make_generator(task, overrides={"num_dicts": 3, "seed": seed}).sample(0)
        assert (sample.prompt, sample.answer) == (prompt, answer)
