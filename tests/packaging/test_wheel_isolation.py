"""Our wheel installs nothing top-level that another distribution could clobber.

Our wheel and a rival one that ships top-level ``lm_eval_tasks`` and ``axolotl_plugins``
(where our old layout put ours) are installed with one ``pip install --target`` into a fresh
folder; then the rival is removed file by file from its RECORD, as ``pip uninstall`` does.
Before and after, ``tasks-path``, lm-eval's task list under it and the plugin class come from
``artificial_needles`` in that folder, unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from wheels import expected_tasks, install, probe, remove_distribution, run_python

pytestmark = pytest.mark.slow  # wheel builds and two imports of axolotl: ~30-60 s


def _check_ours(seen: dict, target: Path) -> None:
    ours = target / "artificial_needles"
    assert Path(seen["package"]).parent == ours
    assert Path(seen["tasks_path"]) == (ours / "lm_eval_tasks").resolve()
    assert seen["tasks"] == expected_tasks()
    assert "rival_kv" not in seen["tasks"]
    assert seen["plugin"] == "artificial_needles.axolotl.plugin.NeedlesPlugin"
    assert Path(seen["plugin_file"]).parent == ours / "axolotl"
    assert seen["is_plugin"] is True
    printed = run_python(target, "-m", "artificial_needles.cli.main", "tasks-path").strip()
    assert Path(printed) == (ours / "lm_eval_tasks").resolve()


def test_rival_top_level_packages_do_not_touch_ours(our_wheel, dummy_wheel, tmp_path):
    target = tmp_path / "site"
    install(target, our_wheel, dummy_wheel)
    # the rival really is installed next to us, at the top level
    assert (target / "lm_eval_tasks" / "kv_retrieval" / "kv_retrieval_simple.yaml").is_file()
    assert (target / "axolotl_plugins" / "needles" / "__init__.py").is_file()
    seen = probe(target)
    assert Path(seen["top_level_lm_eval_tasks"]) == target / "lm_eval_tasks" / "__init__.py"
    _check_ours(seen, target)

    removed = remove_distribution(target, "rival-lm-eval-tasks")
    assert target / "lm_eval_tasks" / "__init__.py" in removed
    assert not (target / "lm_eval_tasks").exists()
    assert not (target / "axolotl_plugins").exists()
    after = probe(target)
    assert after["top_level_lm_eval_tasks"] is None
    _check_ours(after, target)
