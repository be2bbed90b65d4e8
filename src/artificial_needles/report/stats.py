"""Aggregation across the runs of one label (seeds): mean, standard deviation, n, and deltas.

``sd`` is the sample standard deviation (n - 1 in the denominator) over runs, None for one run.
``se`` is the standard error used for error bars' companions and the drop flag: lm-eval's own
stderr for a single run, else ``sd / sqrt(n)`` (the seed mean's standard error).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Agg:
    """One number of one label: the values of its runs and their summary."""

    values: tuple[float, ...]
    mean: float
    sd: float | None
    n: int
    stderr: float | None  # lm-eval's stderr, only for n == 1

    @property
    def se(self) -> float | None:
        """Standard error of :attr:`mean` (see the module docstring)."""
        if self.n == 1:
            return self.stderr
        return None if self.sd is None else self.sd / math.sqrt(self.n)

    @property
    def err(self) -> float | None:
        """Error bar half-width: the seed sd, else lm-eval's stderr."""
        return self.sd if self.n > 1 else self.stderr

    def to_json(self) -> dict[str, object]:
        return {
            "mean": self.mean,
            "sd": self.sd,
            "n": self.n,
            "stderr": self.stderr,
            "values": list(self.values),
        }


def aggregate(values: Sequence[float], stderrs: Sequence[float | None] = ()) -> Agg | None:
    """Summary of ``values`` (None when empty); ``stderrs`` is used only for a single value."""
    vals = tuple(float(v) for v in values)
    if not vals:
        return None
    n = len(vals)
    mean = math.fsum(vals) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else None
    stderr = stderrs[0] if n == 1 and stderrs else None
    return Agg(values=vals, mean=mean, sd=sd, n=n, stderr=stderr)


@dataclass(frozen=True)
class Delta:
    """A label's mean minus the baseline's, with the combined standard error."""

    delta: float
    se: float | None

    @property
    def drop(self) -> bool:
        """A drop larger than twice the combined standard error."""
        return self.se is not None and self.se > 0 and self.delta < -2 * self.se

    def to_json(self) -> dict[str, object]:
        return {"delta": self.delta, "se": self.se, "flagged_drop": self.drop}


def delta(value: Agg | None, baseline: Agg | None) -> Delta | None:
    """``value - baseline`` (None when either is missing)."""
    if value is None or baseline is None:
        return None
    se = None
    if value.se is not None and baseline.se is not None:
        se = math.sqrt(value.se**2 + baseline.se**2)
    return Delta(value.mean - baseline.mean, se)
