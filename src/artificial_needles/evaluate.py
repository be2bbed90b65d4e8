"""Deprecated import path (until 0.3): use :mod:`artificial_needles.eval`.

This module is the new one under its old name, so existing imports keep working.
"""

import sys
import warnings
from importlib import import_module

warnings.warn(
    f"{__name__} is deprecated: import from artificial_needles.eval",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = import_module("artificial_needles.eval")
