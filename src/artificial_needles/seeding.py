"""Per-sample random generators derived from a stable hash of (seed, index).

Python's ``hash()`` is salted per process, so it cannot be used; SHA-256 gives the same
stream on every machine and lets any shard be regenerated alone.
"""

import hashlib
import random


def sample_seed(seed: int, index: int, stream: str = "") -> int:
    """Return a 64-bit seed that depends only on ``(seed, index, stream)``."""
    digest = hashlib.sha256(f"artificial-needles:{stream}:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def sample_rng(seed: int, index: int, stream: str = "") -> random.Random:
    """A fresh ``random.Random`` for one sample."""
    return random.Random(sample_seed(seed, index, stream))
