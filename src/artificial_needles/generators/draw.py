"""Random draws of the KV generators: numbers of a given digit count, and the gold position.

All draws take a ``random.Random`` seeded per sample
(:func:`artificial_needles.seeding.sample_rng`), so a sample depends only on the config and its
index.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.config import IntRange, KVConfig

#: Paper mixture: this share of samples puts the gold dictionary first ...
PAPER_FIRST_SHARE = 0.05
#: ... this share puts it among the first PAPER_EARLY_FRACTION of the dictionaries ...
PAPER_EARLY_SHARE = 0.03
PAPER_EARLY_FRACTION = 0.05
# ... and the rest is uniform over all positions.


def digit_spans(digits: IntRange) -> tuple[list[int], list[int]]:
    """First number and count of numbers of each digit count in ``digits`` (0 has 1 digit)."""
    lo, hi = digits
    starts = [10 ** (d - 1) if d > 1 else 0 for d in range(lo, hi + 1)]
    widths = [10**d - s for d, s in zip(range(lo, hi + 1), starts, strict=True)]
    return starts, widths


def number_drawer(digits: IntRange) -> Callable[[Callable[[], float]], int]:
    """A fast sampler of integers whose digit count is uniform over ``digits``.

    It takes ``rng.random`` (one or two calls per number, far cheaper than ``randint``);
    digit counts are capped at 15 so ``random() * span`` reaches every integer of the span.
    """
    spans = list(zip(*digit_spans(digits), strict=True))
    if len(spans) == 1:
        start, width = spans[0]
        return lambda r: start + int(r() * width)
    k = len(spans)
    return lambda r: (lambda sw: sw[0] + int(r() * sw[1]))(spans[int(r() * k)])


def digits_number(rng: random.Random, digits: IntRange) -> int:
    """A random integer whose number of digits is drawn uniformly from ``digits``."""
    return number_drawer(digits)(rng.random)


def draw_int(rng: random.Random, bounds: IntRange) -> int:
    """Uniform integer in ``[lo, hi]`` from one ``random()`` call."""
    return bounds[0] + int(rng.random() * (bounds[1] - bounds[0] + 1))


def depth_indices(lo: float, hi: float, n: int) -> range:
    """0-based indices of the dictionaries at depth ``[lo, hi)`` of a list of ``n``.

    The one definition of depth (the sampler's and the summary histogram's): dictionary ``i``
    covers ``[i/n, (i+1)/n)`` of the list and is at every depth range its cover overlaps, so
    with few dictionaries one can be at two neighbouring ranges. A range narrower than one
    dictionary still gets the one at ``lo``.
    """
    first = math.floor(lo * n)
    return range(first, min(max(first + 1, math.ceil(hi * n)), n))


def gold_size(cfg: KVConfig, rng: random.Random) -> int:
    """Keys of a gold (or linked) dictionary: ``gold_dict_size``, or with ``match`` a size drawn
    from ``dict_size`` like a distractor's (uniform; a draw only then)."""
    if cfg.gold_size_matches:
        return draw_int(rng, cfg.dict_size)
    return int(cfg.gold_dict_size)


def choose_position(cfg: KVConfig, n: int, rng: random.Random) -> int:
    """0-based gold position among ``n`` dictionaries for the configured policy.

    The paper's mixture is computed per sample (5% first, 3% within the first 5% of the list,
    the rest uniform); the reference code derived "the first few" from the dataset size, which
    made the distribution depend on how many samples were asked for. We do not copy that.
    """
    policy = cfg.gold_position
    if policy == "fixed":
        assert cfg.gold_index is not None
        if cfg.gold_index > n:
            raise NeedlesError(
                f"gold_index {cfg.gold_index} is past the last of {n} dictionaries that fit; "
                "lower gold_index or raise max_tokens"
            )
        return cfg.gold_index - 1
    if policy == "depth":
        assert cfg.gold_depth is not None
        at = depth_indices(cfg.gold_depth[0], cfg.gold_depth[1], n)
        return rng.randrange(at.start, at.stop)
    if policy == "paper":
        u = rng.random()
        if u < PAPER_FIRST_SHARE:
            return 0
        if u < PAPER_FIRST_SHARE + PAPER_EARLY_SHARE:
            return rng.randrange(max(1, math.ceil(PAPER_EARLY_FRACTION * n)))
    return rng.randrange(n)
