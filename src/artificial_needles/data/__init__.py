"""Deprecated package (until 0.3): the evaluation data moved to :mod:`artificial_needles.eval`.

``artificial_needles.data.X`` is the module ``artificial_needles.eval.X`` under its old name
(``data.kv_eval`` is ``eval.kv_docs``), so existing imports keep working.
"""

import sys
import warnings
from importlib import import_module

warnings.warn(
    f"{__name__} is deprecated: import from artificial_needles.eval",
    DeprecationWarning,
    stacklevel=2,
)
for _old, _new in {
    "mdqa": "mdqa",
    "flenqa": "flenqa",
    "files": "files",
    "kv_eval": "kv_docs",
}.items():
    sys.modules[f"{__name__}.{_old}"] = import_module(f"artificial_needles.eval.{_new}")
