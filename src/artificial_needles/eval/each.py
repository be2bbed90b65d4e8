"""One task at a time: :func:`run_lm_eval_each` (the Axolotl post-train eval uses it).

The model loads once; each task runs on its own and its results are written before the next
task starts, so that one failing task never discards the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.eval.runner import open_session, run_session

log = logging.getLogger(__name__)


@dataclass
class EachResult:
    """Outcome of :func:`run_lm_eval_each`: results of the tasks that ran, errors of the others
    (one line each), and where each task's results went."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)


def run_lm_eval_each(
    model_args: str,
    tasks: list[str],
    *,
    output_path: str | Path,
    model: str = "hf",
    limit: int | float | None = None,
    metadata: dict[str, Any] | None = None,
    apply_chat_template: bool | None = None,
    batch_size: int | str = 1,
    log_samples: bool = False,
    gen_kwargs: str | None = None,
    check_lengths: bool = True,
    run_info: dict[str, Any] | None = None,
) -> EachResult:
    """Like :func:`run_lm_eval`, but the model loads once and each entry of ``tasks`` runs on
    its own, its results written to ``output_path/<task>/`` before the next starts; a failing
    task is logged and recorded in ``errors`` and the others still run.

    Everything is checked first (:func:`~artificial_needles.eval.checks.check_tasks`): a bad task
    name, data path or metadata key raises before the model loads.
    """
    kwargs = {
        "limit": limit,
        "apply_chat_template": apply_chat_template,
        "batch_size": batch_size,
        "gen_kwargs": gen_kwargs,
    }
    s = open_session(model, model_args, list(tasks), None, metadata, kwargs, run_info)
    out = EachResult()
    for task in tasks:
        where = Path(output_path) / task
        try:
            out.results[task] = run_session(
                s,
                [task],
                output_path=str(where),
                log_samples=log_samples,
                check_lengths=check_lengths,
                tracker_args=None,
                evaluate_kwargs=kwargs,
            )
            out.paths[task] = where
        except Exception as exc:  # one failing task must not discard the others
            msg = " ".join(str(exc).split()) or type(exc).__name__
            out.errors[task] = msg
            log.error("task %s failed: %s", task, msg, exc_info=not isinstance(exc, NeedlesError))
    return out
