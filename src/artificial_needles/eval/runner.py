"""The lm-eval runner: our tasks through lm-eval's Python API, with the length check.

:func:`evaluate` (used by ``artificial-needles eval``), :func:`run_lm_eval` (one call, all
tasks) and :func:`run_lm_eval_each` (one task at a time, each task's results written before the
next starts) share one path: check the tasks (:func:`~artificial_needles.eval.checks.check_tasks`)
before the model loads, build the model once, decide the chat template, check prompt lengths
(:mod:`artificial_needles.eval.lengths`), ``simple_evaluate``, save lm-eval's usual files
(``<output_path>/<model>/results_<date>.json``) with our run record under the top-level key
``"artificial_needles"`` (label, seed, apply_chat_template, stage, version; docs/report.md).
A save that fails (lm-eval only logs it) writes a fallback file and raises; the returned
results carry the file written under :data:`RESULTS_FILE`.

The chat-template rule: instruct models are evaluated through their chat template, as in the
paper. ``apply_chat_template=None`` (the default) applies it when the model's tokenizer has one;
the decision is recorded in the results, and base and finetuned runs use the same rule.

(About 300 lines on purpose: the session, the run and the public entry points are one path
with one set of lm-eval options; split, each part would repeat them.)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError

log = logging.getLogger(__name__)
RUN_KEY = "artificial_needles"
#: Key of the results dict returned by :func:`run_session`: the results file it wrote.
RESULTS_FILE = "results_file"


def parse_model_args(model_args: str | dict[str, Any] | None) -> dict[str, Any]:
    """lm-eval's ``model_args`` string (``pretrained=X,max_length=N``) as a dict."""
    if isinstance(model_args, dict):
        return dict(model_args)
    from lm_eval.utils import simple_parse_args_string

    return simple_parse_args_string(model_args or "")


def has_chat_template(lm: Any) -> bool:
    """Whether the loaded lm-eval model's tokenizer carries a chat template."""
    tokenizer = getattr(lm, "tokenizer", None)
    return bool(getattr(tokenizer, "chat_template", None))


def run_record(
    run_info: dict[str, Any] | None,
    model_args: dict[str, Any],
    metadata: dict[str, Any],
    chat: bool | str,
) -> dict[str, Any]:
    """The ``"artificial_needles"`` entry of a results file (label, seed, apply_chat_template,
    stage, version): the one builder of it, for ``artificial-needles eval``, ``run_lm_eval`` and
    the Axolotl plugin. ``run_info`` gives label, seed and stage (the label defaults to the
    model's ``pretrained``, the seed to the metadata's); ``chat`` is the chat-template choice."""
    from artificial_needles import __version__

    info = dict(run_info or {})
    label = info.get("label") or str(model_args.get("pretrained") or "model")
    seed = info.get("seed", metadata.get("seed"))
    return {
        "label": str(label),
        "seed": None if seed is None else int(seed),
        "apply_chat_template": bool(chat),
        "stage": info.get("stage"),
        "version": __version__,
    }


def task_metadata(
    args_dict: dict[str, Any],
    metadata: dict[str, Any] | None,
    chat: bool | str,
    system_instruction: str | None,
) -> dict[str, Any]:
    """The task metadata of a run: model_args, then the user's metadata; with the chat template
    the synthetic tasks size their prompts through it, with the system turn that lm-eval
    renders before each prompt."""
    meta = args_dict | (metadata or {})
    if chat:
        meta.setdefault("chat_template", True)
        if system_instruction:
            meta.setdefault("system_instruction", system_instruction)
    return meta


@dataclass
class Session:
    """A loaded model with the settings every task of the run shares (from open_session)."""

    model: str
    model_args: str | dict[str, Any] | None
    args_dict: dict[str, Any]
    lm: Any
    chat: bool | str
    meta: dict[str, Any]
    paths: list[str]
    record: dict[str, Any] = field(default_factory=dict)
    #: results files written by :func:`run_session`, in order
    saved: list[Path] = field(default_factory=list)


