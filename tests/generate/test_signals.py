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


# A signal can land anywhere, a lazy import included: issue 19 saw SIGTERM arrive while
# ``pair_batch`` imported numpy, and numpy's import turned the raised exception into an
# ImportError (compiled modules do that in ``import_array``), so a traceback came out instead of
# the one line. This process delivers the signal on purpose inside that import: an import hook
# sends it to the process itself when numpy's ``multiarray`` is looked up, and with ``convert``
# it turns whatever the signal raised into the ImportError a compiled module would raise.
_SIGNAL_IN_IMPORT = """
import importlib.abc, os, signal, sys
from artificial_needles.cli.main import main

class SignalInImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "numpy._core.multiarray":
            return None
        sys.meta_path.remove(self)
        open(os.environ["NEEDLES_TEST_MARK"], "w").close()
        try:
            os.kill(os.getpid(), int(os.environ["NEEDLES_TEST_SIGNAL"]))
            sum(range(10))  # the handler runs here, inside numpy's import
        except BaseException as exc:
            if os.environ["NEEDLES_TEST_CONVERT"]:
                raise ImportError("numpy._core.multiarray failed to import") from exc
            raise
        raise AssertionError("the signal handler did not run")

assert "numpy" not in sys.modules, "numpy is imported up front: the test needs a lazy import"
sys.meta_path.insert(0, SignalInImport())
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("convert", [True, False], ids=["import-error", "raised"])
@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["term", "int"]
)
def test_signal_inside_a_lazy_import_ends_in_one_line(tmp_path, signum, status, convert):
    out = tmp_path / "out" / "kv.jsonl"
    out.parent.mkdir()
    mark = tmp_path / "signal-sent"
    args = ["generate", "simple-kv", "--num-samples", "2000", "--max-tokens", "2000"]
    proc = subprocess.run(
        [sys.executable, "-c", _SIGNAL_IN_IMPORT, *args, "--quiet", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "NEEDLES_TEST_MARK": str(mark),
            "NEEDLES_TEST_SIGNAL": str(int(signum)),
            "NEEDLES_TEST_CONVERT": "1" if convert else "",
        },
    )
    assert mark.exists(), f"numpy was never imported lazily: {proc.stderr}"
    assert proc.returncode == status, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"artificial-needles: {'terminated (SIGTERM)' if status == 143 else 'interrupted (SIGINT)'}"
    ], proc.stderr
    assert list(out.parent.iterdir()) == []


def test_signal_whose_exception_was_swallowed_still_ends_the_command(capsys):
    from artificial_needles.cli.util import run_guarded

    def command() -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            sum(range(10))  # the handler raises here
        except BaseException:  # a library that swallows everything
            pass
        return 0

    assert run_guarded(command) == 143
    assert capsys.readouterr().err == "artificial-needles: terminated (SIGTERM)\n"
