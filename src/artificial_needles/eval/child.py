"""Evaluation in its own process: the command, its environment, ``command.sh``, the rank.

An evaluation started from inside a launched job (``torchrun``, ``accelerate launch``) must not
inherit the job's distributed variables: lm-eval's ``hf`` model would join the job's process
group and wait for ranks that are elsewhere. So the evaluation runs as a child process of
global rank 0 (:func:`global_rank`) with those variables removed (:func:`clean_env`), using the
GPUs of the node through an existing engine (:func:`eval_argv`: vLLM data parallel, or
``accelerate launch`` data parallel for ``hf``). The exact command is written beside its results
as ``command.sh`` (:class:`ChildCommand`), runnable by hand; the child is run from that file, so
the file is what produced the results.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Variables of torch.distributed and its launchers, removed from the child's environment.
DISTRIBUTED_VARS = (
    "RANK",
    "WORLD_SIZE",
    "LOCAL_RANK",
    "LOCAL_WORLD_SIZE",
    "MASTER_ADDR",
    "MASTER_PORT",
    "GROUP_RANK",
    "GROUP_WORLD_SIZE",
    "ROLE_RANK",
    "ROLE_NAME",
    "ROLE_WORLD_SIZE",
    "NODE_RANK",
    "CROSS_RANK",
    "CROSS_SIZE",
    "LOCAL_SIZE",
)
#: Prefixes of launcher variables removed likewise (torchrun's, accelerate's and its FSDP /
#: DeepSpeed settings, which would turn the child's accelerate into the training's set-up).
DISTRIBUTED_PREFIXES = ("TORCHELASTIC_", "PET_", "ACCELERATE_", "FSDP_", "DEEPSPEED_")
#: Variables recorded in ``command.sh`` (when set): what changes how the evaluation runs.
RECORDED_PREFIXES = (
    "HF_",
    "TRANSFORMERS_",
    "ARTIFICIAL_NEEDLES_",
    "CUDA_VISIBLE_DEVICES",
    "TOKENIZERS_PARALLELISM",
    "PYTORCH_",
    "VLLM_",
)
_SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD")


def is_distributed_var(name: str) -> bool:
    """Whether ``name`` is a torch.distributed or launcher variable."""
    return name in DISTRIBUTED_VARS or name.startswith(DISTRIBUTED_PREFIXES)


def clean_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) without the distributed and launcher variables."""
    env = os.environ if env is None else env
    return {k: v for k, v in env.items() if not is_distributed_var(k)}


def global_rank() -> int:
    """This process's global rank: torch.distributed's when a process group is initialised,
    else the launcher's ``RANK`` (0 when not launched)."""
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return int(dist.get_rank())
    except ImportError:  # pragma: no cover - torch is there wherever the plugin runs
        pass
    return int(os.environ.get("RANK") or 0)