def open_session(
    model: str,
    model_args: Any,
    tasks: Sequence[str],
    include_path: Any,
    metadata: dict[str, Any] | None,
    evaluate_kwargs: dict[str, Any],
    run_info: Any,
) -> Session:
    import lm_eval

    from artificial_needles.eval.checks import check_model_path, check_tasks, include_paths

    args_dict = parse_model_args(model_args)
    if model in ("hf", "huggingface", "vllm") and not args_dict.get("pretrained"):
        raise NeedlesError(f"--model {model} needs --model_args pretrained=PATH_OR_HUB_NAME")
    if args_dict.get("pretrained"):
        check_model_path(str(args_dict["pretrained"]))
    check_tasks(
        tasks,
        metadata,
        model_args=args_dict,
        include_path=include_path,
        limit=evaluate_kwargs.get("limit"),
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
    chat = evaluate_kwargs.get("apply_chat_template")
    if chat is None:
        chat = has_chat_template(lm)
        log.info(
            "chat template %s (the model's tokenizer %s one)",
            "applied" if chat else "not applied",
            "has" if chat else "has no",
        )
    meta = task_metadata(args_dict, metadata, chat, evaluate_kwargs.get("system_instruction"))
    session = Session(model, model_args, args_dict, lm, chat, meta, include_paths(include_path))
    session.record = run_record(run_info, args_dict, metadata or {}, chat)
    return session


def _check_lengths(s: Session, task_dict: dict[str, Any], kwargs: dict[str, Any]) -> None:
    """Raise NeedlesError when a prompt of ``task_dict`` would be truncated by the model."""
    from lm_eval.utils import simple_parse_args_string

    from artificial_needles.eval.lengths import check_prompt_lengths

    if not (hasattr(s.lm, "tok_encode") and hasattr(s.lm, "max_length")):
        log.warning("model %s has no tokenizer or max_length: lengths not checked", s.model)
        return
    gen_kwargs = kwargs.get("gen_kwargs")
    problems = check_prompt_lengths(
        s.lm,
        task_dict,
        limit=kwargs.get("limit"),
        apply_chat_template=s.chat,
        system_instruction=kwargs.get("system_instruction"),
        fewshot_as_multiturn=bool(kwargs.get("fewshot_as_multiturn", False)),
        gen_kwargs=(
            simple_parse_args_string(gen_kwargs) if isinstance(gen_kwargs, str) else gen_kwargs
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


def run_session(
    s: Session,
    tasks: list[str],
    *,
    output_path: str | None,
    log_samples: bool,
    check_lengths: bool,
    tracker_args: dict[str, Any] | None,
    evaluate_kwargs: dict[str, Any],
) -> dict[str, Any]:
    """Run ``tasks`` on the session's model (lm-eval's ``simple_evaluate``), prompt lengths
    checked first, our record added; saved under ``output_path`` when given. Returns lm-eval's
    results (``{}`` on a non-zero rank of a distributed run)."""
    import lm_eval
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from artificial_needles.eval.lm_eval_compat import (
        load_tasks,
        once_task_manager,
        quiet_git_probe,
    )
    from artificial_needles.eval.outputs import save_results

    kwargs = {**evaluate_kwargs, "apply_chat_template": s.chat}
    task_manager = once_task_manager(TaskManager)(include_path=s.paths, metadata=dict(s.meta))
    if check_lengths:
        _check_lengths(s, load_tasks(task_manager, tasks), kwargs)
    quiet_git_probe()
    tracker = EvaluationTracker(output_path=output_path, **(tracker_args or {}))
    results = lm_eval.simple_evaluate(
        model=s.lm,
        tasks=tasks,
        task_manager=task_manager,
        evaluation_tracker=tracker,
        log_samples=log_samples,
        **kwargs,
    )
    if results is None:  # non-zero rank of a distributed run
        return {}
    # simple_evaluate saw a ready model object: record how the model was named, like lm_eval does
    results["config"]["model"] = s.model
    results["config"]["model_args"] = s.model_args
    results[RUN_KEY] = dict(s.record)
    tracker.general_config_tracker.log_experiment_args(
        model_source=s.model,
        model_args=s.model_args or "",
        system_instruction=kwargs.get("system_instruction"),
        chat_template=s.lm.chat_template(s.chat) if s.chat else None,
        fewshot_as_multiturn=bool(kwargs.get("fewshot_as_multiturn", False)),
    )
    if output_path:
        s.saved.append(save_results(tracker, results, log_samples))
        results[RESULTS_FILE] = str(s.saved[-1])  # returned only: where the file went
    if tracker.push_results_to_hub or tracker.push_samples_to_hub:
        tracker.recreate_metadata_card()
    return results


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
    run_info: dict[str, Any] | None = None,
    **evaluate_kwargs: Any,
) -> dict[str, Any]:
    """The shared runner: check tasks, build the model once, check prompt lengths,
    ``simple_evaluate``, save. ``evaluate_kwargs`` go to ``lm_eval.simple_evaluate`` (``limit``,
    ``batch_size``, ``apply_chat_template`` (None: when the tokenizer has one), ``gen_kwargs``,
    ``system_instruction``...). ``run_info``: ``label``, ``seed``, ``stage`` for the record."""
    tasks = list(tasks)
    evaluate_kwargs.setdefault("apply_chat_template", None)
    s = open_session(model, model_args, tasks, include_path, metadata, evaluate_kwargs, run_info)
    return run_session(
        s,
        tasks,
        output_path=output_path,
        log_samples=log_samples,
        check_lengths=check_lengths,
        tracker_args=tracker_args,
        evaluate_kwargs=evaluate_kwargs,
    )


def run_lm_eval(
    model_args: str,
    tasks: list[str],
    *,
    model: str = "hf",
    output_path: str | None = None,
    limit: int | float | None = None,
    metadata: dict[str, Any] | None = None,
    apply_chat_template: bool | None = None,
    batch_size: int | str = 1,
    log_samples: bool = False,
    gen_kwargs: str | None = None,
    check_lengths: bool = True,
    run_info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate ``model`` on ``tasks`` (ours and lm-eval's) and return lm-eval's results dict.

    ``model_args`` is lm-eval's string (``pretrained=PATH,max_length=8192``); ``metadata`` is
    merged over it and passed to the tasks (e.g. ``{"mdqa_data": PATH}``,
    ``{"max_seq_lengths": [4096, 8192]}``). ``apply_chat_template``: None applies the model's
    chat template when its tokenizer has one. ``run_info`` (``label``, ``seed``, ``stage``) goes
    into the results' ``"artificial_needles"`` record. With ``output_path`` the usual result
    files are written there; with ``log_samples`` the returned dict also holds ``samples``.
    Raises :class:`~artificial_needles.errors.NeedlesError` before the model loads when a task
    is unknown or its data or metadata is wrong, and when a prompt would not fit (unless
    ``check_lengths`` is false).
    """
    return evaluate(
        model=model,
        model_args=model_args,
        tasks=list(tasks),
        metadata=metadata,
        output_path=output_path,
        log_samples=log_samples,
        check_lengths=check_lengths,
        run_info=run_info,
        limit=limit,
        apply_chat_template=apply_chat_template,
        batch_size=batch_size,
        gen_kwargs=gen_kwargs,
    )
