"""What a tokenizer's counts let us remember: one typed cache per tokenizer, in process and on disk.

:class:`TokenCaches` holds every fact learnt about one tokenizer that generation reuses (speed
only: each is an exact function of the tokenizer, so a run with the caches is byte-identical to
one without):

* ``numbers``: the tokens of ``" <n>"`` per printed integer ``n``, and the digit ranges already
  counted in full (``number_ranges``);
* ``fits``: the fitted token cost of a dictionary line (per line, pair and number) per
  calibration key of a generator (:mod:`artificial_needles.generators.budget`);
* ``verdicts``: the answers of probe checks (a count additive over lines, a count from the
  structure) per check and key;
* ``digit_barrier``: whether every digit is a token of its own (:mod:`~.digit_barrier`).

A counter reaches its caches as :attr:`TokenCounter.caches <artificial_needles.tokens.counter.
TokenCounter.caches>`. Counters of the same tokenizer (same :meth:`identity`: class, name or
path, file stamps) share one :class:`TokenCaches` in this process, even when the tokenizer is
loaded again, so more generators for it (one per eval cell, per task, per call) cost no
tokenization. Hub names have no identity and share nothing.

On disk the caches of a tokenizer are one small JSON file under the user cache directory, named
by a hash of the tokenizer's :meth:`content identity <artificial_needles.tokens.counter.
TokenCounter.content_identity>` and of the tokenizer libraries' versions: a changed tokenizer or
library is a new file. ``ARTIFICIAL_NEEDLES_CACHE=off`` disables it, ``=DIR`` moves it. A file
that cannot be read is ignored and rewritten; writes are atomic.

:func:`backend_lengths` is the other speed path of counting: a Hugging Face *fast* tokenizer
counts through its Rust backend (``encode_batch_fast``: no offsets, no ``BatchEncoding``), used
only when it agrees with the tokenizer's own call on probe texts at load and while the backend
neither truncates nor pads.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
Fit = tuple[float, float, float]


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


@dataclass
class TokenCaches:
    """Everything remembered about one tokenizer (module docstring)."""

    numbers: dict[int, int] = field(default_factory=dict)
    number_ranges: set[tuple[int, int]] = field(default_factory=set)
    fits: dict[str, Fit] = field(default_factory=dict)
    verdicts: dict[str, bool] = field(default_factory=dict)
    digit_barrier: bool | None = None

    def size(self) -> tuple[int, ...]:
        """A fingerprint that grows whenever something is learnt (to skip unchanged saves)."""
        learnt = self.digit_barrier is not None
        return (
            len(self.numbers),
            len(self.number_ranges),
            len(self.fits),
            len(self.verdicts),
            learnt,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "numbers": [list(self.numbers), list(self.numbers.values())],
            "number_ranges": sorted(self.number_ranges),
            "fits": {k: list(v) for k, v in self.fits.items()},
            "verdicts": self.verdicts,
            "digit_barrier": self.digit_barrier,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TokenCaches:
        """The caches of a file's JSON; ``ValueError`` (and friends) when it is not ours."""
        if raw.get("format") != FORMAT:
            raise ValueError(f"format {raw.get('format')!r}, not {FORMAT}")
        keys, counts = raw["numbers"]
        if {*map(type, keys), *map(type, counts)} - {int}:
            raise ValueError("number counts are not two lists of integers")
        barrier = raw["digit_barrier"]
        if barrier is not None and not isinstance(barrier, bool):
            raise ValueError("digit_barrier is not a boolean")
        return cls(
            numbers=dict(zip(keys, counts, strict=True)),
            number_ranges={(int(lo), int(hi)) for lo, hi in raw["number_ranges"]},
            fits={str(k): (float(a), float(b), float(c)) for k, (a, b, c) in raw["fits"].items()},
            verdicts={str(k): bool(v) for k, v in raw["verdicts"].items()},
            digit_barrier=barrier,
        )


#: The caches shared in this process, by tokenizer identity.
_SHARED: dict[tuple[Any, ...], TokenCaches] = {}
#: On-disk files: caches object id -> (file, caches, size when loaded or last saved).
_DISK: dict[int, tuple[Path, TokenCaches, tuple[int, ...]]] = {}
_AT_EXIT = False

CACHE_ENV = "ARTIFICIAL_NEEDLES_CACHE"
FORMAT = 3  # 3: one typed record (numbers, ranges, fits, verdicts, digit barrier)


def cache_dir() -> Path | None:
    """Where the caches live; ``None`` when disabled."""
    env = os.environ.get(CACHE_ENV, "")
    if env.lower() in ("off", "0", "false", "no"):
        return None
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "artificial-needles"


def shared_caches(identity: tuple[Any, ...] | None, content: bytes | None) -> TokenCaches:
    """The caches of the tokenizer with ``identity`` (fresh ones when it is ``None``), loaded
    from the file named by ``content`` (the content identity) when there is one."""
    if identity is None:
        return TokenCaches()
    caches = _SHARED.get(identity)
    if caches is None:
        caches = _SHARED[identity] = _load_disk(content)
    return caches


def _digest(content: bytes) -> str:
    h = hashlib.sha256(f"format {FORMAT}".encode())
    for lib in ("sentencepiece", "tokenizers", "transformers"):
        mod = sys.modules.get(lib)
        h.update(f"; {lib} {getattr(mod, '__version__', None)}".encode())
    h.update(content)
    return h.hexdigest()[:40]


def _load_disk(content: bytes | None) -> TokenCaches:
    where = cache_dir()
    if where is None or content is None:
        return TokenCaches()
    file = where / f"tokens-{_digest(content)}.json"
    try:
        caches = TokenCaches.from_json(json.loads(file.read_text()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        caches = TokenCaches()
    global _AT_EXIT
    if not _AT_EXIT:
        _AT_EXIT = atexit.register(save_caches) is not None
    _DISK[id(caches)] = (file, caches, caches.size())
    return caches


def save_caches() -> None:
    """Write the on-disk caches that grew in this process (atomically; errors are ignored)."""
    for key, (file, caches, size) in list(_DISK.items()):
        if caches.size() == size:
            continue
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
            with os.fdopen(fd, "w") as fh:
                json.dump(caches.to_json(), fh)
            os.replace(tmp, file)
        except OSError:
            continue
        _DISK[key] = (file, caches, caches.size())


def clear_caches() -> None:
    """Forget every in-process cache (counters made afterwards start as in a new process: from
    the on-disk cache when there is one)."""
    save_caches()
    _SHARED.clear()
    _DISK.clear()
