"""Chat records: one JSON object per sample, as the reference writes them.

Schema of a line::

    {"messages": [{"role": "user", "content": PROMPT},
                  {"role": "assistant", "content": ANSWER}],
     "meta": {...}}

The ``openai`` format puts ``{"role": "system", "content": OPENAI_SYSTEM}`` first. ``meta`` is
described in :mod:`artificial_needles.tasks.base`.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from artificial_needles.tasks.base import Sample
from artificial_needles.templates import OPENAI_SYSTEM

RecordFormat = Literal["mistral", "openai"]
FORMATS: tuple[str, ...] = ("mistral", "openai")


def to_record(sample: Sample, fmt: RecordFormat = "mistral") -> dict[str, Any]:
    """The chat record of ``sample`` in format ``fmt``."""
    messages = [
        {"role": "user", "content": sample.prompt},
        {"role": "assistant", "content": sample.answer},
    ]
    if fmt == "openai":
        messages.insert(0, {"role": "system", "content": OPENAI_SYSTEM})
    elif fmt != "mistral":
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return {"messages": messages, "meta": {**sample.meta, "format": fmt}}


def to_json_line(sample: Sample, fmt: RecordFormat = "mistral") -> str:
    """One line of the JSONL output, newline included."""
    return json.dumps(to_record(sample, fmt), ensure_ascii=False) + "\n"
