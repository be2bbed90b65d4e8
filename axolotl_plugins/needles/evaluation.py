"""Evaluation of the base model before training and of the trained model after it.

Both stages use one set of settings (:func:`eval_settings`): the same tasks, limit, task
metadata, batch size, chat template rule (``needles_eval_chat_template``, default on, as the
paper evaluated instruct models through their chat format) and the same tokenizer, the one
Axolotl trains with (its ``chat_template:`` included). Layout under ``<output_dir>/needles_eval/``:

- ``base/<task>/<model>/results_<date>.json``: the base model (``needles_eval_baseline:
  true``), before training, with ``base/tokenizer/`` (the training tokenizer it was run with);
- ``finetuned/<task>/<model>/results_<date>.json``: the trained model, after training;
- ``report/``: the base-vs-finetuned report (:mod:`artificial_needles.report`).

Results files are lm-eval's, plus the run metadata ``"artificial_needles"`` (label, seed,
stage, apply_chat_template, version) that the report groups by. Tasks run one at a time
(:func:`artificial_needles.eval.each.run_lm_eval_each`), each written before the next
starts, so a task that fails never discards the others.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from artificial_needles.errors import NeedlesError

# A child of Axolotl's logger, so that its handlers show our messages.
LOG = logging.getLogger("axolotl.needles." + __name__.rsplit(".", 1)[-1])
EVAL_DIR = "needles_eval"
Stage = Literal["base", "finetuned"]
_SEED_SUFFIX = re.compile(r"[-_.]?seed[-_]?\d+$", re.IGNORECASE)


@dataclass(frozen=True)
class EvalSettings:
    """What both stages share: everything but the model."""

    tasks: tuple[str, ...]
    limit: int | float | None
    metadata: dict[str, Any] = field(default_factory=dict)
    apply_chat_template: bool = True
    batch_size: int = 1
    model_args: str | None = None


def eval_settings(cfg: Any) -> EvalSettings:
    """The evaluation settings of ``cfg`` (the same for the base and the trained model)."""
    chat = bool(cfg.get("needles_eval_chat_template", True))
    limit = cfg.get("needles_eval_limit")
    if limit is not None and float(limit).is_integer():
        limit = int(limit)
    return EvalSettings(
        tasks=tuple(cfg.get("needles_eval_tasks") or ()),
        limit=limit,
        metadata={"chat_template": chat, **(cfg.get("needles_eval_metadata") or {})},
        apply_chat_template=chat,
        batch_size=int(cfg.get("needles_eval_batch_size") or 1),
        model_args=cfg.get("needles_eval_model_args"),
    )


def stage_dir(cfg: Any, stage: str) -> Path:
    """``<output_dir>/needles_eval/<stage>``."""
    return Path(cfg.output_dir) / EVAL_DIR / stage


def label_for(cfg: Any, stage: Stage) -> str:
    """Label of a stage in the report: the base model's name for ``base``; for ``finetuned``
    ``needles_label``, else the name of ``output_dir`` without a trailing seed marker
    (``...-seed0``), so that trainings differing only by seed share a label."""
    base = Path(str(cfg.base_model).rstrip("/")).name or str(cfg.base_model)
    if stage == "base":
        return base
    label = cfg.get("needles_label") or _SEED_SUFFIX.sub("", Path(cfg.output_dir).resolve().name)
    return label if label and label != base else f"{base}+needles"


def model_args_for(cfg: Any, stage: Stage = "finetuned", tokenizer: str | None = None) -> str:
    """lm-eval ``model_args`` of a stage: the base model, or the trained one in ``output_dir``
    (base model plus adapter for an unmerged LoRA). Both load the training tokenizer."""
    out = str(Path(cfg.output_dir).resolve())
    if stage == "base":
        parts = [f"pretrained={cfg.base_model}"]
        if tokenizer:
            parts.append(f"tokenizer={tokenizer}")
    elif cfg.get("adapter") in ("lora", "qlora") and not cfg.get("merge_lora"):
        parts = [f"pretrained={cfg.base_model}", f"peft={out}", f"tokenizer={out}"]
    else:
        parts = [f"pretrained={out}"]
    if cfg.get("bf16") in (True, "auto") or cfg.get("bfloat16"):
        parts.append("dtype=bfloat16")
    elif cfg.get("fp16"):
        parts.append("dtype=float16")
    if cfg.get("needles_eval_model_args"):
        parts.append(cfg.needles_eval_model_args)
    return ",".join(parts)


def run_metadata(cfg: Any, stage: Stage) -> dict[str, Any]:
    """The ``"artificial_needles"`` entry of the results files of ``stage`` (built by
    :func:`artificial_needles.eval.runner.run_record`, which writes it)."""
    from artificial_needles.eval.runner import run_record

    seed = cfg.get("needles_seed")
    seed = 0 if seed is None else int(seed)
    info = {"label": label_for(cfg, stage), "seed": seed, "stage": stage}
    return run_record(info, {}, {}, eval_settings(cfg).apply_chat_template)


def headline(results: dict[str, Any]) -> dict[str, dict[str, float]]:
    """``{task: {metric: value}}`` without standard errors, aliases and unmeasured buckets
    (our tasks report -1 for a length or depth that had no samples)."""
    out: dict[str, dict[str, float]] = {}
    for task, metrics in (results.get("results") or {}).items():
        out[task] = {
            k: v
            for k, v in metrics.items()
            if isinstance(v, (int, float)) and "stderr" not in k and v >= 0
        }
    return out


def run_stage(cfg: Any, stage: Stage, tokenizer: str | None = None) -> tuple[Path, list[str]]:
    """Evaluate one stage task by task (the model loads once; each task's lm-eval results are
    written to ``<stage dir>/<task>/`` before the next starts); returns the stage folder and
    the failed tasks (each failure is logged with its reason; the others still run)."""
    from artificial_needles.eval.each import run_lm_eval_each

    settings = eval_settings(cfg)
    folder = stage_dir(cfg, stage)
    folder.mkdir(parents=True, exist_ok=True)
    model_args = model_args_for(cfg, stage, tokenizer)
    meta = run_metadata(cfg, stage)
    LOG.info("needles %s eval: %s on %s", stage, list(settings.tasks), model_args)
    outcome = run_lm_eval_each(
        model_args,
        list(settings.tasks),
        output_path=folder,
        limit=settings.limit,
        metadata=dict(settings.metadata),
        apply_chat_template=settings.apply_chat_template,
        batch_size=settings.batch_size,
        run_info={k: meta[k] for k in ("label", "seed", "stage")},
    )
    for results in outcome.results.values():
        for name, metrics in headline(results).items():
            shown = ", ".join(f"{k}={v:.4f}" for k, v in sorted(metrics.items()))
            LOG.info("needles %s eval %s: %s", stage, name, shown)
    for task, error in outcome.errors.items():
        LOG.error("needles %s eval: task %s failed: %s", stage, task, error)
    LOG.info("needles %s eval results: %s", stage, folder)
    return folder, list(outcome.errors)


def run_baseline_eval(cfg: Any) -> Path:
    """Evaluate the base model with the training tokenizer (before training)."""
    from axolotl.loaders import load_tokenizer

    folder = stage_dir(cfg, "base")
    tok_dir = folder / "tokenizer"
    tok_dir.mkdir(parents=True, exist_ok=True)
    load_tokenizer(cfg).save_pretrained(str(tok_dir))
    path, failed = run_stage(cfg, "base", tokenizer=str(tok_dir.resolve()))
    if failed:
        raise NeedlesError(
            f"needles_eval_baseline: the base model failed on {', '.join(failed)} (see the log "
            "above); fix it before training, or drop those tasks from needles_eval_tasks"
        )
    return path


def write_report(cfg: Any) -> Path | None:
    """The base-vs-finetuned report in ``<output_dir>/needles_eval/report/``."""
    root = Path(cfg.output_dir) / EVAL_DIR
    runs = [root / s for s in ("base", "finetuned") if any((root / s).rglob("results_*.json"))]
    if not runs:
        return None
    try:
        from artificial_needles.report import build_report
    except ImportError:  # pragma: no cover - the report module ships with the package
        LOG.warning("needles eval: artificial_needles.report is not available; no report")
        return None
    baseline = label_for(cfg, "base") if runs[0].name == "base" else None
    try:
        saved = build_report([str(r) for r in runs], baseline=baseline).save(root / "report")
    except Exception as exc:  # the results are on disk: the report can be made again
        LOG.error(
            "needles eval: the report failed (%s); results are in %s, rerun with "
            "`artificial-needles report %s -o REPORT_DIR`",
            exc,
            root,
            cfg.output_dir,
        )
        return None
    LOG.info("needles eval report: %s", saved)
    return Path(saved)


def run_post_train_eval(cfg: Any) -> Path:
    """Evaluate the trained model, then write the report; raises after writing everything
    when a task failed."""
    path, failed = run_stage(cfg, "finetuned")
    write_report(cfg)
    if failed:
        raise NeedlesError(
            f"needles post-train eval: {', '.join(failed)} failed (see the log above); the "
            f"other tasks' results are in {path}"
        )
    return path
