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