def node_gpus() -> int:
    """GPUs of the job on this node: the launcher's ``LOCAL_WORLD_SIZE`` (at most the visible
    CUDA devices), else every visible device; 0 without CUDA."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        return 0
    if not torch.cuda.is_available():
        return 0
    visible = torch.cuda.device_count()
    local = os.environ.get("LOCAL_WORLD_SIZE")
    return min(visible, int(local)) if local else visible


def wait_for_free_gpus(count: int, timeout: float = 120.0, busy_share: float = 0.1) -> bool:
    """Wait until each of the first ``count`` GPUs has at most ``busy_share`` of its memory in
    use (the training's other ranks release theirs as they exit), at most ``timeout`` seconds.
    Reads NVML (``pynvml``) only, never creating a CUDA context; True at once without NVML or
    GPUs. Returns whether the GPUs were free."""
    if count < 1:
        return True
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # no NVML: nothing to wait on
        return True
    import time

    deadline = time.monotonic() + timeout
    try:
        while True:
            used = []
            for i in range(min(count, pynvml.nvmlDeviceGetCount())):
                info = pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(i))
                used.append(info.used / max(info.total, 1))
            if all(u <= busy_share for u in used) or time.monotonic() > deadline:
                return all(u <= busy_share for u in used)
            time.sleep(2)
    finally:
        pynvml.nvmlShutdown()


def free_port() -> int:
    """A TCP port free on this machine now (for the child's own rendezvous)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _args_str(args: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in args.items())


@dataclass
class EvalRun:
    """What one evaluation child runs: lm-eval back end, model, tasks and settings."""

    backend: str  # "hf" | "vllm"
    model_args: dict[str, Any]
    tasks: list[str]
    output_path: str
    batch_size: str = "1"
    limit: int | float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    apply_chat_template: bool = True
    log_samples: bool = False
    label: str | None = None
    stage: str | None = None
    seed: int | None = None
    force: bool = False


def eval_argv(run: EvalRun, gpus: int, python: str = sys.executable) -> list[str]:
    """The child's command line: ``artificial-needles eval --per_task`` on ``run``.

    - ``vllm``: ``data_parallel_size`` = ``gpus`` / ``tensor_parallel_size`` unless given;
    - ``hf`` with several GPUs (and no ``parallelize=True``): ``accelerate launch
      --num_processes gpus`` (one model copy per GPU, documents split between them), on a port
      of its own;
    - otherwise one process (``hf`` on one GPU or the CPU; ``parallelize=True`` spreads one copy
      over the visible GPUs).
    """
    args = dict(run.model_args)
    if run.backend == "vllm" and gpus > 1 and "data_parallel_size" not in args:
        tp = int(args.get("tensor_parallel_size", 1) or 1)
        args["data_parallel_size"] = max(1, gpus // tp)
    command = [
        "-m",
        "artificial_needles.cli",
        "eval",
        "--model",
        run.backend,
        "--model_args",
        _args_str(args),
        "--tasks",
        ",".join(run.tasks),
        "--output_path",
        run.output_path,
        "--per_task",
        "--batch_size",
        str(run.batch_size),
        "--apply_chat_template" if run.apply_chat_template else "--no_apply_chat_template",
    ]
    if run.limit is not None:
        command += ["--limit", str(run.limit)]
    if run.log_samples:
        command.append("--log_samples")
    if run.metadata:
        command += ["--metadata", json.dumps(run.metadata, sort_keys=True)]
    if run.label:
        command += ["--label", run.label]
    if run.stage:
        command += ["--stage", run.stage]
    if run.seed is not None:
        command += ["--run_seed", str(run.seed)]
    if run.force:
        command.append("--force")
    parallelize = str(args.get("parallelize", "")).lower() == "true"
    if run.backend == "hf" and gpus > 1 and not parallelize:
        launch = ["-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(gpus)]
        launch += ["--num_machines", "1", "--main_process_port", str(free_port())]
        return [python, *launch, *command]
    return [python, *command]


@dataclass
class ChildCommand:
    """A command with the environment it runs in, as a bash script (``command.sh``)."""

    argv: list[str]
    cwd: str
    title: str = "artificial-needles evaluation"
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_argv(
        cls, argv: Sequence[str], title: str, env: Mapping[str, str] | None = None
    ) -> ChildCommand:
        """``argv`` run from the working directory, recording the variables of
        :data:`RECORDED_PREFIXES` set in ``env`` (secrets left out) plus
        ``TOKENIZERS_PARALLELISM=false``."""
        source = clean_env(env)
        kept = {
            k: v
            for k, v in sorted(source.items())
            if k.startswith(RECORDED_PREFIXES) and not any(w in k for w in _SECRET_WORDS)
        }
        kept.setdefault("TOKENIZERS_PARALLELISM", "false")
        return cls(list(argv), os.getcwd(), title, kept)

    def script(self) -> str:
        """The bash script: unset every distributed variable, export the recorded ones, exec
        the command with the script's own arguments appended (e.g. ``--force``)."""
        unset = sorted(set(DISTRIBUTED_VARS))
        lines = [
            "#!/usr/bin/env bash",
            f"# {self.title}",
            "# Written by artificial-needles, which ran it as is. Rerun by hand: bash command.sh",
            "# (--per_task skips tasks whose results exist unless --force is given; arguments",
            "# of this script are appended to the command).",
            "set -euo pipefail",
            f"cd {shlex.quote(self.cwd)}",
            f"unset {' '.join(unset)}",
            "for v in $(compgen -e); do case $v in "
            + "|".join(f"{p}*" for p in DISTRIBUTED_PREFIXES)
            + ") unset $v;; esac; done",
        ]
        lines += [f"export {k}={shlex.quote(v)}" for k, v in self.env.items()]
        lines.append("exec " + " ".join(shlex.quote(a) for a in self.argv) + ' "$@"')
        return "\n".join(lines) + "\n"

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the script (executable) atomically; returns its path."""
        from artificial_needles.io import atomic_write

        with atomic_write(path) as fh:
            fh.write(self.script())
        os.chmod(path, 0o755)
        return Path(path)


def run_script(path: str | os.PathLike[str], *extra: str) -> int:
    """Run a ``command.sh`` with bash in a clean environment (no distributed variables);
    its output goes to this process's stdout and stderr. Returns its exit status."""
    return subprocess.run(["bash", str(path), *extra], env=clean_env(), check=False).returncode
