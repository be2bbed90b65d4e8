"""Exact fast paths and caches of token counting (speed only: every count stays exact).

* :func:`backend_lengths`: a Hugging Face *fast* tokenizer counts through its Rust backend
  (``encode_batch_fast``: no offsets, no Python ``BatchEncoding``), about twice as fast as
  calling the tokenizer. It is used only when it agrees with the tokenizer's own call on probe
  texts at load (special tokens on and off) and while the backend has no truncation or padding
  set; otherwise the counter calls the tokenizer as before.
* :func:`number_cache` / :func:`calibration_cache`: dictionaries shared in this process by
  every generator of one tokenizer (:func:`tokenizer_key`: class, name or path, file stamps),
  even when it is loaded again: token counts of printed integers and fitted token costs of a
  dictionary line, so more generators for the same tokenizer (one per eval cell, per task, per
  call) cost no tokenization. Only the embedded and file/directory tokenizers are shared by
  name; they are exact functions of the tokenizer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
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


#: Caches shared by every counter of one tokenizer (see :func:`tokenizer_key`).
_SHARED: dict[tuple[Any, ...], dict[str, dict[Any, Any]]] = {}


def tokenizer_key(counter: Any) -> tuple[Any, ...] | None:
    """Identity of the tokenizer behind ``counter``: its class and name and, for a local
    path, the size and modification time of its files (a tokenizer rewritten in place is a new
    one); ``None`` (nothing shared) for other names, e.g. hub names. Counters of the same
    tokenizer loaded twice share their caches."""
    name = str(counter.name)
    path = Path(name)
    try:
        if name.startswith("embedded:"):  # tokens.EMBEDDED_NAME: fixed by the installed package
            stamp: tuple[Any, ...] = ()
        elif path.is_dir():
            files = sorted(f for f in path.iterdir() if f.is_file())
            stamp = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)
        elif path.is_file():
            stamp = (path.stat().st_size, path.stat().st_mtime_ns)
        else:
            return None
    except OSError:
        return None
    return (type(counter).__qualname__, name, stamp)


def _shared(counter: Any, kind: str) -> dict[Any, Any]:
    attr = f"_needles_{kind}"
    cache = getattr(counter, attr, None)
    if cache is None:
        key = tokenizer_key(counter)
        cache = {} if key is None else _SHARED.setdefault(key, {}).setdefault(kind, {})
        setattr(counter, attr, cache)
    return cache


def number_cache(counter: Any) -> dict[int, int]:
    """Token counts of ``" <n>"`` per integer ``n`` for ``counter``'s tokenizer (shared)."""
    return _shared(counter, "numbers")


def calibration_cache(counter: Any) -> dict[Any, Any]:
    """Fitted line costs for ``counter``'s tokenizer by (generator class, calibration key)."""
    return _shared(counter, "calibration")


def clear_caches() -> None:
    """Forget every shared cache (counters made afterwards start empty, as in a new process)."""
    _SHARED.clear()
