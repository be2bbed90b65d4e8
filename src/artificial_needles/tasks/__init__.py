"""Deprecated package (until 0.3): the generators moved to :mod:`artificial_needles.generators`.

``artificial_needles.tasks.X`` is the module ``artificial_needles.generators.X`` under its old
name (``tasks.generator`` is ``generators.task``), so existing imports keep working.
"""

import sys
import warnings
from importlib import import_module

warnings.warn(
    f"{__name__} is deprecated: import from artificial_needles.generators (or artificial_needles)",
    DeprecationWarning,
    stacklevel=2,
)
_NEW = {"generator": "task"}
for _old in (
    "generator",
    "budget",
    "config",
    "distractors",
    "draw",
    "exact_count",
    "multi_subkey_kv",
    "pair_batch",
    "parse",
    "sample",
    "simple_kv",
):
    sys.modules[f"{__name__}.{_old}"] = import_module(
        f"artificial_needles.generators.{_NEW.get(_old, _old)}"
    )
