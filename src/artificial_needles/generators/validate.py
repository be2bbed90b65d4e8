"""Re-check every invariant of a generated JSONL file, line by line.

``recount`` counts each record again the way generation sized it (:mod:`~.tokens.counter`):
with ``meta.chat_template``, the record's own conversation minus the answer (its system turn
included) through the tokenizer's chat template with the generation prompt; without, BOS + the
user prompt. The tokenizer is ``meta.tokenizer`` unless ``tokenizer`` overrides it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.options import META_KEYS
from artificial_needles.plugins.manager import get_generators
from artificial_needles.tokens.counter import TokenCounter, load_tokenizer


@dataclass
class Report:
    """Violations found in a file, as ``(line number, message)``."""

    path: str
    lines: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _split(record: object) -> tuple[str, str, dict, str | None]:
    if not isinstance(record, dict) or "messages" not in record or "meta" not in record:
        raise ValueError("record needs the keys 'messages' and 'meta'")
    msgs = record["messages"]
    roles = [m.get("role") for m in msgs]
    if roles not in (["user", "assistant"], ["system", "user", "assistant"]):
        raise ValueError(f"messages roles are {roles}, expected [system,] user, assistant")
    meta = record["meta"]
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        raise ValueError(f"meta lacks {', '.join(missing)}")
    system = msgs[0]["content"] if len(msgs) == 3 else None
    return msgs[-2]["content"], msgs[-1]["content"], meta, system


def validate_file(
    path: str | os.PathLike[str], recount: bool = False, tokenizer: str | None = None
) -> Report:
    """Check each line of ``path``; with ``recount``, count tokens again with the tokenizer
    named in each line's meta (or ``tokenizer``) and compare with ``num_tokens``. A file
    without any record is an error."""
    report = Report(str(path))
    generators = get_generators()
    counters: dict[tuple[str, bool, str | None], TokenCounter] = {}
    try:
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        raise NeedlesError(f"{path}: cannot read ({exc.strerror})") from exc
    with fh:
        for n, raw in enumerate(fh, 1):
            report.lines = n
            try:
                prompt, answer, meta, system = _split(json.loads(raw))
            except (ValueError, AttributeError, TypeError) as exc:
                report.problems.append((n, f"not a valid record: {exc}"))
                continue
            gen = generators.get(meta["task"])
            if gen is None:
                report.problems.append((n, f"unknown task {meta['task']!r}"))
                continue
            for msg in gen.check_sample(prompt, answer, meta):
                report.problems.append((n, msg))
            if recount:
                chat = bool(meta.get("chat_template", False))
                key = (tokenizer or meta["tokenizer"], chat, system if chat else None)
                if key not in counters:
                    try:
                        counters[key] = load_tokenizer(*key)
                    except NeedlesError as exc:
                        where = "--tokenizer" if tokenizer else "meta.tokenizer"
                        raise NeedlesError(f"{path}:{n}: {where}: {exc}") from exc
                actual = counters[key].count(prompt)
                if actual != meta["num_tokens"]:
                    budget = meta["budget"]
                    over = f", over the budget of {budget}" if actual > budget else ""
                    report.problems.append(
                        (n, f"num_tokens {meta['num_tokens']} but {key[0]} counts {actual}{over}")
                    )
    if not report.lines:
        raise NeedlesError(f"{path}: no records (the file is empty)")
    return report
