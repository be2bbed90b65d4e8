"""The one place that relies on lm-eval internals (lm-eval >= 0.4.11, < 0.5).

Everything else talks to lm-eval through its public API (``simple_evaluate``,
``TaskManager``, ``EvaluationTracker``). What is private, and why we use it:

* :func:`run_parser` - the ``lm_eval run`` argument parser (``lm_eval._cli.run.Run``) and
  ``EvaluatorConfig.from_cli``: ``artificial-needles eval`` takes exactly lm-eval's options.
* :func:`load_tasks` - task objects through ``TaskManager.load()`` (0.4.12 on) or
  ``load_task_or_group`` (0.4.11, where ``load`` does not exist yet); never the deprecated
  ``get_task_dict``.
* :func:`once_task_manager` - overrides that loader so that the length check and the run share
  one set of task objects.
* :func:`register_bucket_metrics` - gives a task object aggregations for metric names that only
  exist at run time (``acc_24576``, ``acc_depth_33``...). lm-eval aggregates a metric returned by
  ``process_results`` but absent from the YAML ``metric_list`` with a plain mean, and sets the
  task's sample count to the item count of the last metric it saw; so every document reports
  every bucket metric of the run (``scoring.MISSING`` outside its own bucket) and the bucket
  metrics are aggregated with ``scoring.bucket_mean``, registered here on the task.
* :func:`group_yaml_tasks` - the member list of a group YAML (lm-eval's index stores -1 there).
* :func:`index_entry` - kind, YAML path and tag members of a name in ``TaskManager.task_index``
  (0.4.11/0.4.12 store dicts, 0.4.13 ``Entry`` dataclasses with a ``Kind`` enum).
* :class:`TokenizerLM` - ``HFLM``'s tokenizing and chat-template rules without a model (plans).
* :func:`quiet_git_probe` - lm-eval records the git commit of the working directory with
  ``git describe``, whose "fatal: not a git repository" reaches the terminal outside a
  repository; ``lm_eval.evaluator.get_git_commit_hash`` is replaced by the same probe with git's
  stderr silenced.
* :func:`load_task_yaml` - a task YAML with its includes merged (``lm_eval.utils.load_yaml_config``
  up to 0.4.12, ``lm_eval.tasks._yaml_loader.load_yaml`` from 0.4.13).

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
    commands = top.add_subparsers(dest="command")
    Run(commands)
    parser = commands.choices["run"]
    parser.prog = prog
    parser.usage = f"{prog} --model <model> --tasks <task> ... --model_args <arg=value> [options]"
    return parser


def parse_run_options(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed by lm-eval's ``run`` parser (options left out are absent or None).

    A value lm-eval's parser rejects (e.g. ``--metadata '["a"]'`` from 0.4.13 on) is a
    NeedlesError naming the option, not an exit from inside lm-eval.
    """
    parser = run_parser()

    def error(message: str) -> None:
        if "--metadata" in message:
            message += "; --metadata takes a JSON object or KEY=VALUE pairs"
        raise NeedlesError(f"{message} (see artificial-needles eval --help)")

    parser.error = error  # type: ignore[method-assign]
    return parser.parse_args(argv)


def evaluator_config(ns: argparse.Namespace) -> Any:
    """lm-eval's ``EvaluatorConfig`` of a parsed namespace (metadata = model_args | metadata)."""
    from lm_eval.config.evaluate_config import EvaluatorConfig

    return EvaluatorConfig.from_cli(ns)


def _loader_name(manager_class: type) -> str:
    # TaskManager.load() from 0.4.12 (load_task_or_group is deprecated there); 0.4.11 has only
    # load_task_or_group, which is not deprecated in that version
    return "load" if hasattr(manager_class, "load") else "load_task_or_group"


def load_tasks(manager: Any, tasks: Any) -> dict[Any, Any]:
    """The task objects of ``tasks`` (names, YAML paths or config dicts) built by ``manager``,
    through the loader this lm-eval version does not deprecate: ``TaskManager.load()`` (0.4.12
    on; its flat ``{name: Task}``), else ``load_task_or_group`` (0.4.11; groups nest as dicts).
    """
    if _loader_name(type(manager)) == "load":
        return dict(manager.load(tasks)["tasks"])
    return manager.load_task_or_group(tasks)


def once_task_manager(base: type) -> type:
    """A TaskManager subclass that builds each task list once: the length check and
    ``simple_evaluate`` then share the same task objects (datasets load once).

    The loader ``simple_evaluate`` calls is overridden: ``load`` where lm-eval has it (0.4.12
    on), else ``load_task_or_group``.
    """
    name = _loader_name(base)

    def once(self: Any, task_list: Any = None) -> Any:
        parent = getattr(super(cls, self), name)
        # only top-level calls are shared; lm-eval 0.4.11's nested calls for groups build anew
        if self.__dict__.get("_needles_depth", 0):
            return parent(task_list)
        key = json.dumps(task_list, sort_keys=True, default=str)
        cache = self.__dict__.setdefault("_needles_loaded", {})
        if key not in cache:
            self._needles_depth = 1
            try:
                cache[key] = parent(task_list)
            finally:
                self._needles_depth = 0
        return cache[key]

    cls = type("OnceTaskManager", (base,), {name: once, "__doc__": once_task_manager.__doc__})
    return cls


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


