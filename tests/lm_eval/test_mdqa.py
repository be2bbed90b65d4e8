"""MDQA data files, gold-position moves and exact prompts (docs/formats.md, section 5)."""

from __future__ import annotations

import json

import pytest
from eval_data import mdqa_record, write_mdqa

from artificial_needles.errors import NeedlesError
from artificial_needles.eval import mdqa

EXPECTED_PROMPT = (
    "Write a high-quality answer for the given question using only the provided search results "
    "(some of which might be irrelevant).\n"
    "\n"
    "Document [1](Title: Asian Americans in science and technology) Prize in physics for "
    "discovery of the subatomic particle J/ψ.\n"
    "Document [2](Title: Nobel Prize in Physics) receive a diploma, a medal and a document "
    "confirming the prize amount.\n"
    "\n"
    "Question: who got the first nobel prize in physics\n"
    "Answer:"
)


def test_prompt_exact():
    docs = [
        mdqa.Document(
            "Asian Americans in science and technology",
            "Prize in physics for discovery of the subatomic particle J/ψ.",
        ),
        mdqa.Document(
            "Nobel Prize in Physics",
            "receive a diploma, a medal and a document confirming the prize amount.",
            True,
        ),
    ]
    assert mdqa.build_prompt("who got the first nobel prize in physics", docs) == EXPECTED_PROMPT


def test_closedbook_prompt_exact():
    assert mdqa.build_closedbook_prompt("who wrote it") == "Question: who wrote it\nAnswer:"


@pytest.mark.parametrize("position", [1, 5, 10, 15, 20])
def test_moving_gold_equals_reference_file(tmp_path, position):
    """Moving the gold doc of a gold_at_0 file gives exactly the gold_at_{p-1} file's prompt."""
    base = write_mdqa(tmp_path / "a" / "nq-open-20_total_documents_gold_at_0.jsonl.gz", 3)
    ref = write_mdqa(
        tmp_path / "b" / f"nq-open-20_total_documents_gold_at_{position - 1}.jsonl",
        3,
        gold_at=position - 1,
    )
    moved = mdqa.build_docs(base, 20, position)
    direct = mdqa.build_docs(ref, 20, position)
    assert [d["prompt"] for d in moved] == [d["prompt"] for d in direct]
    doc = moved[0]
    assert doc["gold_position"] == position and doc["num_documents"] == 20
    assert doc["answers"] == ["Paris 0", "the City of Paris 0"]
    assert f"Document [{position}](Title: Gold 0) The answer" in doc["prompt"]
    # distractors keep their order around the gold document
    titles = [line.split("Title: ")[1].split(")")[0] for line in doc["prompt"].split("\n")[2:22]]
    assert [t for t in titles if t.startswith("Distractor")] == [
        f"Distractor {k}" for k in range(19)
    ]


def test_folder_prefers_per_position_file(tmp_path):
    write_mdqa(tmp_path / "nq-open-20_total_documents_gold_at_0.jsonl.gz", 2)
    write_mdqa(tmp_path / "nq-open-20_total_documents_gold_at_9.jsonl.gz", 2, gold_at=9)
    write_mdqa(tmp_path / "nq-open-10_total_documents_gold_at_0.jsonl.gz", 2, num_documents=10)
    assert mdqa.find_file(tmp_path, 20, 10).name.endswith("gold_at_9.jsonl.gz")
    assert mdqa.find_file(tmp_path, 20, 5).name.endswith("20_total_documents_gold_at_0.jsonl.gz")
    assert mdqa.find_file(tmp_path, 10, 5).name.startswith("nq-open-10_")
    with pytest.raises(NeedlesError, match="no file for 30 documents"):
        mdqa.find_file(tmp_path, 30, 1)


def test_fewer_documents_from_a_larger_file(tmp_path):
    path = write_mdqa(tmp_path / "x.jsonl", 2)
    docs = mdqa.build_docs(path, 10, 10)
    assert docs[0]["prompt"].count("Document [") == 10
    assert "Document [10](Title: Gold 0)" in docs[0]["prompt"]
    assert "Distractor 9" not in docs[0]["prompt"]  # the first 9 distractors only


def test_too_few_documents(tmp_path):
    path = write_mdqa(tmp_path / "x.jsonl", 1, num_documents=10)
    with pytest.raises(NeedlesError, match=r"x.jsonl:1: has 10 documents, the task needs 20"):
        mdqa.build_docs(path, 20, 1)


def test_closedbook_docs(tmp_path):
    write_mdqa(tmp_path / "nq-open-20_total_documents_gold_at_4.jsonl.gz", 3, gold_at=4)
    docs = mdqa.build_closedbook_docs(tmp_path)
    assert [d["prompt"] for d in docs] == [
        f"Question: where is thing {i}\nAnswer:" for i in range(3)
    ]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("question"), "x.jsonl:2: missing field 'question'"),
        (lambda r: r.update(answers="Paris"), "x.jsonl:2: field 'answers' should be list"),
        (lambda r: r["ctxs"][3].update(isgold=True), "x.jsonl:2: 2 ctxs have isgold true"),
        (lambda r: r["ctxs"][0].update(isgold=False), "x.jsonl:2: 0 ctxs have isgold true"),
        (lambda r: r["ctxs"][1].pop("title"), r"x.jsonl:2: ctxs\[1\]: missing field 'title'"),
    ],
)
def test_bad_records_name_file_line_and_field(tmp_path, mutate, message):
    good, bad = mdqa_record(0), mdqa_record(1)
    mutate(bad)
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(NeedlesError, match=message):
        mdqa.read_records(path)


def test_bad_json_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps(mdqa_record(0)) + "\n{oops\n")
    with pytest.raises(NeedlesError, match="x.jsonl:2: not valid JSON"):
        mdqa.read_records(path)


def test_data_location(tmp_path, monkeypatch):
    monkeypatch.delenv(mdqa.ENV_VAR, raising=False)
    with pytest.raises(NeedlesError, match="ARTIFICIAL_NEEDLES_MDQA_DATA") as err:
        mdqa.data_location({})
    assert "lost-in-the-middle" in str(err.value) and '"mdqa_data"' in str(err.value)
    monkeypatch.setenv(mdqa.ENV_VAR, str(tmp_path))
    assert mdqa.data_location({}) == tmp_path
    other = tmp_path / "f.jsonl"
    other.write_text("")
    assert mdqa.data_location({"mdqa_data": str(other)}) == other  # metadata wins
    with pytest.raises(NeedlesError, match="does not exist"):
        mdqa.data_location({"mdqa_data": str(tmp_path / "missing")})


def test_gold_positions_of_the_task_names():
    """Every generated task YAML names a position that its document count allows."""
    from pathlib import Path

    import yaml

    folder = Path(__file__).parents[2] / "lm_eval_tasks" / "mdqa"
    for path in folder.glob("mdqa_*docs_pos*.yaml"):
        cfg = yaml.safe_load(path.read_text().replace("!function ", ""))
        kw = cfg["dataset_kwargs"]
        assert cfg["task"] == f"mdqa_{kw['num_documents']}docs_pos{kw['position']}"
        assert 1 <= kw["position"] <= kw["num_documents"]
