"""Where and how the plugin's evaluations run: always in a child process of global rank 0.

Evaluating inside a training rank hangs multi-GPU jobs (lm-eval's ``hf`` model joins the job's
process group and waits for ranks that are elsewhere), so every evaluation is a child process
(:mod:`artificial_needles.eval.child`) started by global rank 0 only, with the distributed and
launcher variables removed, from the ``command.sh`` written in its stage folder. Other ranks
evaluate nothing and write nothing.

- Before training (``pre_model_load``, with ``needles_eval_baseline``):
  :func:`check_base_model` runs each task on one document of the base model in a temporary
  folder, so that a base model that cannot run a task stops the job before training (about a
  minute). The other ranks go on loading their model; they meet rank 0 in their next
  collective once the check is done. No full evaluation runs before training.
- After training (``post_train_unload``: the trainer is gone, its GPU memory released, the
  process group destroyed): :func:`evaluate_after_training` evaluates the base model (with
  ``needles_eval_baseline``), then the trained one, on every GPU of the node, then writes the
  report.
- ``axolotl needles-eval CONFIG``: :func:`evaluate_stages`, the same stages outside training;
  tasks whose results exist are skipped unless ``force``.

Each stage folder gets ``plan.json`` (requests, prompt tokens, generation budget; logged before
the stage starts) and ``command.sh``.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from artificial_needles.axolotl.evaluation import (
    Stage,
    eval_settings,
    headline,
    model_args_for,
    run_metadata,
    stage_dir,
    write_report,
)
from artificial_needles.errors import NeedlesError

LOG = logging.getLogger("axolotl.needles." + __name__.rsplit(".", 1)[-1])


def base_tokenizer(cfg: Any) -> str:
    """Save the training tokenizer (Axolotl's, ``chat_template:`` included) to
    ``needles_eval/base/tokenizer/`` for the base model's evaluation; returns its path."""
    from axolotl.loaders import load_tokenizer

    folder = stage_dir(cfg, "base") / "tokenizer"
    folder.mkdir(parents=True, exist_ok=True)
    load_tokenizer(cfg).save_pretrained(str(folder))
    return str(folder.resolve())


def write_command(
    cfg: Any,
    stage: Stage,
    folder: Path,
    *,
    limit: Any = None,
    force: bool = False,
    gpus: int | None = None,
) -> tuple[Path, str]:
    """Write ``folder/command.sh`` for ``stage`` on ``gpus`` GPUs (default: the node's);
    returns it and the stage's model_args."""
    from artificial_needles.eval.child import ChildCommand, EvalRun, eval_argv, node_gpus
    from artificial_needles.eval.runner import parse_model_args

    settings = eval_settings(cfg)
    tokenizer = base_tokenizer(cfg) if stage == "base" else None
    model_args = model_args_for(cfg, stage, tokenizer)
    record = run_metadata(cfg, stage)
    run = EvalRun(
        backend=settings.backend,
        model_args=parse_model_args(model_args),
        tasks=list(settings.tasks),
        output_path=str(folder.resolve()),
        batch_size=settings.batch_size,
        limit=settings.limit if limit is None else limit,
        metadata=dict(settings.metadata),
        apply_chat_template=settings.apply_chat_template,
        log_samples=settings.log_samples,
        label=record["label"],
        stage=stage,
        seed=record["seed"],
        force=force,
    )
    title = f"needles {stage} evaluation ({cfg.get('axolotl_config_path') or cfg.output_dir})"
    command = ChildCommand.for_argv(eval_argv(run, node_gpus() if gpus is None else gpus), title)
    return command.write(folder / "command.sh"), model_args


def write_plan(cfg: Any, folder: Path, model_args: str) -> None:
    """``folder/plan.json``: the stage's requests and prompt tokens; the totals are logged."""
    from artificial_needles.eval.plan import make_plan
    from artificial_needles.io import atomic_write

    settings = eval_settings(cfg)
    plan = make_plan(
        list(settings.tasks),
        model=settings.backend,
        model_args=model_args,
        metadata=dict(settings.metadata),
        limit=settings.limit,
        apply_chat_template=settings.apply_chat_template,
    )
    with atomic_write(folder / "plan.json") as fh:
        fh.write(plan.to_json())
    LOG.info("needles %s eval plan: %s (%s)", folder.name, plan.summary(), folder / "plan.json")


def _outcome(folder: Path, tasks: list[str], code: int, stage: str) -> list[str]:
    """Tasks without a results file after the child ended with ``code`` (logged)."""
    import json

    from artificial_needles.eval.each import done_results

    failed = []
    for task in tasks:
        found = done_results(folder / task)
        if found is None:
            failed.append(task)
            continue
        for name, metrics in headline(json.loads(found.read_text())).items():
            shown = ", ".join(f"{k}={v:.4f}" for k, v in sorted(metrics.items()))
            LOG.info("needles %s eval %s: %s", stage, name, shown)
    if code and not failed:
        LOG.error("needles %s eval: the child process exited with %s", stage, code)
        failed.append(f"exit status {code}")
    return failed


def run_stage(cfg: Any, stage: Stage, *, force: bool = False) -> tuple[Path, list[str]]:
    """Evaluate one stage in a child process (command.sh and plan.json first); returns the
    stage folder and the tasks that have no results (each logged; the others still ran)."""
    from artificial_needles.eval.child import run_script

    folder = stage_dir(cfg, stage)
    folder.mkdir(parents=True, exist_ok=True)
    script, model_args = write_command(cfg, stage, folder, force=force)
    write_plan(cfg, folder, model_args)
    LOG.info("needles %s eval: %s", stage, script)
    started = time.monotonic()
    code = run_script(script)
    failed = _outcome(folder, list(eval_settings(cfg).tasks), code, stage)
    LOG.info("needles %s eval: %.0f s, results in %s", stage, time.monotonic() - started, folder)
    return folder, failed


def check_base_model(cfg: Any) -> None:
    """Each task on one document of the base model, in a child process on one GPU at most
    (the other ranks are loading their model on theirs) and a temporary folder (removed
    after); NeedlesError naming the tasks that failed."""
    from artificial_needles.eval.child import node_gpus, run_script

    folder = Path(tempfile.mkdtemp(prefix="needles-base-check-"))
    try:
        one = min(1, node_gpus())
        script, _ = write_command(cfg, "base", folder, limit=1, force=True, gpus=one)
        started = time.monotonic()
        code = run_script(script)
        tasks = list(eval_settings(cfg).tasks)
        failed = [t for t in tasks if not any((folder / t).rglob("results_*.json"))]
        if code and not failed:
            failed = [f"exit status {code}"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if failed:
        raise NeedlesError(
            f"needles_eval_baseline: the base model failed on {', '.join(failed)} with one "
            "document per task (see the log above); fix it before training, or drop those "
            "tasks from needles_eval_tasks"
        )
    LOG.info(
        "needles base check: every task ran on one document (%.0f s)", time.monotonic() - started
    )


def _free_gpus() -> None:
    """Release this process's cached GPU memory; wait (up to two minutes) for the other ranks
    of a finished training to release theirs."""
    from artificial_needles.eval.child import node_gpus, wait_for_free_gpus

    try:
        import torch
    except ImportError:  # pragma: no cover
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        if not wait_for_free_gpus(node_gpus()):
            LOG.warning("needles eval: GPU memory still in use after 120 s; starting anyway")


def evaluate_stages(cfg: Any, stages: list[Stage], *, force: bool = False) -> Path:
    """Evaluate ``stages`` in order, then write the report; raises after writing everything
    when a task failed."""
    failures = {}
    for stage in stages:
        folder, failed = run_stage(cfg, stage, force=force)
        if failed:
            failures[stage] = failed
    write_report(cfg)
    if failures:
        shown = "; ".join(f"{s}: {', '.join(f)}" for s, f in failures.items())
        raise NeedlesError(
            f"needles eval: {shown} failed (see the log above); the other tasks' results are "
            f"in {stage_dir(cfg, stages[0]).parent}"
        )
    return stage_dir(cfg, stages[-1]).parent


def evaluate_after_training(cfg: Any) -> Path:
    """After training: the base model (``needles_eval_baseline``), then the trained one, each
    task run again (a new training replaces earlier results), then the report."""
    _free_gpus()
    stages: list[Stage] = (
        ["base", "finetuned"] if cfg.get("needles_eval_baseline") else ["finetuned"]
    )
    return evaluate_stages(cfg, stages, force=True)
