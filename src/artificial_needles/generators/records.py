"""Chat records: one JSON object per sample, as the reference writes them.

Schema of a line::

    {"messages": [{"role": "user", "content": PROMPT},
                  {"role": "assistant", "content": ANSWER}],
     "meta": {...}}

The ``openai`` format puts ``{"role": "system", "content": OPENAI_SYSTEM}`` first; with a chat
template, budgets count that turn too (:mod:`artificial_needles.tokens.counter`). ``meta`` is
described in :mod:`artificial_needles.generators.sample`.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from artificial_needles.generators.sample import Sample
from artificial_needles.generators.templates import OPENAI_SYSTEM

RecordFormat = Literal["mistral", "openai"]
#: the system turn of each format (``None``: the format has none)
SYSTEM_PROMPTS: dict[str, str | None] = {"mistral": None, "openai": OPENAI_SYSTEM}
FORMATS: tuple[str, ...] = tuple(SYSTEM_PROMPTS)


def system_prompt(fmt: str) -> str | None:
    """The system turn written by format ``fmt``, counted in chat-template budgets."""
    if fmt not in SYSTEM_PROMPTS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return SYSTEM_PROMPTS[fmt]


def to_record(sample: Sample, fmt: RecordFormat = "mistral") -> dict[str, Any]:
    """The chat record of ``sample`` in format ``fmt``."""
    messages = [
        {"role": "user", "content": sample.prompt},
        {"role": "assistant", "content": sample.answer},
    ]
    system = system_prompt(fmt)
    if system is not None:
        messages.insert(0, {"role": "system", "content": system})
    return {"messages": messages, "meta": {**sample.meta, "format": fmt}}


def to_json_line(sample: Sample, fmt: RecordFormat = "mistral") -> str:
    """One line of the JSONL output, newline included."""
    return json.dumps(to_record(sample, fmt), ensure_ascii=False) + "\n"
