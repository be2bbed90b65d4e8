"""A real, non-editable wheel install works on its own.

The wheel is built from the working tree and installed with ``pip install --target`` into a
fresh folder; the console script and the modules there give the tasks path, lm-eval's task list,
the plugin class, ``configs list`` and ``configs copy``. The wheel carries the LICENSE and
installs nothing but ``artificial_needles`` at the top level. About 15 s (wheel build, one
import of Axolotl), so not marked slow.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from wheels import ROOT, child_env, expected_tasks, install, probe

SHIPPED = sorted(p.stem for p in (ROOT / "configs" / "axolotl").glob("*.yml"))


@pytest.fixture(scope="module")
def target(our_wheel, tmp_path_factory):
    path = tmp_path_factory.mktemp("wheel-install") / "site"
    install(path, our_wheel)
    return path


def _cli(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    script = target / "bin" / "artificial-needles"
    return subprocess.run(
        [str(script), *args],
        env=child_env(target),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_wheel_contents(our_wheel):
    names = zipfile.ZipFile(our_wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"artificial_needles", "artificial_needles-0.1.0.dist-info"}
    assert "artificial_needles-0.1.0.dist-info/licenses/LICENSE" in names
    assert (
        sorted(
            Path(n).stem
            for n in names
            if n.startswith("artificial_needles/configs/") and n.endswith(".yml")
        )
        == SHIPPED
    )
    assert "artificial_needles/lm_eval_tasks/kv_retrieval/kv_retrieval_simple.yaml" in names
    entry_points = (
        zipfile.ZipFile(our_wheel)
        .read("artificial_needles-0.1.0.dist-info/entry_points.txt")
        .decode()
    )
    assert "artificial-needles = artificial_needles.cli.main:main" in entry_points
    assert "needles-generate = artificial_needles.axolotl.cli:generate" in entry_points


def test_tasks_and_plugin_from_the_installed_wheel(target):
    seen = probe(target)
    ours = target / "artificial_needles"
    assert Path(seen["package"]).parent == ours
    assert Path(seen["tasks_path"]) == (ours / "lm_eval_tasks").resolve()
    assert seen["tasks"] == expected_tasks()
    assert seen["plugin"] == "artificial_needles.axolotl.plugin.NeedlesPlugin"
    assert Path(seen["plugin_file"]).parent == ours / "axolotl"
    assert seen["is_plugin"] is True


def test_console_script_tasks_path_and_configs(target, tmp_path):
    proc = _cli(target, "tasks-path", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == (target / "artificial_needles" / "lm_eval_tasks").resolve()

    proc = _cli(target, "configs", "list", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["name"] for r in rows] == SHIPPED
    assert all(r["description"] for r in rows)

    proc = _cli(target, "configs", "copy", "tiny-cpu-smoke", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    written = tmp_path / "out" / "tiny-cpu-smoke.yml"
    assert Path(proc.stdout.strip()) == Path("out") / "tiny-cpu-smoke.yml"
    assert written.read_bytes() == (ROOT / "configs/axolotl/tiny-cpu-smoke.yml").read_bytes()
