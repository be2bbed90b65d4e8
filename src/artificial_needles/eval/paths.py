"""Where the packaged lm-eval task folders live: the directory ``--include_path`` needs.

:func:`tasks_path` finds the package ``artificial_needles.lm_eval_tasks`` (the repository folder
``lm_eval_tasks/``) with :mod:`importlib.resources`, so the answer is right from a clone, an
editable install and a wheel alike; ``artificial-needles tasks-path`` prints it. (The packaged
Axolotl configs are found by :mod:`artificial_needles.cli.configs`.)
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def tasks_path() -> Path:
    """Directory to pass to ``lm_eval --include_path``.

    The repository folder ``lm_eval_tasks/`` is installed as ``artificial_needles.lm_eval_tasks``.
    """
    return Path(str(files("artificial_needles.lm_eval_tasks"))).resolve()
