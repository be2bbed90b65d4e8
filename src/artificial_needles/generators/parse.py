"""Parse a generated prompt back into its dictionaries, and the checks every task shares.

``artificial-needles validate`` calls :meth:`KVTask.check_sample`, which uses
:func:`parse_dictionaries` and :func:`check_layout`; the task adds its own checks in
``check_content``.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from artificial_needles.generators.templates import INTRO

_LINE = re.compile(r"Dictionary \[(-?\d+)\] (\{.*\})")

Parsed = list[tuple[int, dict[Any, Any]]]


def parse_dictionaries(prompt: str) -> tuple[Parsed, str]:
    """Split a prompt into its ``(name, dict)`` lines and its question; raises ``ValueError``."""
    head = INTRO + "\n\n"
    if not prompt.startswith(head):
        raise ValueError("prompt does not start with the task introduction and a blank line")
    body, sep, question = prompt[len(head) :].partition("\n\n")
    if not sep:
        raise ValueError("no blank line between the dictionaries and the question")
    out = []
    for n, line in enumerate(body.split("\n"), 1):
        m = _LINE.fullmatch(line)
        if not m:
            raise ValueError(
                f"dictionary line {n} is not `Dictionary [<name>] {{...}}`: {line[:60]!r}"
            )
        value = ast.literal_eval(m.group(2))
        if not isinstance(value, dict) or repr(value) != m.group(2):
            raise ValueError(f"dictionary line {n} is not the repr of a dict")
        out.append((int(m.group(1)), value))
    return out, question


def check_layout(dicts: Parsed, meta: dict[str, Any]) -> tuple[list[str], bool]:
    """Problems with the layout every task shares (counts, budget, names, gold line), and
    whether the gold line exists (the task's content checks need it)."""
    problems: list[str] = []
    pos = meta["gold_position"]
    if meta["num_dicts"] != len(dicts):
        problems.append(f"meta num_dicts {meta['num_dicts']} but {len(dicts)} dictionaries")
    if meta["num_tokens"] > meta["budget"]:
        problems.append(f"num_tokens {meta['num_tokens']} exceeds budget {meta['budget']}")
    if not 1 <= pos <= len(dicts):
        return problems + [f"gold_position {pos} outside 1..{len(dicts)}"], False
    names = [n for n, _ in dicts]
    if len(set(names)) != len(names):
        problems.append("dictionary names are not unique")
    name = dicts[pos - 1][0]
    if name != meta["gold_dict_name"]:
        problems.append(f"line {pos} is Dictionary [{name}], meta says {meta['gold_dict_name']}")
    return problems, True
