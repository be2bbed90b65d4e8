"""The plugin class: validates ``needles_*`` keys, wires the dataset entries, evaluates after
training. Imported lazily by ``artificial_needles.axolotl`` (it needs Axolotl)."""

from __future__ import annotations

import logging
from typing import Any

from axolotl.integrations.base import BasePlugin

from artificial_needles.axolotl.args import DATASET_TYPE, NeedlesArgs, check_unknown_keys

# A child of Axolotl's logger, so that its handlers show our messages.
LOG = logging.getLogger("axolotl.needles." + __name__.rsplit(".", 1)[-1])


class NeedlesPlugin(BasePlugin):
    """Generates the paper's training rows for the config's tokenizer; evaluates after training."""

    def get_input_args(self) -> str:
        return "artificial_needles.axolotl.args.NeedlesArgs"

    def register(self, cfg: dict) -> None:
        """Validate the ``needles_*`` keys and wire our dataset entries (raw config)."""
        from artificial_needles.axolotl.spec import inject_datasets

        check_unknown_keys(cfg)
        values = {k: v for k, v in cfg.items() if k in NeedlesArgs.model_fields}
        if values.get("needles_task") is None:
            if any(_is_ours(e) for e in cfg.get("datasets") or []):
                raise ValueError(
                    f"datasets: an entry has type {DATASET_TYPE} but needles_task is not set; "
                    "add e.g. `needles_task: simple-kv`"
                )
            NeedlesArgs(**values)
            return
        probe = dict(values)
        if cfg.get("sequence_len") is not None and probe.get("needles_max_tokens") is None:
            probe["needles_max_tokens"] = cfg.get("sequence_len")
        NeedlesArgs(**probe)
        inject_datasets(cfg)

    def post_train_unload(self, cfg: Any) -> None:
        """Run ``needles_eval_tasks`` on the saved model (main process only)."""
        if not cfg.get("needles_eval_tasks"):
            return
        from axolotl.utils.distributed import is_main_process

        if not is_main_process():
            return
        from artificial_needles.axolotl.evaluation import run_post_train_eval

        run_post_train_eval(cfg)


def _is_ours(entry: Any) -> bool:
    kind = entry.get("type") if hasattr(entry, "get") else getattr(entry, "type", None)
    return kind == DATASET_TYPE
