"""Post-train evaluation: our lm-eval tasks on the model Axolotl just saved.

Results go to ``<output_dir>/needles_eval/`` (lm-eval's own files, plus ``results.json``
with the whole results dict); the headline metrics are logged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

# A child of Axolotl's logger, so that its handlers show our messages.
LOG = logging.getLogger("axolotl.needles." + __name__.rsplit(".", 1)[-1])
EVAL_DIR = "needles_eval"


def model_args_for(cfg: Any) -> str:
    """lm-eval ``model_args`` for the trained model in ``cfg.output_dir``."""
    out = str(Path(cfg.output_dir).resolve())
    if cfg.get("adapter") in ("lora", "qlora") and not cfg.get("merge_lora"):
        parts = [f"pretrained={cfg.base_model}", f"peft={out}"]
    else:
        parts = [f"pretrained={out}"]
    if cfg.get("bf16") in (True, "auto") or cfg.get("bfloat16"):
        parts.append("dtype=bfloat16")
    elif cfg.get("fp16"):
        parts.append("dtype=float16")
    if cfg.get("needles_eval_model_args"):
        parts.append(cfg.needles_eval_model_args)
    return ",".join(parts)


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


def run_post_train_eval(cfg: Any) -> Path:
    """Run ``needles_eval_tasks`` on the trained model; returns the results file."""
    from artificial_needles.evaluate import run_lm_eval

    out_dir = Path(cfg.output_dir) / EVAL_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    chat = bool(cfg.get("needles_eval_chat_template", True))
    metadata = {"chat_template": chat, **(cfg.get("needles_eval_metadata") or {})}
    limit = cfg.get("needles_eval_limit")
    if limit is not None and float(limit).is_integer():
        limit = int(limit)
    model_args = model_args_for(cfg)
    LOG.info("needles post-train eval: %s on %s", cfg.needles_eval_tasks, model_args)
    results = run_lm_eval(
        model_args,
        list(cfg.needles_eval_tasks),
        output_path=str(out_dir),
        limit=limit,
        metadata=metadata,
        apply_chat_template=chat,
        batch_size=cfg.get("needles_eval_batch_size") or 1,
    )
    path = out_dir / "results.json"
    path.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    for task, metrics in headline(results).items():
        shown = ", ".join(f"{k}={v:.4f}" for k, v in sorted(metrics.items()))
        LOG.info("needles eval %s: %s", task, shown)
    LOG.info("needles eval results: %s", path)
    return path
