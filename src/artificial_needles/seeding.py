"""Per-sample random generators, and the split of the number space between data domains.

Random streams
--------------
Every sample draws from its own ``random.Random`` seeded by a SHA-256 hash of
``(seed, index, stream)``. Python's ``hash()`` is salted per process, so it cannot be used;
SHA-256 gives the same stream on every machine and lets any shard be regenerated alone. A
generator in a domain other than ``"train"`` puts the domain into the hashed label, so its
stream is unrelated to the training stream of the same seed; the training label is unchanged.

Domains: why separate streams are not enough
--------------------------------------------
A sample belongs to one of three domains: ``"train"`` (generated training data), ``"eval"``
(the lm-eval KV documents, :mod:`artificial_needles.eval.kv_docs`) and ``"validation"`` (the
Axolotl eval split, ``needles_eval_samples``). Independent random streams do not keep them
apart: with 3-4 digit keys and values there are about 10**8 (key, value) pairs, and a paper-sized
training sample prints about 300 of them, so ten seeds of 10,000 training samples print a large
share of the pair space, and an evaluation document's gold pair occurs in some training prompt
by chance (with separate seeds only, training samples 56 and 67 of ``simple-kv --preset
paper-mistral --seed 1`` contained gold pairs of the KV evaluation documents of seed 1).

The guarantee is therefore structural. A fixed keyed hash splits the integers into class 0 and
class 1 (:func:`number_class`): ``n`` and ``n ^ 1`` always fall in different classes, and which
of the two is class 0 is a hash bit of ``n >> 1``, so a class is not parity, not a digit
pattern, and cannot be told from a number by any simple rule. A key's class is the class of the
integer, and for a tuple key (multi-subkey) the XOR of its subkeys' classes, a property of the
key as a set. Each domain fixes the classes of the keys and values it prints
(:data:`DOMAIN_CLASSES`):

====================  ===========  =============
domain                key class    value class
====================  ===========  =============
``train``             0            any
``eval``              1            1
``validation``        1            0
====================  ===========  =============

so no training prompt contains any key of an evaluation or validation prompt (let alone its gold
pair or gold dictionary line), and no evaluation prompt shares a (key, value) pair with a
validation prompt. Generators *map* rather than reject: a drawn number that is in the wrong
class is replaced by its partner ``n ^ 1`` (same number of digits), which keeps numbers uniform
over their class without any extra random draw (:func:`to_class`, and :func:`class_table` for
numpy code). The classes are fixed forever: changing :data:`CLASS_SALT` would let old evaluation
documents meet new training data.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from typing import Any, Literal

Domain = Literal["train", "eval", "validation"]
#: The data domains, training first (the default everywhere).
DOMAINS: tuple[str, ...] = ("train", "eval", "validation")
#: (key class, value class) of each domain; ``None``: any class.
DOMAIN_CLASSES: dict[str, tuple[int, int | None]] = {
    "train": (0, None),
    "eval": (1, 1),
    "validation": (1, 0),
}
#: Set in every evaluation seed (the lm-eval KV documents' cells and a trainer's eval split):
#: their random streams are never a training seed's (which stay below 2**63).
EVAL_SEED_BIT = 1 << 63
#: The key of the class hash (never change it; see the module docstring).
CLASS_SALT = 0x5EED_A17E_0F1C_1A55
_M64 = (1 << 64) - 1
#: Numbers below this get their classes from a table (see :func:`class_lookup`).
_TABLE_LIMIT = 10**5


def sample_seed(seed: int, index: int, stream: str = "", domain: str = "train") -> int:
    """Return a 64-bit seed that depends only on ``(seed, index, stream, domain)``."""
    label = stream if domain == "train" else f"{check_domain(domain)}/{stream}"
    digest = hashlib.sha256(f"artificial-needles:{label}:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def sample_rng(seed: int, index: int, stream: str = "", domain: str = "train") -> random.Random:
    """A fresh ``random.Random`` for one sample (``domain`` is part of the hashed label)."""
    return random.Random(sample_seed(seed, index, stream, domain))


def check_domain(domain: str) -> str:
    """``domain`` if it is one of :data:`DOMAINS`, else ``ValueError`` naming the valid ones."""
    if domain not in DOMAIN_CLASSES:
        raise ValueError(f"unknown domain {domain!r}; use one of {', '.join(DOMAINS)}")
    return domain


def _mix(x: int) -> int:
    """SplitMix64's finaliser: a 64-bit integer hash (the same as the numpy code below)."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def number_class(n: int) -> int:
    """Class (0 or 1) of a non-negative integer; ``n`` and ``n ^ 1`` differ."""
    return ((_mix(((n >> 1) ^ CLASS_SALT) & _M64) >> 63) ^ n) & 1


def key_class(key: int | Sequence[int]) -> int:
    """Class of a key: of the integer, or the XOR of the classes of a tuple's subkeys."""
    if isinstance(key, int):
        return number_class(key)
    out = 0
    for n in key:
        out ^= number_class(n)
    return out


def to_class(n: int, cls: int | None) -> int:
    """``n`` if it is in class ``cls`` (or ``cls`` is None), else its partner ``n ^ 1``."""
    if cls is None or number_class(n) == cls:
        return n
    return n ^ 1


def class_table(top: int) -> Any:
    """``numpy`` uint8 array of :func:`number_class` for ``0 .. top - 1``."""
    import numpy as np

    n = np.arange(top, dtype=np.uint64)
    x = (n >> np.uint64(1)) ^ np.uint64(CLASS_SALT)
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return ((x >> np.uint64(63)) ^ (n & np.uint64(1))).astype(np.uint8)


def class_drawer(
    draw: Callable[[Any], int], max_digits: int, cls: int | None, table: bool = True
) -> Callable[[Any], int]:
    """``draw`` (numbers of at most ``max_digits`` digits) mapped into class ``cls`` by
    :func:`to_class`; ``draw`` itself when ``cls`` is None. Same arguments, same draws.
    ``table`` as for :func:`class_lookup`."""
    if cls is None:
        return draw
    lookup = class_lookup(max_digits, table)
    return lambda r: (n := draw(r)) ^ lookup(n) ^ cls


def class_lookup(max_digits: int, table: bool = True) -> Callable[[int], int]:
    """A fast :func:`number_class` for numbers of at most ``max_digits`` digits: a numpy-built
    table when they are few and ``table`` is set (for hot loops; it imports numpy), else the
    function itself (for a few calls per sample)."""
    top = 10**max_digits
    if top > _TABLE_LIMIT or not table:
        return number_class
    return class_table(top).tolist().__getitem__
