"""The settings of the base and trained model's evaluations, and the report.

Both stages use one set of settings (:func:`eval_settings`): the same tasks, limit, task
metadata, back end, batch size, chat template rule (``needles_eval_chat_template``, default on,
as the paper evaluated instruct models through their chat format), context length and the same
tokenizer, the one Axolotl trains with (its ``chat_template:`` included). Layout under
``<output_dir>/needles_eval/``:

- ``base/<task>/<model>/results_<date>.json``: the base model (``needles_eval_baseline:
  true``), with ``base/tokenizer/`` (the training tokenizer it was run with);
- ``finetuned/<task>/<model>/results_<date>.json``: the trained model;
- ``<stage>/plan.json`` (requests and prompt tokens) and ``<stage>/command.sh`` (the child
  process's exact command) beside them;
- ``report/``: the base-vs-finetuned report (:mod:`artificial_needles.report`).

Results files are lm-eval's, plus the run metadata ``"artificial_needles"`` (label, seed,
stage, apply_chat_template, version) that the report groups by. How and where the stages run:
:mod:`artificial_needles.axolotl.stages`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    batch_size: str = "1"
    model_args: str | None = None
    backend: str = "hf"
    log_samples: bool = False


def eval_settings(cfg: Any) -> EvalSettings:
    """The evaluation settings of ``cfg`` (the same for the base and the trained model)."""
    chat = bool(cfg.get("needles_eval_chat_template", True))
    limit = cfg.get("needles_eval_limit")
    if limit is not None and float(limit).is_integer():
        limit = int(limit)
    backend = cfg.get("needles_eval_backend") or "hf"
    batch = cfg.get("needles_eval_batch_size") or ("auto" if backend == "vllm" else 1)
    return EvalSettings(
        tasks=tuple(cfg.get("needles_eval_tasks") or ()),
        limit=limit,
        metadata={"chat_template": chat, **(cfg.get("needles_eval_metadata") or {})},
        apply_chat_template=chat,
        batch_size=str(batch),
        model_args=cfg.get("needles_eval_model_args"),
        backend=backend,
        log_samples=bool(cfg.get("needles_eval_log_samples")),
    )


def context_length(cfg: Any) -> int | None:
    """The evaluation's ``max_length``: the largest KV retrieval length (when a KV task is
    evaluated) and ``sequence_len``, whichever is larger; None when neither is known."""
    from artificial_needles.eval.metadata import EvalMetadata

    tasks = cfg.get("needles_eval_tasks") or ()
    lengths = [int(cfg.get("sequence_len") or 0)]
    if any(str(t).startswith("kv_retrieval") for t in tasks):
        meta = cfg.get("needles_eval_metadata") or {}
        given = EvalMetadata(max_seq_lengths=meta.get("max_seq_lengths", (4096,)))
        lengths += list(given.max_seq_lengths)
    return max(lengths) or None


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
    (base model plus adapter for an unmerged LoRA: ``peft=`` with ``hf``, ``lora_local_path=``
    with ``vllm``). Both load the training tokenizer. The context length
    (:func:`context_length`) is ``max_length`` (``hf``) or ``max_model_len`` (``vllm``) unless
    ``needles_eval_model_args`` sets one."""
    out = str(Path(cfg.output_dir).resolve())
    backend = cfg.get("needles_eval_backend") or "hf"
    if stage == "base":
        parts = [f"pretrained={cfg.base_model}"]
        if tokenizer:
            parts.append(f"tokenizer={tokenizer}")
    elif cfg.get("adapter") in ("lora", "qlora") and not cfg.get("merge_lora"):
        adapter = "lora_local_path" if backend == "vllm" else "peft"
        parts = [f"pretrained={cfg.base_model}", f"{adapter}={out}", f"tokenizer={out}"]
    else:
        parts = [f"pretrained={out}"]
    if cfg.get("bf16") in (True, "auto") or cfg.get("bfloat16"):
        parts.append("dtype=bfloat16")
    elif cfg.get("fp16"):
        parts.append("dtype=float16")
    extra = cfg.get("needles_eval_model_args") or ""
    given = {kv.split("=", 1)[0].strip() for kv in extra.split(",") if "=" in kv}
    length = context_length(cfg)
    if length and not given & {"max_length", "max_model_len"}:
        parts.append(f"{'max_model_len' if backend == 'vllm' else 'max_length'}={length}")
    if extra:
        parts.append(extra)
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
