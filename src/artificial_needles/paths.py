"""Where the packaged lm-eval task folders live (the directory for ``--include_path``)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def tasks_path() -> Path:
    """Directory to pass to ``lm_eval --include_path``.

    The repository folder ``lm_eval_tasks/`` is installed as ``artificial_needles.lm_eval_tasks``.
    """
    return Path(str(files("artificial_needles.lm_eval_tasks"))).resolve()
