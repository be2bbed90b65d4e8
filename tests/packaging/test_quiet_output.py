"""Our commands print what the user needs (issue 19, papercut 11): with the axolotl extra
installed, loading transformers imports torchao, whose "Failed to load ... .so" warnings and
torch's pytree warnings about its enums used to come out of every command that loads
transformers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).with_name("artificial-needles"))
NOISE = ("torchao", "_pytree", "register_constant")


def test_tiny_model_prints_no_library_warnings(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run(
        [CLI, "tiny-model", str(tmp_path / "m")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    noise = [line for line in proc.stderr.splitlines() if any(n in line for n in NOISE)]
    assert noise == []
    assert proc.stdout.strip() == str(tmp_path / "m")
