"""Run lm-eval with our tasks included: ``artificial-needles eval`` and :func:`run_lm_eval`.

Both go through lm-eval's Python API (``simple_evaluate`` with a ``TaskManager`` whose include
path holds our task folders) and write lm-eval's usual files through its ``EvaluationTracker``
(``<output_path>/<model>/results_<date>.json``, with ``log_samples`` ``samples_*.jsonl``).

Before the run, :func:`check_prompt_lengths` makes sure no prompt would be truncated: every
selected generation task's longest prompt, exactly as lm-eval will build it (chat template
included), plus its generation budget must fit the model's ``max_length``.

lm-eval is imported inside functions only: the core never needs it at import time.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from artificial_needles.errors import NeedlesError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LengthProblem:
    """A task whose longest prompt plus generation budget exceeds the model's max_length."""

    task: str
    prompt_tokens: int
    gen_tokens: int
    max_length: int

    @property
    def over(self) -> int:
        """Tokens over the limit."""
        return self.prompt_tokens + self.gen_tokens - self.max_length

    def __str__(self) -> str:
        return (
            f"{self.task}: longest prompt {self.prompt_tokens} tokens + {self.gen_tokens} "
            f"generated = {self.prompt_tokens + self.gen_tokens} > max_length "
            f"{self.max_length} (over by {self.over} tokens)"
        )


