"""The data types of a generated sample: :class:`Sample`, :class:`Gold`, :class:`DictBlock`.

Sample metadata (``Sample.meta``), shared by every generator: :data:`SAMPLE_META_KEYS`
(``gold_position`` is the 1-based line of the gold dictionary); generators may add keys
(``Gold.extra_meta``). A written record adds ``format``: every record carries
:data:`artificial_needles.generators.options.META_KEYS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The metadata keys of every sample, in the order a generator writes them.
SAMPLE_META_KEYS: tuple[str, ...] = (
    "task",
    "preset",
    "seed",
    "index",
    "num_tokens",
    "max_tokens",
    "budget",
    "tokenizer",
    "chat_template",
    "num_dicts",
    "gold_key",
    "gold_value",
    "gold_dict_name",
    "gold_position",
    "answer_template",
)


@dataclass(frozen=True)
class Sample:
    """One generated prompt with its target answer and metadata (see module docstring)."""

    prompt: str
    answer: str
    meta: dict[str, Any]


@dataclass
class Gold:
    """The gold dictionary and everything the question and answer need.

    ``reserved`` holds the numbers no distractor may print (the gold key, value, queried
    subkeys); ``extra_meta`` is merged into the sample metadata. ``linked`` holds further
    dictionaries the answer needs (several queries, a chain of hops): the builder places and
    counts them like the gold one, and the task's ``answer_for`` receives their names.
    """

    pairs: list[tuple[Any, int]]
    key: Any
    value: Any
    question: str
    reserved: set[Any]
    extra_meta: dict[str, Any] = field(default_factory=dict)
    linked: list[list[tuple[Any, Any]]] = field(default_factory=list)


@dataclass(slots=True)
class DictBlock:
    """A distractor dictionary (insertion-ordered pairs), its estimated token cost and, when
    known, the exact tokens of its printed numbers (``raw``; ``None`` after its pairs change)."""

    pairs: dict[Any, Any]
    est: float
    raw: int | None = None
