"""Evaluation with lm-evaluation-harness: the runner, its checks, our eval data and scorers.

Public API (importable from here; lm-eval is imported inside functions only):

* :func:`run_lm_eval`, :func:`run_lm_eval_each`, :func:`evaluate`: the runner
  (:mod:`~.runner`, :mod:`~.each`);
* :func:`check_tasks`: check a task selection before any model loads (:mod:`~.checks`);
* :func:`check_prompt_lengths`, :class:`LengthProblem`: the length check (:mod:`~.lengths`).

The rest of the package: :mod:`~.task_names` (the names of our tasks, families and groups),
:mod:`~.metadata` (our tasks' ``--metadata`` keys), :mod:`~.scoring`
(every scorer, usable without lm-eval), :mod:`~.mdqa`, :mod:`~.flenqa`, :mod:`~.kv_docs`,
:mod:`~.files` (eval data and exact prompts), :mod:`~.paths` (``--include_path``) and
:mod:`~.lm_eval_compat` (the one place that relies on lm-eval internals).
"""

from __future__ import annotations

from artificial_needles.eval.checks import check_tasks
from artificial_needles.eval.each import EachResult, run_lm_eval_each
from artificial_needles.eval.lengths import LengthProblem, check_prompt_lengths
from artificial_needles.eval.runner import evaluate, run_lm_eval

__all__ = [
    "EachResult",
    "LengthProblem",
    "check_prompt_lengths",
    "check_tasks",
    "evaluate",
    "run_lm_eval",
    "run_lm_eval_each",
]
