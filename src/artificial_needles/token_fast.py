"""Exact fast paths and caches of token counting (speed only: every count stays exact).

* :func:`backend_lengths`: a Hugging Face *fast* tokenizer counts through its Rust backend
  (``encode_batch_fast``: no offsets, no Python ``BatchEncoding``), about twice as fast as
  calling the tokenizer. It is used only when it agrees with the tokenizer's own call on probe
  texts at load (special tokens on and off) and while the backend has no truncation or padding
  set; otherwise the counter calls the tokenizer as before.
* :func:`number_cache` / :func:`calibration_cache`: per-counter dictionaries shared by every
  generator made with that counter in this process (token counts of printed integers; fitted
  token costs of a dictionary line), so building more generators for the same tokenizer (one
  per eval cell, per task) costs no tokenization.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

#: Texts on which the backend must count exactly as the tokenizer call does.
PROBES = (
    "",
    " ",
    "\n\n",
    " 1234",
    " 7",
    "Dictionary [12] {123: 4567, 89: 10}\n",
    "Below is a list of dictionaries.\n\nDictionary [1] {(101, 202, 303): 4444}\n\nWhat is it?",
    "  two  spaces\tand a tab, é, 漢字, emoji 🙂 end ",
)

Lengths = Callable[[Sequence[str], bool], "list[int] | None"]


def backend_lengths(tokenizer: Any) -> Lengths | None:
    """``lengths(texts, special)``: token counts from the Rust backend of ``tokenizer``, or
    ``None`` when the tokenizer is not a fast one or its backend counts differently on
    :data:`PROBES`. The function returns ``None`` too while the backend truncates or pads."""
    if not getattr(tokenizer, "is_fast", False):
        return None
    backend = getattr(tokenizer, "backend_tokenizer", None)
    encode = getattr(backend, "encode_batch_fast", None) or getattr(backend, "encode_batch", None)
    if encode is None:
        return None

    def lengths(texts: Sequence[str], special: bool) -> list[int] | None:
        if backend.truncation is not None or backend.padding is not None:
            return None
        return [len(e) for e in encode(list(texts), add_special_tokens=special)]

    try:
        for special in (False, True):
            ids = tokenizer(list(PROBES), add_special_tokens=special)["input_ids"]
            if lengths(PROBES, special) != [len(x) for x in ids]:
                return None
    except Exception:  # any failure of the probe: keep the tokenizer's own call
        return None
    return lengths


def number_cache(counter: Any) -> dict[int, int]:
    """Token counts of ``" <n>"`` per integer ``n`` for ``counter`` (shared, filled lazily)."""
    cache = getattr(counter, "_needles_numbers", None)
    if cache is None:
        cache = {}
        counter._needles_numbers = cache
    return cache


def calibration_cache(counter: Any) -> dict[Any, Any]:
    """Fitted line costs for ``counter`` by (generator class, calibration key)."""
    cache = getattr(counter, "_needles_calibration", None)
    if cache is None:
        cache = {}
        counter._needles_calibration = cache
    return cache
