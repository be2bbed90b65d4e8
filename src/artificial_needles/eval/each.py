"""One task at a time: :func:`run_lm_eval_each` (``artificial-needles eval --per_task`` and the
Axolotl plugin's evaluation use it).

The model loads once; each task runs on its own and its results are written to
``<output_path>/<task>/`` before the next task starts, so that one failing task never discards
the others. With ``skip_done`` a task whose folder already holds a results file is not run
again (resume after a crash); when every task is done the model is not even loaded.
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
    (one line each), the results file of each task that ran, and the tasks skipped because
    their results already existed (with those files)."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    skipped: dict[str, Path] = field(default_factory=dict)


def done_results(folder: str | Path) -> Path | None:
    """The newest results file under ``folder`` (lm-eval's ``results_<date>.json``, hidden
    model folders included), or None."""
    files = sorted(Path(folder).rglob("results_*.json"), key=lambda p: p.name)
    return files[-1] if files else None


def _not_done(tasks: list[str], output_path: Path, out: EachResult) -> list[str]:
    """The tasks without results under ``output_path``; the others go to ``out.skipped``."""
    todo = []
    for task in tasks:
        done = done_results(output_path / task)
        if done is None:
            todo.append(task)
        else:
            out.skipped[task] = done
            log.info("task %s: results exist (%s), skipped; --force reruns it", task, done)
    return todo


def _replace_older(folder: Path, new: Path) -> Path:
    """Remove the results files in ``folder`` other than ``new`` (a rerun replaces them)."""
    for old in folder.rglob("results_*.json"):
        if old != new:
            old.unlink()
    return new


def run_lm_eval_each(
    model_args: str | dict[str, Any] | None,
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
    skip_done: bool = False,
    include_path: str | list[str] | None = None,
    tracker_args: dict[str, Any] | None = None,
    **evaluate_kwargs: Any,
) -> EachResult:
    """Like :func:`~artificial_needles.eval.runner.run_lm_eval`, but the model loads once and each
    entry of ``tasks`` runs on its own, its results written to ``output_path/<task>/`` before
    the next starts; a failing task is logged and recorded in ``errors`` and the others still
    run. ``skip_done``: tasks whose folder holds a results file are skipped. Other
    ``evaluate_kwargs`` go to ``lm_eval.simple_evaluate`` as in
    :func:`~artificial_needles.eval.runner.evaluate`.

    Everything is checked first (:func:`~artificial_needles.eval.checks.check_tasks`): a bad task
    name, data path or metadata key raises before the model loads.
    """
    out = EachResult()
    todo = _not_done(tasks, Path(output_path), out) if skip_done else list(tasks)
    if not todo:
        return out
    kwargs = {
        **evaluate_kwargs,
        "limit": limit,
        "apply_chat_template": apply_chat_template,
        "batch_size": batch_size,
        "gen_kwargs": gen_kwargs,
    }
    s = open_session(model, model_args, todo, include_path, metadata, kwargs, run_info)
    for task in todo:
        where = Path(output_path) / task
        written = len(s.saved)
        try:
            out.results[task] = run_session(
                s,
                [task],
                output_path=str(where),
                log_samples=log_samples,
                check_lengths=check_lengths,
                tracker_args=tracker_args,
                evaluate_kwargs=kwargs,
            )
            if len(s.saved) > written:  # nothing is saved on the other ranks of a launch
                out.paths[task] = _replace_older(where, s.saved[-1])
        except Exception as exc:  # one failing task must not discard the others
            msg = " ".join(str(exc).split()) or type(exc).__name__
            out.errors[task] = msg
            log.error("task %s failed: %s", task, msg, exc_info=not isinstance(exc, NeedlesError))
    return out
