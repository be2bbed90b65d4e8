"""Ctrl-C and SIGTERM during `artificial-needles generate`.

A real console-script process generates a large set; once its hidden temporary file exists it
gets the signal. It must remove the temporary file, leave no output, print one line on stderr
and exit with 130 (SIGINT) or 143 (SIGTERM). With worker processes, SIGINT goes to the whole
process group, as a terminal's Ctrl-C does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).parent / "artificial-needles")


def _wait_for_temp(out: Path, proc: subprocess.Popen, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        temps = list(out.parent.glob(f".{out.name}.*.tmp"))
        if temps and temps[0].stat().st_size > 0:  # samples are being written
            return temps[0]
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the temporary output file never appeared")


@pytest.mark.parametrize(
    ("signum", "status", "workers"),
    [
        (signal.SIGTERM, 143, 1),
        (signal.SIGINT, 130, 1),
        (signal.SIGTERM, 143, 2),
        (signal.SIGINT, 130, 2),
    ],
    ids=["term", "int", "term-workers", "int-workers"],
)
def test_signal_removes_temp_file_and_exits_with_one_line(tmp_path, signum, status, workers):
    out = tmp_path / "big.jsonl"
    args = [EXE, "generate", "simple-kv", "--num-samples", "1000000", "--max-tokens", "2000"]
    proc = subprocess.Popen(
        [*args, "--num-workers", str(workers), "--quiet", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
        start_new_session=True,  # its own process group, as under a terminal
    )
    try:
        _wait_for_temp(out, proc)
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # Ctrl-C reaches every process of the group
        else:
            proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("artificial-needles: "), err
    assert list(tmp_path.iterdir()) == []
