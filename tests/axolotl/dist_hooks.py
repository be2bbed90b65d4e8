"""Run under ``torchrun --nproc_per_node 2`` by test_axolotl_distributed.py (not a test module).

Each rank initialises a real gloo process group, loads the config with Axolotl's ``load_cfg``
(which registers our plugin), then calls the plugin's hooks in the order ``axolotl train``
calls them, with a stand-in for the training in between (rank 0 copies the base model into
``output_dir``), then the ``needles-eval`` command. Every rank writes what it saw to
``<report_dir>/rank<N>.json``: seconds spent in each hook and the launcher variables it had.

Usage: ``torchrun --nproc_per_node 2 dist_hooks.py CONFIG REPORT_DIR``
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

import torch.distributed as dist


def _cuda_build_without_driver() -> None:
    """On a machine without a GPU driver, the CUDA build of torch (the only one the package
    index has for CI's Python 3.12 environment) fails Axolotl's P2P probe in ``load_cfg`` with a
    RuntimeError, where the CPU build raises the AssertionError that Axolotl takes as "nothing
    to probe". Give the probe the CPU build's answer; GPU machines are untouched."""
    import torch

    if torch.version.cuda and not torch.cuda.is_available():

        def no_peer(*_: object) -> bool:
            raise AssertionError("no CUDA device on this machine")

        torch.cuda.can_device_access_peer = no_peer


def main(config: str, report_dir: str) -> None:
    _cuda_build_without_driver()
    dist.init_process_group("gloo", timeout=timedelta(seconds=600))
    rank = dist.get_rank()
    from axolotl.cli.config import load_cfg

    from artificial_needles.axolotl.cli import evaluate
    from artificial_needles.axolotl.plugin import NeedlesPlugin

    cfg = load_cfg(config)
    plugin = NeedlesPlugin()
    seen: dict = {"rank": rank, "env": {k: os.environ.get(k) for k in ("RANK", "MASTER_PORT")}}

    started = time.monotonic()
    plugin.pre_model_load(cfg)
    seen["pre_model_load_s"] = time.monotonic() - started
    dist.barrier()  # the ranks meet, as in the model loading that follows in axolotl train
    if rank == 0:  # "training": the trained model is the base model saved into output_dir
        shutil.copytree(cfg.base_model, cfg.output_dir, dirs_exist_ok=True)
    dist.barrier()

    started = time.monotonic()
    plugin.post_train_unload(cfg)
    seen["post_train_unload_s"] = time.monotonic() - started

    started = time.monotonic()
    evaluate.main([config, "--stage", "all"], standalone_mode=False)
    seen["needles_eval_s"] = time.monotonic() - started
    seen["finished_at"] = time.time()
    Path(report_dir, f"rank{rank}.json").write_text(json.dumps(seen))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
