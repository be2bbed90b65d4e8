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

import atexit
import hashlib
import json
import os
import sys
import tempfile
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
        if key is None:
            cache = {}
        else:
            if key not in _SHARED:
                _SHARED[key] = _load_disk(counter)
            cache = _SHARED[key].setdefault(kind, {})
        setattr(counter, attr, cache)
    return cache


# -- on disk ------------------------------------------------------------------------------
# The shared caches of a tokenizer are kept between processes in one small JSON file under the
# user cache directory, named by a hash of the tokenizer's identity and of the tokenizer
# libraries' versions: a changed tokenizer or library is a new file. The identity of the
# embedded model is its content; that of a tokenizer file or directory is its absolute path and
# each file's name, size and modification time (what Python checks before reusing byte code),
# so a start does not read and hash a multi-megabyte tokenizer.json. Entries are exact values
# (integers; floats round-trip through JSON), so a run with the file is byte-identical to one
# without. ARTIFICIAL_NEEDLES_CACHE=off disables it; ARTIFICIAL_NEEDLES_CACHE=DIR moves it. A
# file that cannot be read is ignored and rewritten.
CACHE_ENV = "ARTIFICIAL_NEEDLES_CACHE"
_FORMAT = 2  # 2: number counts as two lists (keys, counts), parsed ~5x faster than a dict
#: (file, the loaded dictionaries, their sizes when loaded): written at exit when they grew.
_DISK: dict[str, tuple[Path, dict[str, dict[Any, Any]], dict[str, int]]] = {}
_AT_EXIT = False


def cache_dir() -> Path | None:
    """Where the caches live; ``None`` when disabled."""
    env = os.environ.get(CACHE_ENV, "")
    if env.lower() in ("off", "0", "false", "no"):
        return None
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "artificial-needles"


def content_hash(counter: Any) -> str | None:
    """sha256 of the identity of what ``counter`` tokenizes with (see above) and of the
    library versions; ``None`` when it cannot be told (then nothing is kept on disk)."""
    h = hashlib.sha256(f"format {_FORMAT}; {type(counter).__qualname__}".encode())
    for lib in ("sentencepiece", "tokenizers", "transformers"):
        mod = sys.modules.get(lib)
        h.update(f"; {lib} {getattr(mod, '__version__', None)}".encode())
    name = str(counter.name)
    try:
        if name.startswith("embedded:") and hasattr(counter, "_sp"):
            h.update(counter._sp.serialized_model_proto())
        else:
            key = tokenizer_key(counter)  # absolute path, file names, sizes, mtimes
            if key is None:
                return None
            h.update(repr(key).encode())
    except (OSError, AttributeError, RuntimeError):
        return None
    return h.hexdigest()[:40]


def _load_disk(counter: Any) -> dict[str, dict[Any, Any]]:
    where = cache_dir()
    digest = content_hash(counter) if where is not None else None
    if where is None or digest is None:
        return {}
    file = where / f"tokens-{digest}.json"
    data: dict[str, dict[Any, Any]] = {"numbers": {}, "calibration": {}}
    try:
        raw = json.loads(file.read_text())
        if raw.get("format") == _FORMAT:
            keys, counts = raw["numbers"]
            if {*map(type, keys), *map(type, counts)} - {int}:
                raise ValueError("number counts are not two lists of integers")
            data["numbers"] = dict(zip(keys, counts, strict=True))
            data["calibration"] = {
                str(k): tuple(float(x) for x in v) for k, v in raw["calibration"].items()
            }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        data = {"numbers": {}, "calibration": {}}
    global _AT_EXIT
    if not _AT_EXIT:
        _AT_EXIT = atexit.register(save_caches) is not None
    _DISK[digest] = (file, data, {k: len(v) for k, v in data.items()})
    return data


def save_caches() -> None:
    """Write the on-disk caches that grew in this process (atomically; errors are ignored)."""
    for file, data, sizes in list(_DISK.values()):
        if all(len(data.get(k, {})) <= n for k, n in sizes.items()):
            continue
        numbers = data.get("numbers", {})
        payload = {
            "format": _FORMAT,
            "numbers": [list(numbers), list(numbers.values())],
            "calibration": {str(k): list(v) for k, v in data.get("calibration", {}).items()},
        }
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
            with os.fdopen(fd, "w") as fh:
                json.dump(payload, fh)
            os.replace(tmp, file)
        except OSError:
            continue
        sizes.update({k: len(v) for k, v in data.items()})


def number_cache(counter: Any) -> dict[int, int]:
    """Token counts of ``" <n>"`` per integer ``n`` for ``counter``'s tokenizer (shared)."""
    return _shared(counter, "numbers")


def calibration_cache(counter: Any) -> dict[Any, Any]:
    """Fitted line costs for ``counter``'s tokenizer by (generator class, calibration key)."""
    return _shared(counter, "calibration")


def clear_caches() -> None:
    """Forget every in-process cache (counters made afterwards start as in a new process: from
    the on-disk cache when there is one)."""
    save_caches()
    _SHARED.clear()
    _DISK.clear()
