"""The plugin class: validates ``needles_*`` keys, wires the dataset entries, evaluates the base
and trained models in a child process of global rank 0 (:mod:`artificial_needles.axolotl.stages`).
Imported lazily by ``artificial_needles.axolotl`` (it needs Axolotl)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from axolotl.integrations.base import BasePlugin

from artificial_needles.axolotl.args import DATASET_TYPE

# A child of Axolotl's logger, so that its handlers show our messages.
LOG = logging.getLogger("axolotl.needles." + __name__.rsplit(".", 1)[-1])


class NeedlesPlugin(BasePlugin):
    """Generates the paper's training rows for the config's tokenizer; evaluates after training."""

    def __init__(self) -> None:
        super().__init__()
        self._baseline_done: set[str] = set()

    def get_input_args(self) -> str:
        return "artificial_needles.axolotl.args.NeedlesArgs"

    def register(self, cfg: dict) -> None:
        """Validate the ``needles_*`` keys and wire our dataset entries (raw config)."""
        from artificial_needles.axolotl.checks import check_config, config_errors
        from artificial_needles.axolotl.spec import inject_datasets

        with config_errors():  # one line at the top of `axolotl ...`, no traceback
            if cfg.get("needles_task") is None and any(
                _is_ours(e) for e in cfg.get("datasets") or []
            ):
                raise ValueError(
                    f"datasets: an entry has type {DATASET_TYPE} but needles_task is not set; "
                    "add e.g. `needles_task: simple-kv`"
                )
            if check_config(cfg, _axolotl_keys()) is not None:
                inject_datasets(cfg)
            if cfg.get("needles_eval_tasks") and cfg.get("output_dir"):
                from artificial_needles.eval.child import global_rank
                from artificial_needles.eval.outputs import check_output_dir

                if global_rank() == 0:  # results must not be lost after hours of training
                    check_output_dir(Path(cfg["output_dir"]) / "needles_eval", "output_dir")

    def pre_model_load(self, cfg: Any) -> None:
        """With ``needles_eval_baseline``: check, before training, that the base model runs
        every task on one document (global rank 0, in a child process; the full base
        evaluation runs after training, :mod:`artificial_needles.axolotl.stages`)."""
        if not (cfg.get("needles_eval_baseline") and cfg.get("needles_eval_tasks")):
            return
        key = str(cfg.output_dir)
        if key in self._baseline_done:  # another model load of the same run (e.g. a reference)
            return
        self._baseline_done.add(key)
        from artificial_needles.eval.child import global_rank

        if global_rank() != 0:
            return
        from artificial_needles.axolotl.stages import check_base_model

        check_base_model(cfg)

    def post_train_unload(self, cfg: Any) -> None:
        """Evaluate the base model (``needles_eval_baseline``) and the trained one in a child
        process of global rank 0, then write the report (the trainer is gone by now)."""
        if not cfg.get("needles_eval_tasks"):
            return
        from artificial_needles.eval.child import global_rank

        if global_rank() != 0:
            return
        from artificial_needles.axolotl.stages import evaluate_after_training

        evaluate_after_training(cfg)


def _axolotl_keys() -> set[str]:
    """Axolotl's own top-level keys (and their aliases): never taken for misspelled ours."""
    from axolotl.utils.schemas.config import AxolotlConfigWCapabilities

    keys = set()
    for name, info in AxolotlConfigWCapabilities.model_fields.items():
        keys.add(name)
        if isinstance(info.alias, str):
            keys.add(info.alias)
    return keys


def _is_ours(entry: Any) -> bool:
    kind = entry.get("type") if hasattr(entry, "get") else getattr(entry, "type", None)
    return kind == DATASET_TYPE
