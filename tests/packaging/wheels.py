"""Build real wheels (ours and a dummy rival) and run code against a ``pip --target`` folder.

Our wheel is built from a copy of the files the build reads, so the repository gets no
``build/`` or ``*.egg-info`` and parallel builds never share a folder. Builds and installs are
offline: ``--no-index --no-deps --no-build-isolation`` with the running interpreter's setuptools.
The child interpreter runs with ``-S`` (no ``site``): the editable install's path finder of the
development venv is not loaded, so only the target folder can provide ``artificial_needles``;
the venv's site-packages follow it on ``PYTHONPATH`` for the dependencies.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from artificial_needles.testing import OFFLINE_ENV

ROOT = Path(__file__).resolve().parents[2]
#: what the build of our wheel reads (pyproject's package-dir roots, readme, license)
SOURCES = [
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "src",
    "lm_eval_tasks",
    "axolotl_plugins",
    "configs",
]
PROBE = r"""
import importlib.util, json, sys
import artificial_needles
from artificial_needles.eval.paths import tasks_path
from lm_eval.tasks import TaskManager
from artificial_needles.axolotl import NeedlesPlugin
from axolotl.integrations.base import BasePlugin
path = tasks_path()
dummy = importlib.util.find_spec("lm_eval_tasks")
print(json.dumps({
    "package": artificial_needles.__file__,
    "tasks_path": str(path),
    "tasks": sorted(TaskManager(include_path=str(path), include_defaults=False).all_tasks),
    "plugin": f"{NeedlesPlugin.__module__}.{NeedlesPlugin.__qualname__}",
    "plugin_file": sys.modules[NeedlesPlugin.__module__].__file__,
    "is_plugin": issubclass(NeedlesPlugin, BasePlugin),
    "top_level_lm_eval_tasks": dummy.origin if dummy else None,
}))
"""


def pip(*args: str) -> None:
    """Run pip of the running interpreter offline; fail with its output."""
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"


def build_wheel(project: Path, out: Path) -> Path:
    """``pip wheel`` of the project folder into ``out``; returns the wheel."""
    pip(
        "wheel",
        "--no-index",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(out),
        str(project.resolve()),
    )
    (wheel,) = out.glob("*.whl")
    return wheel


def build_our_wheel(work: Path) -> Path:
    """Copy the build's sources into ``work/src`` and build the artificial-needles wheel."""
    src = work / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        elif path.is_file():
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, src / name)
    return build_wheel(src, work / "dist")


def build_dummy_wheel(work: Path) -> Path:
    """A rival distribution shipping top-level ``lm_eval_tasks`` and ``axolotl_plugins``.

    Its files sit where our old top-level layout put ours (``lm_eval_tasks/__init__.py``,
    ``lm_eval_tasks/kv_retrieval/kv_retrieval_simple.yaml``, ``axolotl_plugins/needles/``).
    """
    src = work / "dummy"
    files = {
        "pyproject.toml": (
            '[build-system]\nrequires = ["setuptools>=61"]\n'
            'build-backend = "setuptools.build_meta"\n\n'
            '[project]\nname = "rival-lm-eval-tasks"\nversion = "1.0"\n\n'
            '[tool.setuptools]\npackages = ["lm_eval_tasks", "lm_eval_tasks.kv_retrieval", '
            '"axolotl_plugins", "axolotl_plugins.needles"]\n\n'
            '[tool.setuptools.package-data]\n"*" = ["*.yaml"]\n'
        ),
        "lm_eval_tasks/__init__.py": '"""Another project\'s lm-eval tasks."""\n',
        "lm_eval_tasks/kv_retrieval/__init__.py": "",
        "lm_eval_tasks/kv_retrieval/kv_retrieval_simple.yaml": "task: rival_kv\n",
        "axolotl_plugins/__init__.py": '"""Another project\'s Axolotl plugins."""\n',
        "axolotl_plugins/needles/__init__.py": 'raise ImportError("rival plugin")\n',
    }
    for name, text in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    return build_wheel(src, work / "dummy-dist")


def install(target: Path, *wheels: Path) -> None:
    """``pip install --target`` of the wheels (one command, no dependencies, offline)."""
    pip(
        "install",
        "--no-index",
        "--no-deps",
        "--no-compile",
        "--target",
        str(target),
        *map(str, wheels),
    )


def remove_distribution(target: Path, name: str) -> list[Path]:
    """Delete every file a ``--target`` install of ``name`` recorded, then its empty folders."""
    (record,) = target.glob(f"{name.replace('-', '_')}-*.dist-info/RECORD")
    removed = []
    for line in record.read_text().splitlines():
        rel = line.rsplit(",", 2)[0]
        path = target / rel
        if path.is_file():
            path.unlink()
            removed.append(path)
    for folder in sorted({p.parent for p in removed}, key=lambda p: -len(p.parts)):
        while folder != target and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return removed


def child_env(target: Path) -> dict[str, str]:
    """Environment of a child that sees ``target`` first, then the venv's packages."""
    paths = [str(target), sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
    return {**os.environ, **OFFLINE_ENV, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


def run_python(target: Path, *args: str, cwd: Path | None = None) -> str:
    """``python -S ARGS`` against ``target``; returns stdout, fails with stderr."""
    proc = subprocess.run(
        [sys.executable, "-S", *args],
        env=child_env(target),
        cwd=cwd or target,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout


def probe(target: Path) -> dict:
    """Package file, tasks path, lm-eval's task list and the plugin class, seen from ``target``."""
    return json.loads(run_python(target, "-c", PROBE).strip().splitlines()[-1])


def expected_tasks() -> list[str]:
    """Every task and group name our task YAML files define (read from the repository)."""
    names = set()
    for path in (ROOT / "lm_eval_tasks").rglob("*.yaml"):
        names.update(re.findall(r"^(?:task|group):\s*(\w+)\s*$", path.read_text(), re.MULTILINE))
    return sorted(names)
