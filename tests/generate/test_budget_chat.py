"""Budgets size the whole conversation as the model sees it.

Every format x chat template on/off x tokenizer kind, with margin 0: each written sample is
recounted here independently, with the tokenizer's own machinery (``apply_chat_template`` of
``transformers``, ``encode_chat_completion`` of ``mistral-common``), and must equal its
``num_tokens`` and fit ``max_tokens``. The rule checked:

* with the chat template, the conversation as written minus the assistant answer (the system
  turn included) is rendered by the chat template with the generation prompt;
* without it, the user prompt alone as a plain completion (BOS + prompt): no chat template
  renders a system turn there.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from artificial_needles.cli.main import main

MAX_TOKENS = 700
NUM_SAMPLES = 12
TASKS = ("simple-kv", "multi-subkey-kv")


@cache
def _mistral_reference():
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    return MistralTokenizer.v1()


def _recount_embedded(messages: list[dict], chat: bool) -> int:
    from mistral_common.protocol.instruct.messages import SystemMessage, UserMessage
    from mistral_common.protocol.instruct.request import ChatCompletionRequest

    ref = _mistral_reference()
    if not chat:
        prompt = messages[-2]["content"]
        return len(ref.instruct_tokenizer.tokenizer.encode(prompt, bos=True, eos=False))
    kinds = {"system": SystemMessage, "user": UserMessage}
    req = ChatCompletionRequest(
        messages=[kinds[m["role"]](content=m["content"]) for m in messages[:-1]]
    )
    return len(ref.encode_chat_completion(req).tokens)


def _recount_hf(tokenizer, messages: list[dict], chat: bool) -> int:
    if not chat:
        return len(tokenizer(messages[-2]["content"])["input_ids"])
    out = tokenizer.apply_chat_template(messages[:-1], tokenize=True, add_generation_prompt=True)
    if hasattr(out, "keys"):
        out = out["input_ids"]
    return len(out)


@pytest.fixture(scope="module")
def hf_dirs(tiny_tokenizer_dir, tmp_path_factory) -> dict[str, Path]:
    """The tiny BPE tokenizer with two chat templates that render a system turn."""
    from transformers import AutoTokenizer

    from artificial_needles.testing import LLAMA3

    llama3 = tmp_path_factory.mktemp("tiny-llama3")
    tok = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    tok.chat_template = LLAMA3
    tok.save_pretrained(llama3)
    return {"hf-chatml": Path(tiny_tokenizer_dir), "hf-llama3": llama3}


def _generate(tmp_path: Path, task: str, fmt: str, chat: bool, tokenizer: str | None) -> Path:
    out = tmp_path / f"{task}-{fmt}-{chat}.jsonl"
    args = ["generate", task, "--format", fmt, "--margin", "0", "--max-tokens", str(MAX_TOKENS)]
    args += ["--num-samples", str(NUM_SAMPLES), "--quiet", "-o", str(out)]
    if chat:
        args.append("--chat-template")
    if tokenizer is not None:
        args += ["--tokenizer", tokenizer]
    assert main(args) == 0
    return out


@pytest.mark.parametrize("kind", ["embedded", "hf-chatml", "hf-llama3"])
@pytest.mark.parametrize("chat", [False, True], ids=["plain", "chat"])
@pytest.mark.parametrize("fmt", ["mistral", "openai"])
def test_no_sample_over_budget_recounted_independently(tmp_path, hf_dirs, kind, chat, fmt):
    tokenizer = None
    if kind != "embedded":
        from transformers import AutoTokenizer

        hf = AutoTokenizer.from_pretrained(hf_dirs[kind])
        tokenizer = str(hf_dirs[kind])
    for task in TASKS:
        out = _generate(tmp_path, task, fmt, chat, tokenizer)
        records = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(records) == NUM_SAMPLES
        for rec in records:
            msgs, meta = rec["messages"], rec["meta"]
            assert (msgs[0]["role"] == "system") == (fmt == "openai")
            assert meta["chat_template"] is chat and meta["format"] == fmt
            if kind == "embedded":
                n = _recount_embedded(msgs, chat)
            else:
                n = _recount_hf(hf, msgs, chat)
            assert n == meta["num_tokens"], (task, meta["index"], n, meta["num_tokens"])
            assert n <= MAX_TOKENS, (task, meta["index"], n)
        assert main(["validate", str(out), "--recount"]) == 0


def test_recount_flags_a_count_without_the_system_turn(tmp_path, capsys):
    """`validate --recount` counts the system turn too: a user-only count is a violation."""
    out = _generate(tmp_path, "simple-kv", "openai", True, None)
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    for rec in recs:
        user_only = [m for m in rec["messages"] if m["role"] != "system"]
        rec["meta"]["num_tokens"] = _recount_embedded(user_only, chat=True)
    out.write_text("".join(json.dumps(r) + "\n" for r in recs))
    capsys.readouterr()
    assert main(["validate", str(out), "--recount"]) == 1
    printed = capsys.readouterr().out
    assert printed.count("num_tokens") == NUM_SAMPLES, printed


def test_chat_template_without_system_turn_is_a_clear_error(tmp_path, tiny_tokenizer_dir, capsys):
    from transformers import AutoTokenizer

    strict = tmp_path / "strict"
    tok = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    tok.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}"
        "{{ raise_exception('System role not supported') }}{% endif %}"
        "{{ '[INST] ' + m['content'] + ' [/INST]' }}{% endfor %}"
    )
    tok.save_pretrained(strict)
    out = tmp_path / "x.jsonl"
    args = ["generate", "simple-kv", "--tokenizer", str(strict), "--chat-template", "-o", str(out)]
    assert main([*args, "--format", "openai", "--num-samples", "2"]) == 2
    err = capsys.readouterr().err
    assert "system" in err and "--format mistral" in err, err
    assert len(err.strip().splitlines()) == 1 and not out.exists()
    # the user-only format still works with that template
    assert main([*args, "--num-samples", "2", "--max-tokens", "500", "--quiet"]) == 0


def test_python_api_sizes_the_format_it_writes():
    """`make_generator(..., fmt=)` sizes that format's conversation; `to_dataset` refuses a
    format whose system turn the budget did not count."""
    from artificial_needles.errors import NeedlesError
    from artificial_needles.generators.build import make_generator, to_dataset

    small = {"max_tokens": 500, "num_samples": 2, "margin": 0}
    gen = make_generator("simple-kv", overrides=small, chat_template=True, fmt="openai")
    rows = to_dataset(gen, "openai")
    assert rows[0]["messages"][0]["role"] == "system"
    assert rows[0]["meta"]["num_tokens"] == _recount_embedded(rows[0]["messages"], chat=True)
    with pytest.raises(NeedlesError, match="fmt='mistral'"):
        to_dataset(gen, "mistral")
    plain = make_generator("simple-kv", overrides=small, chat_template=True)
    with pytest.raises(NeedlesError, match="fmt='openai'"):
        to_dataset(plain, "openai")
    # without the chat template there is no system turn to count: any format goes
    assert len(to_dataset(make_generator("simple-kv", overrides=small), "openai")) == 2
