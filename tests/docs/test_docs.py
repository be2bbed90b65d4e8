"""The package's own docs (docs/*.md): links resolve, nothing cites files a user lacks, and the
exact strings of docs/formats.md are the ones the code produces."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from artificial_needles.eval import flenqa, mdqa
from artificial_needles.generators import templates

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FORMATS = (DOCS / "formats.md").read_text(encoding="utf-8")
PAGES = ("index", "formats", "data", "metadata", "scale", "report")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(path: Path) -> set[str]:
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#+ (.*)", line)
        if m:
            text = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            out.add(text.replace(" ", "-"))
    return out


def _blocks(text: str) -> list[str]:
    """Contents of the fenced code blocks of ``text`` (each ends with a newline)."""
    return re.findall(r"^```[a-z]*\n(.*?)^```$", text, flags=re.S | re.M)


def test_every_page_exists() -> None:
    missing = [p for p in PAGES if not (DOCS / f"{p}.md").is_file()]
    assert not missing


@pytest.mark.parametrize("page", [f"docs/{p}.md" for p in PAGES] + ["README.md", "CHANGELOG.md"])
def test_relative_links_resolve(page: str) -> None:
    src = ROOT / page
    bad = []
    for link in _LINK.findall(src.read_text(encoding="utf-8")):
        if link.startswith(("http://", "https://")):
            continue
        path, _, anchor = link.partition("#")
        target = (src.parent / path).resolve() if path else src
        if not target.exists():
            bad.append(f"{link}: no such file")
        elif anchor and anchor not in _anchors(target):
            bad.append(f"{link}: no heading #{anchor}")
    assert not bad, f"{page}: {bad}"


def test_no_reference_to_files_outside_the_package() -> None:
    """Code, configs and READMEs cite existing docs/*.md pages, never FORMATS.md or
    ../shared/docs (files a user of the package does not have)."""
    suffixes = (".py", ".md", ".yml", ".yaml", ".toml", ".sh", "_yaml")
    hits = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in {"build", "dist"}]
        for name in names:
            path = Path(folder, name)
            if not name.endswith(suffixes) or path == Path(__file__).resolve():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if "FORMATS.md" in text or "shared/docs" in text:
                hits.append(str(path.relative_to(ROOT)))
            for page in re.findall(r"\bdocs/([a-z_]+\.md)", text):
                if not (DOCS / page).is_file():
                    hits.append(f"{path.relative_to(ROOT)} cites a missing docs/{page}")
    assert not hits, hits


@pytest.mark.parametrize("dataset", sorted(flenqa.SUBSETS.values()))
@pytest.mark.parametrize("cot", [False, True])
def test_flenqa_prompts_are_documented_exactly(dataset: str, cot: bool) -> None:
    record = {"dataset": dataset, "assertion/question": "<Q>", "mixin": "<M>", "rule": "<R>"}
    assert flenqa.build_prompt(record, cot) in _blocks(FORMATS)


def test_mdqa_prompts_are_documented() -> None:
    docs = [mdqa.Document("<title>", "<text>"), mdqa.Document("<title>", "<text>", True)]
    prompt = mdqa.build_prompt("<question>", docs)
    head, tail = prompt.split("Document [2]", 1)
    block = next(b for b in _blocks(FORMATS) if b.startswith(mdqa.INSTRUCTION))
    assert block.startswith(head)
    assert block.endswith("\n\nQuestion: <question>\nAnswer:\n")  # the fence adds the newline
    closed = mdqa.build_closedbook_prompt("<question>").split("\n")
    assert "`" + "` + `\\n` + `".join(closed) + "`" in FORMATS
    assert tail.startswith("(Title: <title>) <text>")


def _kv_example(start: str) -> tuple[str, str]:
    """The example prompt of a KV section and the answer block after it."""
    blocks = _blocks(FORMATS)
    i = next(i for i, b in enumerate(blocks) if b.startswith(templates.INTRO) and start in b)
    return blocks[i][:-1], blocks[i + 1][:-1]


def test_simple_kv_example_matches_the_templates() -> None:
    prompt, answer = _kv_example("{540: 2943")
    key, value, name = 601, 5481, 2
    lines = prompt.split("\n\n")[1].split("\n")
    question = templates.SIMPLE_QUESTION.format(key=key) + templates.SIMPLE_TEMPLATE.format(key=key)
    assert prompt == templates.assemble_prompt(lines, question)
    assert answer == templates.SIMPLE_ANSWER.format(key=key, value=value, name=name)
    assert f"Dictionary [{name}] " in lines[name - 1] and f"{key}: {value}" in lines[name - 1]


def test_multi_subkey_example_matches_the_templates() -> None:
    prompt, answer = _kv_example("{(672, 611, 325)")
    subkeys, key, value, name = "316, 120, 787", "(316, 120, 787)", 2949, 3
    lines = prompt.split("\n\n")[1].split("\n")
    question = templates.MULTI_QUESTION.format(subkeys=subkeys) + templates.MULTI_TEMPLATE.format(
        subkeys=subkeys
    )
    assert prompt == templates.assemble_prompt(lines, question)
    assert answer == templates.MULTI_ANSWER.format(subkeys=subkeys, key=key, value=value, name=name)
    assert f"{key}: {value}" in lines[name - 1]


def test_documented_template_strings_are_the_code_strings() -> None:
    for text in (
        templates.INTRO,
        templates.OPENAI_SYSTEM,
        templates.SIMPLE_QUESTION.format(key="<key>"),
        templates.SIMPLE_ANSWER.format(key="<key>", value="<value>", name="<name>"),
        templates.MULTI_QUESTION.format(subkeys="<subkeys>"),
        templates.MULTI_ANSWER.format(
            subkeys="<subkeys>", key="<key>", value="<value>", name="<name>"
        ),
        mdqa.INSTRUCTION,
    ):
        assert text in FORMATS, text
    for tmpl, field in ((templates.SIMPLE_TEMPLATE, "key"), (templates.MULTI_TEMPLATE, "subkeys")):
        first, second = tmpl.format(**{field: f"<{field}>"}).split("\n")
        assert f"`{first}` + `\\n` +\n  `{second}`" in FORMATS or (
            f"`{first}`" in FORMATS and f"`{second}`" in FORMATS
        )
