"""Training rows with our own labels: loss on the assistant answer only.

A row is ``{"input_ids", "attention_mask", "labels"}`` for the conversation (user turn = the
prompt, assistant turn = the answer) rendered with the training tokenizer's chat template.
``labels`` is -100 everywhere except on

* ``answer``: the answer's tokens and the end-of-turn marker that closes it (what the model must
  generate and where it must stop), or
* ``answer_slots``: only the tokens of the gold value and the dictionary name (an ablation: the
  model is not trained on the template's fixed words, nor on stopping).

Tokens are selected by character spans of the rendered text (the tokenizer's offset mapping),
so the result does not depend on how a template spaces the turns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

IGNORE_INDEX = -100
TrainOn = Literal["answer", "answer_slots"]


@dataclass(frozen=True)
class Row:
    """One tokenized training example and where its prompt ends."""

    input_ids: list[int]
    attention_mask: list[int]
    labels: list[int]
    prompt_tokens: int

    def as_dict(self) -> dict[str, list[int]]:
        """The three columns Axolotl trains on."""
        return {
            "input_ids": self.input_ids,
            "attention_mask": self.attention_mask,
            "labels": self.labels,
        }


def render(tokenizer: Any, prompt: str, answer: str | None) -> str:
    """The chat-template text of a user turn, plus the assistant turn when ``answer`` is given
    (otherwise the generation prompt)."""
    messages = [{"role": "user", "content": prompt}]
    if answer is None:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    messages.append({"role": "assistant", "content": answer})
    return tokenizer.apply_chat_template(messages, tokenize=False)


def end_of_turn_marker(tokenizer: Any, tail: str, extra: Iterable[str] = ()) -> str:
    """The special token that follows the answer in the rendered text (longest match)."""
    candidates = set(extra) | set(getattr(tokenizer, "all_special_tokens", []) or [])
    if hasattr(tokenizer, "get_added_vocab"):
        candidates |= set(tokenizer.get_added_vocab())
    found = [c for c in candidates if c and tail.startswith(c)]
    if not found:
        raise ValueError(
            f"the chat template puts {tail[:30]!r} after the assistant answer, not an "
            "end-of-turn token; set `eot_tokens:` in the config to the template's marker"
        )
    return max(found, key=len)


def slot_spans(answer: str, meta: dict[str, Any]) -> list[tuple[int, int]]:
    """Character spans of the gold value and the dictionary name inside ``answer``; for an
    answer of several lines (multi-query, multi-hop: :func:`line_slots`), those of every line."""
    if "\n" in answer:
        return line_slots(answer, meta)
    return _line_spans(answer, meta["gold_value"], meta["gold_dict_name"])


def line_slots(answer: str, meta: dict[str, Any]) -> list[tuple[int, int]]:
    """The slots of an answer of one line per asked key or lookup: on line ``i`` the value
    (``query_values[i]`` or ``chain_values[i]``) and the name of dictionary ``i`` (the gold
    one, then ``linked_dict_names``); a last line without a dictionary (the end of a chain)
    has the gold value as its slot."""
    names = [meta["gold_dict_name"], *meta.get("linked_dict_names", [])]
    values = meta.get("query_values") or meta.get("chain_values") or [meta["gold_value"]]
    spans: list[tuple[int, int]] = []
    at = 0
    for i, line in enumerate(answer.split("\n")):
        if i < len(names):
            spans += [(at + a, at + b) for a, b in _line_spans(line, values[i], names[i])]
        else:
            spans.append(_value_span(line, meta["gold_value"], len(line), at))
        at += len(line) + 1
    return spans


def _value_span(text: str, value: Any, before: int, offset: int = 0) -> tuple[int, int]:
    """The span of the last ``value`` (as a whole number) in ``text`` that ends by ``before``."""
    value_pat = re.compile(rf"(?<![\d-]){re.escape(str(value))}(?!\d)")
    found = [m for m in value_pat.finditer(text) if m.end() <= before]
    if not found:
        raise ValueError(f"answer {text!r} does not contain the value {value}")
    return (offset + found[-1].start(), offset + found[-1].end())


def _line_spans(answer: str, value: Any, dict_name: Any) -> list[tuple[int, int]]:
    name = f"[{dict_name}]"
    name_at = answer.rfind(name)
    if name_at < 0:
        raise ValueError(f"answer {answer!r} does not contain the dictionary name {name}")
    before = name_at
    if "value is" in answer[name_at:]:  # a multi-hop line names the dictionary first
        before = len(answer)
    value = _value_span(answer, value, before)
    return [value, (name_at + 1, name_at + len(name) - 1)]


def build_row(
    tokenizer: Any,
    prompt: str,
    answer: str,
    meta: dict[str, Any] | None = None,
    train_on: TrainOn = "answer",
    eot_tokens: Sequence[str] = (),
) -> Row:
    """Tokenize one conversation and label the trainable tokens (see module docstring)."""
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError(
            "the needles dataset type needs a fast tokenizer (offset mapping); "
            "remove `tokenizer_use_fast: false` from the config"
        )
    text = render(tokenizer, prompt, answer)
    head = render(tokenizer, prompt, None)
    start = text.find(answer, len(head)) if text.startswith(head) else -1
    if start < 0:
        start = text.rfind(answer)
    if start < 0:
        raise ValueError("the chat template changes the assistant answer text; cannot label it")
    end = start + len(answer)
    if train_on == "answer":
        eot = end_of_turn_marker(tokenizer, text[end:], eot_tokens)
        spans = [(start, end + len(eot))]
    elif train_on == "answer_slots":
        spans = [(start + a, start + b) for a, b in slot_spans(answer, meta or {})]
    else:
        raise ValueError(f"needles_train_on: unknown value {train_on!r}; use answer|answer_slots")
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(enc["input_ids"])
    labels = [IGNORE_INDEX] * len(ids)
    prompt_tokens = len(ids)
    for i, (a, b) in enumerate(enc["offset_mapping"]):
        if b > start and prompt_tokens == len(ids):
            prompt_tokens = i
        if any(a < hi and b > lo for lo, hi in spans):
            labels[i] = ids[i]
    return Row(ids, [1] * len(ids), labels, prompt_tokens)


def trainable_text(tokenizer: Any, row: dict[str, list[int]] | Row) -> str:
    """Decoded trainable tokens of a row (what the loss sees), special tokens kept."""
    data = row.as_dict() if isinstance(row, Row) else row
    ids = [t for t, lab in zip(data["input_ids"], data["labels"], strict=True) if lab != -100]
    return tokenizer.decode(ids, skip_special_tokens=False)
