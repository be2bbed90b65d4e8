"""Evaluation API (stable import point): run lm-eval with our tasks.

* :func:`run_lm_eval`, :func:`run_lm_eval_each`, :func:`evaluate` - the runner
  (:mod:`artificial_needles.runner`);
* :func:`check_tasks` - check a task selection before any model loads
  (:mod:`artificial_needles.task_check`);
* :func:`check_prompt_lengths`, :class:`LengthProblem` - the length check
  (:mod:`artificial_needles.lengths`);
* ``artificial-needles eval`` lives in :mod:`artificial_needles.eval_cli`; everything that
  touches lm-eval internals in :mod:`artificial_needles.lm_eval_compat`.

lm-eval is imported inside functions only.
"""

from __future__ import annotations

from artificial_needles.eval_cli import configure_parser, run
from artificial_needles.lengths import LengthProblem, check_prompt_lengths
from artificial_needles.runner import evaluate, run_lm_eval
from artificial_needles.runner_each import EachResult, run_lm_eval_each
from artificial_needles.task_check import check_tasks

__all__ = [
    "EachResult",
    "LengthProblem",
    "check_prompt_lengths",
    "check_tasks",
    "configure_parser",
    "evaluate",
    "run",
    "run_lm_eval",
    "run_lm_eval_each",
]
