"""The evaluation child process: its command per back end and GPU count, its environment,
``command.sh``. vLLM and several GPUs cannot run on the test machines: the commands and
environments built for them are checked here (docs/scale.md says those paths were not run)."""

from __future__ import annotations

import os
import shlex
import subprocess

from artificial_needles.eval.child import (
    ChildCommand,
    EvalRun,
    clean_env,
    eval_argv,
    global_rank,
)


def _run(backend: str, **args) -> EvalRun:
    return EvalRun(
        backend=backend,
        model_args={"pretrained": "/m", "max_length": 8192, **args},
        tasks=["mdqa_20docs", "kv_retrieval_simple"],
        output_path="/out/base",
        batch_size="auto",
        limit=None,
        metadata={"max_seq_lengths": [8192]},
        label="base",
        stage="base",
    )


def _flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_vllm_uses_every_gpu_of_the_node_as_data_parallel_copies():
    argv = eval_argv(_run("vllm"), gpus=8, python="py")
    assert argv[:4] == ["py", "-m", "artificial_needles.cli", "eval"]
    assert _flag(argv, "--model") == "vllm" and _flag(argv, "--batch_size") == "auto"
    assert "data_parallel_size=8" in _flag(argv, "--model_args").split(",")
    tp = eval_argv(_run("vllm", tensor_parallel_size=2), gpus=8, python="py")
    assert "data_parallel_size=4" in _flag(tp, "--model_args").split(",")
    given = eval_argv(_run("vllm", data_parallel_size=3), gpus=8, python="py")
    assert "data_parallel_size=3" in _flag(given, "--model_args").split(",")
    one = eval_argv(_run("vllm"), gpus=1, python="py")
    assert "data_parallel_size" not in _flag(one, "--model_args")


def test_hf_on_several_gpus_is_an_accelerate_launch():
    argv = eval_argv(_run("hf"), gpus=8, python="py")
    assert argv[:8] == [
        "py",
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        "8",
        "--num_machines",
        "1",
    ]
    assert int(_flag(argv, "--main_process_port")) > 0
    assert argv[argv.index("artificial_needles.cli") - 1] == "-m"
    assert _flag(argv, "--tasks") == "mdqa_20docs,kv_retrieval_simple"
    assert "--per_task" in argv and _flag(argv, "--stage") == "base"
    # one copy spread over the GPUs, or no GPU: one process
    assert eval_argv(_run("hf", parallelize=True), gpus=8, python="py")[1:3] == [
        "-m",
        "artificial_needles.cli",
    ]
    assert eval_argv(_run("hf"), gpus=0, python="py")[1:3] == ["-m", "artificial_needles.cli"]


def test_clean_env_and_rank():
    env = {
        "RANK": "3",
        "WORLD_SIZE": "8",
        "LOCAL_RANK": "3",
        "MASTER_ADDR": "h",
        "MASTER_PORT": "29500",
        "TORCHELASTIC_RUN_ID": "x",
        "ACCELERATE_USE_FSDP": "true",
        "FSDP_VERSION": "2",
        "PATH": "/bin",
        "HF_HOME": "/hf",
    }
    assert clean_env(env) == {"PATH": "/bin", "HF_HOME": "/hf"}
    assert global_rank() == int(os.environ.get("RANK") or 0)


def test_command_script_unsets_the_launcher_and_keeps_no_secret(tmp_path, monkeypatch):
    env = {
        "RANK": "1",
        "ACCELERATE_MIXED_PRECISION": "bf16",
        "HF_HOME": "/hf home",
        "HF_TOKEN": "hf_secret",
        "CUDA_VISIBLE_DEVICES": "0,1",
    }
    monkeypatch.chdir(tmp_path)
    cmd = ChildCommand.for_argv(
        ["python3", "-c", "import os, sys; print(sorted(os.environ))"], "t", env
    )
    path = cmd.write(tmp_path / "command.sh")
    text = path.read_text()
    assert "hf_secret" not in text and "HF_TOKEN" not in text
    assert "export HF_HOME='/hf home'" in text and "export CUDA_VISIBLE_DEVICES=0,1" in text
    # run under a launcher's variables: the command sees none of them
    dirty = {
        **os.environ,
        "RANK": "1",
        "MASTER_PORT": "1",
        "TORCHELASTIC_RUN_ID": "r",
        "PET_X": "1",
    }
    out = subprocess.run(["bash", str(path)], env=dirty, capture_output=True, text=True, check=True)
    seen = set(eval(out.stdout))  # noqa: S307 - the list printed by the script above
    assert not seen & {"RANK", "MASTER_PORT", "TORCHELASTIC_RUN_ID", "PET_X"}
    assert "HF_HOME" in seen and os.access(path, os.X_OK)
    assert shlex.split(text.splitlines()[-1])[0] == "exec"


def test_log_samples_reaches_the_child_only_when_asked():
    import dataclasses

    run = _run("hf")
    assert "--log_samples" not in eval_argv(run, gpus=1, python="py")
    argv = eval_argv(dataclasses.replace(run, log_samples=True), gpus=1, python="py")
    assert argv.count("--log_samples") == 1
