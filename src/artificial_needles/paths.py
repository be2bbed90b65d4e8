"""Where the packaged lm-eval tasks and Axolotl configs live."""

from __future__ import annotations

from pathlib import Path


def tasks_path() -> Path:
    """Directory to pass to ``lm_eval --include_path``."""
    import lm_eval_tasks

    return Path(lm_eval_tasks.__file__).resolve().parent