def load_task_yaml(yaml_path: str, functions: bool = True) -> dict[str, Any]:
    """The task or group YAML at ``yaml_path`` with its ``include`` merged; ``!function`` values
    are the functions when ``functions`` is true, else left unresolved."""
    try:
        from lm_eval.utils import load_yaml_config
    except ImportError:  # lm-eval >= 0.4.13
        from lm_eval.tasks._yaml_loader import load_yaml

        return load_yaml(yaml_path, resolve_func=functions, recursive=True)
    return load_yaml_config(str(yaml_path), mode="full" if functions else "simple")


def index_entry(manager: Any, name: str) -> tuple[str | None, str, list[str]]:
    """``(kind, yaml_path, tag_members)`` of ``name`` in ``manager.task_index``.

    ``kind`` is ``"task"``, ``"group"``, ``"tag"`` (or another lm-eval kind, lower case), None
    when the name is not indexed; ``yaml_path`` is "" when there is none; ``tag_members`` lists
    the tasks of a tag (empty otherwise).
    """
    entry = manager.task_index.get(name)
    if entry is None:
        return None, "", []
    if isinstance(entry, dict):  # lm-eval 0.4.11, 0.4.12
        kind, path = entry.get("type"), entry.get("yaml_path")
        members = entry.get("task", []) if kind == "tag" else []
    else:  # lm-eval 0.4.13: Entry(name, kind: Kind, yaml_path, cfg, tags)
        kind = getattr(getattr(entry, "kind", None), "name", None)
        kind = kind.lower() if isinstance(kind, str) else None
        path = getattr(entry, "yaml_path", None)
        members = sorted(getattr(entry, "tags", ())) if kind == "tag" else []
    path = "" if path in (None, -1) else str(path)
    return kind, path, [m for m in members if isinstance(m, str)]


def group_yaml_tasks(yaml_path: str) -> list[Any]:
    """Members of the group defined in ``yaml_path`` (names or inline task dicts)."""
    config = load_task_yaml(yaml_path, functions=False)
    tasks = config.get("task") or []
    return list(tasks) if isinstance(tasks, list) else [tasks]


class TokenizerLM:
    """Stands in for lm-eval's ``HFLM`` where only its tokenizer is needed (a plan: no model
    loads): ``tok_encode`` and ``apply_chat_template`` follow ``HFLM``'s 0.4.11-0.4.13 rules
    (special tokens added unless the text already starts with the BOS text or ``add_bos_token``
    says otherwise; a template that rejects a system turn is applied without it)."""

    def __init__(
        self, tokenizer: Any, add_bos_token: bool | None = None, max_length: int | None = None
    ) -> None:
        self.tokenizer = tokenizer
        self.add_bos_token = add_bos_token
        self.max_length = max_length
        self.max_gen_toks = 256
        bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else None
        prefix = bos if bos is not None else tokenizer.eos_token_id
        self._prefix = tokenizer.decode(prefix) if prefix is not None else None

    def tok_encode(self, string: str) -> list[int]:
        kwargs = {} if self.add_bos_token is None else {"add_special_tokens": self.add_bos_token}
        if self._prefix and string.startswith(self._prefix):
            kwargs["add_special_tokens"] = False
        return self.tokenizer.encode(string, **kwargs)

    def apply_chat_template(
        self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str:
        import jinja2

        kwargs = {
            "tokenize": False,
            "add_generation_prompt": add_generation_prompt,
            "continue_final_message": not add_generation_prompt,
        }
        try:
            return self.tokenizer.apply_chat_template(chat_history, **kwargs)
        except jinja2.exceptions.TemplateError:
            chat_history = [m for m in chat_history if m["role"] != "system"]
            return self.tokenizer.apply_chat_template(chat_history, **kwargs)


def _git_commit_hash() -> str | None:
    """lm-eval's ``get_git_commit_hash`` without git's complaint on stderr."""
    import os
    import subprocess

    try:
        out = subprocess.check_output(
            ["git", "describe", "--always"], stderr=subprocess.DEVNULL
        )
        return out.strip().decode()
    except (subprocess.CalledProcessError, FileNotFoundError):
        from lm_eval.loggers.utils import get_commit_from_path

        return get_commit_from_path(os.getcwd())


def quiet_git_probe() -> None:
    """Make ``simple_evaluate`` record the git commit (as before) without git's stderr."""
    from lm_eval import evaluator

    if hasattr(evaluator, "get_git_commit_hash"):
        evaluator.get_git_commit_hash = _git_commit_hash