def _parse_model_args(model_args: str | dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(model_args, dict):
        return dict(model_args)
    from lm_eval.utils import simple_parse_args_string

    return simple_parse_args_string(model_args or "")


def _leaf_tasks(task_dict: dict[Any, Any]) -> Iterator[Any]:
    for value in task_dict.values():
        if isinstance(value, dict):
            yield from _leaf_tasks(value)
        else:
            yield value


def check_prompt_lengths(
    lm: Any,
    task_dict: dict[Any, Any],
    *,
    limit: int | float | None = None,
    apply_chat_template: bool | str = False,
    system_instruction: str | None = None,
    fewshot_as_multiturn: bool = False,
    gen_kwargs: dict[str, Any] | None = None,
) -> list[LengthProblem]:
    """Generation tasks of ``task_dict`` whose longest prompt (as lm-eval builds it for ``lm``)
    plus ``max_gen_toks`` exceeds ``lm.max_length``; empty when all fit."""
    from lm_eval.evaluator_utils import get_sample_size

    max_length = int(lm.max_length)
    template = None
    if apply_chat_template:
        template = lm.apply_chat_template
    problems = []
    for task in _leaf_tasks(task_dict):
        if task.get_config("output_type") != "generate_until":
            continue
        budget = dict(task.get_config("generation_kwargs") or {})
        budget.update(gen_kwargs or {})
        gen_tokens = int(
            budget.get(
                "max_gen_toks", budget.get("max_new_tokens", getattr(lm, "max_gen_toks", 256))
            )
        )
        docs = list(task.eval_docs)
        n = get_sample_size(task, limit)
        if n is not None:
            docs = docs[:n]
        longest = 0
        for doc in docs:
            ctx = task.fewshot_context(
                doc,
                num_fewshot=task.get_config("num_fewshot") or 0,
                system_instruction=system_instruction,
                apply_chat_template=bool(apply_chat_template),
                fewshot_as_multiturn=fewshot_as_multiturn,
                chat_template=template,
                gen_prefix=task.doc_to_prefix(doc),
            )
            longest = max(longest, len(lm.tok_encode(ctx)))
        if longest + gen_tokens > max_length:
            problems.append(LengthProblem(task.get_config("task"), longest, gen_tokens, max_length))
    return problems


def _once_task_manager(base: type) -> type:
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


def _save(tracker: Any, results: dict[str, Any], log_samples: bool) -> None:
    samples = results.get("samples") if log_samples else None
    to_save = {k: v for k, v in results.items() if k != "samples"}
    tracker.save_results_aggregated(results=to_save, samples=samples)
    if log_samples and samples:
        for task_name in results["configs"]:
            tracker.save_results_samples(task_name=task_name, samples=samples[task_name])


def evaluate(
    *,
    model: str,
    model_args: str | dict[str, Any] | None,
    tasks: list[str],
    include_path: str | list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    output_path: str | None = None,
    log_samples: bool = False,
    check_lengths: bool = True,
    tracker_args: dict[str, Any] | None = None,
    **evaluate_kwargs: Any,
) -> dict[str, Any]:
    """The shared runner: build the model once, check prompt lengths, ``simple_evaluate``, save.

    ``evaluate_kwargs`` go to ``lm_eval.simple_evaluate`` (``limit``, ``batch_size``,
    ``apply_chat_template``, ``gen_kwargs``, ``system_instruction``...).
    """
    import lm_eval
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager, get_task_dict
    from lm_eval.utils import simple_parse_args_string

    from artificial_needles.paths import tasks_path

    if not tasks:
        raise NeedlesError("no tasks given; e.g. --tasks kv_retrieval_simple")
    args_dict = _parse_model_args(model_args)
    meta = args_dict | (metadata or {})
    chat = evaluate_kwargs.get("apply_chat_template", False)
    if chat:
        # the synthetic tasks then size their prompts through the chat template
        meta.setdefault("chat_template", True)
    paths = [str(tasks_path())]
    if include_path:
        paths += [include_path] if isinstance(include_path, str) else list(include_path)
    task_manager = _once_task_manager(TaskManager)(include_path=paths, metadata=meta)
    unknown = [t for t in tasks if not task_manager.match_tasks([t])]
    if unknown:
        raise NeedlesError(
            f"unknown task(s) {unknown}; list them with "
            f"`lm_eval ls tasks --include_path {paths[0]}`"
        )

    extra = {
        "batch_size": evaluate_kwargs.get("batch_size", 1),
        "max_batch_size": evaluate_kwargs.get("max_batch_size"),
        # lm_eval's CLI default: falls back to the CPU when no GPU is present
        "device": evaluate_kwargs.get("device") or "cuda:0",
    }
    # model_args win (e.g. device=cpu given there), as they do in lm_eval's CLI
    extra = {k: v for k, v in extra.items() if k not in args_dict}
    lm = lm_eval.api.registry.get_model(model).create_from_arg_obj(args_dict, extra)
    gen_kwargs = evaluate_kwargs.get("gen_kwargs")
    if check_lengths:
        if not (hasattr(lm, "tok_encode") and hasattr(lm, "max_length")):
            log.warning(
                "model %s has no tokenizer or max_length: prompt lengths not checked", model
            )
        else:
            problems = check_prompt_lengths(
                lm,
                get_task_dict(tasks, task_manager),
                limit=evaluate_kwargs.get("limit"),
                apply_chat_template=chat,
                system_instruction=evaluate_kwargs.get("system_instruction"),
                fewshot_as_multiturn=bool(evaluate_kwargs.get("fewshot_as_multiturn", False)),
                gen_kwargs=(
                    simple_parse_args_string(gen_kwargs)
                    if isinstance(gen_kwargs, str)
                    else gen_kwargs
                ),
            )
            if problems:
                raise NeedlesError(
                    "prompts would be truncated (lm-eval cuts them silently):\n  "
                    + "\n  ".join(map(str, problems))
                    + "\nraise max_length in --model_args (if the model supports it), lower "
                    "the task's lengths (e.g. --metadata max_seq_lengths) or max_gen_toks, "
                    "or pass --no_check_lengths to run anyway"
                )

    tracker = EvaluationTracker(output_path=output_path, **(tracker_args or {}))
    results = lm_eval.simple_evaluate(
        model=lm,
        tasks=tasks,
        task_manager=task_manager,
        evaluation_tracker=tracker,
        log_samples=log_samples,
        **evaluate_kwargs,
    )
    if results is None:  # non-zero rank of a distributed run
        return {}
    # simple_evaluate saw a ready model object: record how the model was named, like lm_eval does
    results["config"]["model"] = model
    results["config"]["model_args"] = model_args
    tracker.general_config_tracker.log_experiment_args(
        model_source=model,
        model_args=model_args or "",
        system_instruction=evaluate_kwargs.get("system_instruction"),
        chat_template=lm.chat_template(chat) if chat else None,
        fewshot_as_multiturn=bool(evaluate_kwargs.get("fewshot_as_multiturn", False)),
    )
    if output_path:
        _save(tracker, results, log_samples)
    if tracker.push_results_to_hub or tracker.push_samples_to_hub:
        tracker.recreate_metadata_card()
    return results


def run_lm_eval(
    model_args: str,
    tasks: list[str],
    *,
    model: str = "hf",
    output_path: str | None = None,
    limit: int | float | None = None,
    metadata: dict[str, Any] | None = None,
    apply_chat_template: bool = False,
    batch_size: int | str = 1,
    log_samples: bool = False,
    gen_kwargs: str | None = None,
    check_lengths: bool = True,
) -> dict[str, Any]:
    """Evaluate ``model`` on ``tasks`` (ours and lm-eval's) and return lm-eval's results dict.

    ``model_args`` is lm-eval's string (``pretrained=PATH,max_length=8192``); ``metadata`` is
    merged over it and passed to the tasks (e.g. ``{"mdqa_data": PATH}``,
    ``{"max_seq_lengths": [4096, 8192]}``). With ``output_path`` the usual result files are
    written there. With ``log_samples`` the returned dict also holds ``samples``. Raises
    :class:`~artificial_needles.errors.NeedlesError` when a prompt would not fit (unless
    ``check_lengths`` is false) or a task is unknown.
    """
    return evaluate(
        model=model,
        model_args=model_args,
        tasks=list(tasks),
        metadata=metadata,
        output_path=output_path,
        log_samples=log_samples,
        check_lengths=check_lengths,
        limit=limit,
        apply_chat_template=apply_chat_template,
        batch_size=batch_size,
        gen_kwargs=gen_kwargs,
    )


# -- command line ----------------------------------------------------------------------------


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``artificial-needles eval``; every other option is lm-eval's own."""
    parser.description = (
        "Run lm-eval (its Python API) with the artificial-needles tasks included. Takes the "
        "options of `lm_eval run` (--model, --model_args, --tasks, --limit, --metadata, "
        "--output_path, --log_samples, --apply_chat_template, --gen_kwargs, --batch_size ...)."
    )
    parser.add_argument(
        "--no_check_lengths",
        action="store_true",
        help="skip the check that every prompt plus its generation budget fits max_length",
    )
    parser.set_defaults(func=run)


def _lm_eval_options(argv: list[str]) -> Any:
    """Parse ``argv`` with lm-eval's own ``run`` parser into its ``EvaluatorConfig``."""
    try:
        from lm_eval._cli.run import Run
        from lm_eval.config.evaluate_config import EvaluatorConfig
    except ImportError as exc:
        raise NeedlesError(
            f"artificial-needles eval needs lm-eval: pip install 'artificial-needles[eval]' ({exc})"
        ) from exc
    top = argparse.ArgumentParser(prog="artificial-needles eval", add_help=False)
    Run(top.add_subparsers(dest="command"))
    ns = top.parse_args(["run", *argv])
    if not getattr(ns, "tasks", None):
        raise NeedlesError("--tasks is required, e.g. --tasks kv_retrieval_simple")
    return EvaluatorConfig.from_cli(ns)


def run(args: argparse.Namespace) -> int:
    """``artificial-needles eval``: run lm-eval, save its result files, print its tables."""
    cfg = _lm_eval_options(list(getattr(args, "extra", [])))
    from lm_eval.utils import handle_non_serializable, make_table

    if cfg.wandb_args:
        raise NeedlesError(
            "--wandb_args is not supported by artificial-needles eval; use `lm_eval run "
            '--include_path "$(artificial-needles tasks-path)" ...` for W&B logging'
        )
    tracker_args = dict(cfg.hf_hub_log_args or {})
    tracker_args.pop("output_path", None)
    seed = cfg.seed or [None, None, None, None]
    metadata = {k: v for k, v in (cfg.metadata or {}).items() if k not in (cfg.model_args or {})}
    results = evaluate(
        model=cfg.model,
        model_args=cfg.model_args,
        tasks=list(cfg.tasks),
        include_path=cfg.include_path,
        metadata=metadata,
        output_path=cfg.output_path,
        log_samples=bool(cfg.log_samples),
        check_lengths=not args.no_check_lengths,
        tracker_args=tracker_args,
        num_fewshot=cfg.num_fewshot,
        batch_size=cfg.batch_size,
        max_batch_size=cfg.max_batch_size,
        device=cfg.device,
        limit=cfg.limit,
        samples=cfg.samples,
        system_instruction=cfg.system_instruction,
        apply_chat_template=cfg.apply_chat_template,
        fewshot_as_multiturn=cfg.fewshot_as_multiturn,
        gen_kwargs=cfg.gen_kwargs or None,
        predict_only=cfg.predict_only,
        random_seed=seed[0],
        numpy_random_seed=seed[1],
        torch_random_seed=seed[2],
        fewshot_random_seed=seed[3],
    )
    if not results:
        return 0
    results.pop("samples", None)
    if cfg.show_config:
        print(json.dumps(results, indent=2, default=handle_non_serializable, ensure_ascii=False))
    print(
        f"{cfg.model} ({cfg.model_args}), gen_kwargs: ({cfg.gen_kwargs}), limit: {cfg.limit}, "
        f"num_fewshot: {cfg.num_fewshot}, batch_size: {cfg.batch_size}"
    )
    print(make_table(results))
    if "groups" in results:
        print(make_table(results, "groups"))
    sys.stdout.flush()
    return 0
