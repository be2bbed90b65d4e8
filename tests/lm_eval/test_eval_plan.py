"""``artificial-needles eval --plan``: the bill before the run, no model loaded."""

from __future__ import annotations

import json

import pytest
from eval_data import write_mdqa

from artificial_needles.eval import mdqa

N = 3
POSITIONS = (1, 5, 10, 15, 20)


@pytest.fixture()
def no_model(monkeypatch):
    """Fails the test if lm-eval's hf model is ever constructed."""
    from lm_eval.models.huggingface import HFLM

    def constructed(*args, **kwargs):
        raise AssertionError("the model was constructed")

    monkeypatch.setattr(HFLM, "__init__", constructed)


def test_plan_counts_every_request_and_prompt_token(tmp_path, tiny_model_dir, no_model, capsys):
    from transformers import AutoTokenizer

    from artificial_needles.cli.main import main

    qa = write_mdqa(tmp_path / "qa_data" / "nq-open-20_total_documents.jsonl", N)
    argv = [
        "eval",
        "--model",
        "hf",
        "--model_args",
        f"pretrained={tiny_model_dir}",
        "--tasks",
        "mdqa_20docs",
        "--metadata",
        json.dumps({"mdqa_data": str(qa)}),
        "--plan",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out

    # independently: each question at each gold position, through the chat template, encoded
    # with the tokenizer's defaults as lm-eval's hf model encodes a generation prompt (the
    # tiny tokenizer adds its BOS, which the ChatML text does not start with)
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)

    def sent(prompt: str) -> int:
        chat = [{"role": "user", "content": prompt}]
        text = tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        return len(tok(text)["input_ids"])

    lengths = {p: [sent(d["prompt"]) for d in mdqa.build_docs(qa, 20, p)] for p in POSITIONS}
    total = sum(sum(v) for v in lengths.values())
    longest = max(max(v) for v in lengths.values())
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    for p in POSITIONS:
        requests, tokens, top, gen, budget = rows[f"mdqa_20docs_pos{p}"]
        assert (requests, gen, budget) == (str(N), "100", str(100 * N))
        assert tokens == f"{sum(lengths[p]):,}" and top == f"{max(lengths[p]):,}"
    assert rows["total"] == [str(5 * N), f"{total:,}", f"{longest:,}", f"{500 * N:,}"]
    assert "chat template applied" in out


def test_plan_api_without_chat_template_and_with_limit(tmp_path, tiny_model_dir, no_model):
    from transformers import AutoTokenizer

    from artificial_needles.eval.plan import make_plan

    qa = write_mdqa(tmp_path / "qa.jsonl", N)
    plan = make_plan(
        ["mdqa_20docs_pos5", "mdqa_closedbook"],
        model_args=f"pretrained={tiny_model_dir}",
        metadata={"mdqa_data": str(qa)},
        apply_chat_template=False,
        limit=2,
        gen_kwargs="max_gen_toks=7",
    )
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    docs = mdqa.build_docs(qa, 20, 5)[:2]
    assert [t.task for t in plan.tasks] == ["mdqa_20docs_pos5", "mdqa_closedbook"]
    first = plan.tasks[0]
    assert (first.task, first.requests, first.gen_tokens) == ("mdqa_20docs_pos5", 2, 7)
    assert first.prompt_tokens == sum(len(tok(d["prompt"])["input_ids"]) for d in docs)
    data = json.loads(plan.to_json())
    assert data["total"]["requests"] == 4 and data["total"]["gen_budget"] == 28
    assert data["apply_chat_template"] is False


def test_plan_of_a_multiple_choice_task_counts_one_request_per_choice(
    tmp_path, tiny_model_dir, no_model
):
    from transformers import AutoTokenizer

    from artificial_needles.eval.plan import make_plan

    rows = [
        {"question": "Which is red?", "choices": ["apple", "sky", "grass"], "label": 0},
        {"question": "Which is blue?", "choices": ["apple", "sky", "grass"], "label": 1},
    ]
    data = tmp_path / "mc.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "tiny_mc.yaml").write_text(
        "task: tiny_mc\n"
        "dataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {data}\n"
        "test_split: test\n"
        "output_type: multiple_choice\n"
        "doc_to_text: '{{question}}'\n"
        "doc_to_choice: '{{choices}}'\n"
        "doc_to_target: '{{label}}'\n"
        "metric_list:\n  - metric: acc\n"
    )
    plan = make_plan(
        ["tiny_mc"],
        model_args=f"pretrained={tiny_model_dir}",
        include_path=str(tasks),
        apply_chat_template=False,
    )
    (task,) = plan.tasks
    assert (task.output_type, task.requests, task.gen_tokens, task.gen_budget) == (
        "multiple_choice",
        6,
        0,
        0,
    )
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    # lm-eval's requests: (context, " choice") pairs, each part encoded on its own here
    want = sum(
        len(tok(r["question"])["input_ids"]) + len(tok(" " + c)["input_ids"])
        for r in rows
        for c in r["choices"]
    )
    assert task.prompt_tokens == want
