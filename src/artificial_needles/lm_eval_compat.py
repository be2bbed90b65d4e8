"""The one place that relies on lm-eval internals (lm-eval >= 0.4.11, < 0.5).

Everything else talks to lm-eval through its public API (``simple_evaluate``,
``TaskManager``, ``EvaluationTracker``). What is private, and why we use it:

* :func:`run_parser` - the ``lm_eval run`` argument parser (``lm_eval._cli.run.Run``) and
  ``EvaluatorConfig.from_cli``: ``artificial-needles eval`` takes exactly lm-eval's options.
* :func:`once_task_manager` - overrides ``TaskManager.load_task_or_group`` so that the length
  check and the run share one set of task objects.
* :func:`register_bucket_metrics` - gives a task object aggregations for metric names that only
  exist at run time (``acc_24576``, ``acc_depth_33``...). lm-eval aggregates a metric returned by
  ``process_results`` but absent from the YAML ``metric_list`` with a plain mean, and sets the
  task's sample count to the item count of the last metric it saw; so every document reports
  every bucket metric of the run (``scoring.MISSING`` outside its own bucket) and the bucket
  metrics are aggregated with ``scoring.bucket_mean``, registered here on the task.
* :func:`group_yaml_tasks` - the member list of a group YAML (lm-eval's index stores -1 there).

lm-eval is imported inside the functions only.
"""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Callable, Iterable
from typing import Any

from artificial_needles.errors import NeedlesError


def _need_lm_eval(exc: ImportError) -> NeedlesError:
    return NeedlesError(f"this needs lm-eval: pip install 'artificial-needles[eval]' ({exc})")


def run_parser(prog: str = "artificial-needles eval") -> argparse.ArgumentParser:
    """lm-eval's own ``run`` sub-parser (all of ``lm_eval run``'s options)."""
    try:
        from lm_eval._cli.run import Run
    except ImportError as exc:
        raise _need_lm_eval(exc) from exc
    top = argparse.ArgumentParser(prog=prog, add_help=False)
    Run(top.add_subparsers(dest="command"))
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    parser = sub.choices["run"]
    parser.prog = prog
    parser.usage = f"{prog} --model <model> --tasks <task> ... --model_args <arg=value> [options]"
    return parser


def parse_run_options(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed by lm-eval's ``run`` parser (options left out are absent or None)."""
    return run_parser().parse_args(argv)


def evaluator_config(ns: argparse.Namespace) -> Any:
    """lm-eval's ``EvaluatorConfig`` of a parsed namespace (metadata = model_args | metadata)."""
    from lm_eval.config.evaluate_config import EvaluatorConfig

    return EvaluatorConfig.from_cli(ns)


def once_task_manager(base: type) -> type:
    """A TaskManager subclass that builds each task list once: the length check and
    ``simple_evaluate`` then share the same task objects (datasets load once)."""

    class OnceTaskManager(base):  # type: ignore[misc, valid-type]
        def load_task_or_group(self, task_list: Any = None) -> dict[Any, Any]:
            # only top-level calls are shared; lm-eval's nested calls for groups build anew
            depth = self.__dict__.get("_needles_depth", 0)
            if depth:
                return super().load_task_or_group(task_list)
            key = json.dumps(task_list, sort_keys=True, default=str)
            cache = self.__dict__.setdefault("_needles_loaded", {})
            if key not in cache:
                self._needles_depth = 1
                try:
                    cache[key] = super().load_task_or_group(task_list)
                finally:
                    self._needles_depth = 0
            return cache[key]

    return OnceTaskManager


def register_bucket_metrics(
    custom_dataset: Callable[..., Any], keys: Iterable[str], aggregation: Callable[..., float]
) -> None:
    """Called from a task's ``custom_dataset``: register ``keys`` (higher is better, aggregated
    with ``aggregation``) on the lm-eval task object that is loading that dataset.

    Raises NeedlesError when no such task is on the call stack (another lm-eval version, or the
    function called outside lm-eval: then there is nothing to register and no error).
    """
    frame = inspect.currentframe()
    try:
        while frame is not None:
            task = frame.f_locals.get("self")
            config = getattr(task, "config", None)
            if getattr(config, "custom_dataset", None) is custom_dataset:
                aggs = getattr(task, "_aggregation_list", None)
                hib = getattr(task, "_higher_is_better", None)
                fns = getattr(task, "_metric_fn_list", None)
                if not (isinstance(aggs, dict) and isinstance(hib, dict)):
                    raise NeedlesError(
                        "this lm-eval version keeps no per-task aggregation table; per-bucket "
                        "metrics need lm-eval >= 0.4.11, < 0.5"
                    )
                for key in keys:
                    aggs[key] = aggregation
                    hib[key] = True
                    if isinstance(fns, dict):
                        fns.setdefault(key, None)
                return
            frame = frame.f_back
    finally:
        del frame


def group_yaml_tasks(yaml_path: str) -> list[Any]:
    """Members of the group defined in ``yaml_path`` (names or inline task dicts)."""
    from lm_eval import utils

    config = utils.load_yaml_config(yaml_path, mode="simple")
    tasks = config.get("task") or []
    return list(tasks) if isinstance(tasks, list) else [tasks]
