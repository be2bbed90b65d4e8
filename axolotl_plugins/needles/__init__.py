"""Axolotl plugin of artificial-needles: synthetic KV retrieval training data and evaluation.

Enable it with::

    plugins:
      - artificial_needles.axolotl.NeedlesPlugin
    needles_task: simple-kv
    needles_num_samples: 350

See ``README.md`` next to this file for every ``needles_*`` key. Importing this package is
cheap: the plugin class (which needs Axolotl) loads on first access.
"""

from __future__ import annotations

from typing import Any

from artificial_needles.axolotl.args import DATASET_TYPE, NeedlesArgs, check_unknown_keys

__all__ = ["DATASET_TYPE", "NeedlesArgs", "NeedlesPlugin", "check_unknown_keys"]


def __getattr__(name: str) -> Any:
    if name == "NeedlesPlugin":
        from artificial_needles.axolotl.plugin import NeedlesPlugin

        return NeedlesPlugin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
