"""Facts written in more than one place agree with their one definition in the code.

The task names (:mod:`artificial_needles.eval.task_names`) against the YAML files under
``lm_eval_tasks/``; the metadata keys (:class:`~artificial_needles.eval.metadata.EvalMetadata`)
and the run record (:func:`~artificial_needles.eval.runner.run_record`) against the lists in
the docs; the version against the installed distribution's.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from artificial_needles import __version__
from artificial_needles.eval import task_names
from artificial_needles.eval.metadata import EvalMetadata
from artificial_needles.eval.runner import run_record
from artificial_needles.report.general import MAIN_METRICS, NAMES

ROOT = Path(__file__).resolve().parents[2]
TASKS = ROOT / "lm_eval_tasks"


def _yaml_value(path: Path, key: str) -> str | None:
    """A top-level ``key: value`` of a task YAML (read as text: the files use ``!function``)."""
    m = re.search(rf"^{key}: *(\S+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return m[1] if m else None


def _group_members(path: Path) -> list[str]:
    """The ``task:`` list of a group YAML."""
    text = path.read_text(encoding="utf-8")
    block = text.split("\ntask:\n", 1)[1]
    return re.findall(r"^  - (\S+)$", block.split("\n\n", 1)[0], re.MULTILINE)


def _leaf_tasks() -> dict[str, Path]:
    out = {}
    for path in sorted(TASKS.rglob("*.yaml")):
        name = _yaml_value(path, "task")
        if name is not None and _yaml_value(path, "group") is None:
            out[name] = path
    return out


def test_every_leaf_task_has_a_family_prefix_and_its_family_pattern():
    leaves = _leaf_tasks()
    assert len(leaves) > 20
    for name, path in leaves.items():
        assert task_names.is_family_task(name), path
        family = path.parent.name
        if family == "mdqa":
            assert task_names.MDQA_TASK.match(name) or name == task_names.MDQA_CLOSEDBOOK, name
        elif family == "flenqa":
            assert task_names.FLENQA_TASK.match(name), name
        else:
            assert family == task_names.KV_GROUP and task_names.KV_TASK.match(name), name


def test_flenqa_tasks_are_the_subsets_with_and_without_cot():
    names = {n for n in _leaf_tasks() if n.startswith(task_names.FLENQA_PREFIX)}
    subsets = task_names.FLENQA_SUBSETS
    suffixes = ("", task_names.COT_SUFFIX)
    assert names == {f"{task_names.FLENQA_PREFIX}{s}{cot}" for s in subsets for cot in suffixes}
    assert _group_members(TASKS / "flenqa" / "_flenqa.yaml") == [f"flenqa_{s}" for s in subsets]
    for s in subsets:  # each task reads its own subset
        assert _yaml_value(TASKS / "flenqa" / f"flenqa_{s}.yaml", "  subset") == s


def test_general_group_is_the_code_s_list_of_general_tasks():
    path = TASKS / "general" / "_needles_general.yaml"
    assert _yaml_value(path, "group") == task_names.GENERAL_GROUP
    assert tuple(_group_members(path)) == task_names.GENERAL_TASKS
    assert tuple(MAIN_METRICS) == tuple(NAMES) == task_names.GENERAL_TASKS


def test_all_group_is_named_as_the_code_names_it():
    assert _yaml_value(TASKS / "_artificial_needles.yaml", "group") == task_names.ALL_GROUP
    assert _yaml_value(TASKS / "kv_retrieval" / "_kv_retrieval.yaml", "group") == "kv_retrieval"


def _backticked(text: str) -> list[str]:
    return re.findall(r"`([a-z_]+)`", text)


def _table_keys(doc: str, heading: str) -> list[str]:
    section = doc.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)


def test_metadata_key_lists_in_the_docs_are_the_model_s_fields():
    fields = list(EvalMetadata.model_fields)
    readme = (TASKS / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"\(keys: (.*?); docs/metadata\.md", readme, re.DOTALL)
    assert listed, "lm_eval_tasks/README.md lists the metadata keys as '(keys: ...; docs/...)'"
    assert _backticked(listed[1]) == fields
    doc = (ROOT / "docs" / "metadata.md").read_text(encoding="utf-8")
    assert _table_keys(doc, "## lm-eval task metadata") == fields


def test_sample_meta_and_axolotl_key_tables_in_the_docs_are_the_code_s():
    from artificial_needles.axolotl.args import PLUGIN_KEYS
    from artificial_needles.generators.options import META_KEYS

    doc = (ROOT / "docs" / "metadata.md").read_text(encoding="utf-8")
    assert _table_keys(doc, "## Per-sample `meta`") == list(META_KEYS)
    assert _table_keys(doc, "## Axolotl `needles_*` keys") == list(PLUGIN_KEYS)


def test_run_record_keys_in_the_docs_are_the_record_s():
    record = run_record({"label": "x", "seed": 0, "stage": "base"}, {}, {}, True)
    doc = (ROOT / "docs" / "metadata.md").read_text(encoding="utf-8")
    assert _table_keys(doc, "## Run record in results files") == list(record)
    assert record["version"] == __version__


def test_version_is_written_once():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.findall(r"^version = (.*)$", text, re.MULTILINE) == [
        '{attr = "artificial_needles.__version__"}'
    ]
    assert 'dynamic = ["version"]' in text
    assert version("artificial-needles") == __version__


@pytest.mark.parametrize("module", ["eval/checks.py", "report/load.py", "report/kv.py"])
def test_family_prefixes_are_not_spelled_out_again(module):
    text = (ROOT / "src" / "artificial_needles" / module).read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for prefix in task_names.FAMILY_PREFIXES:
        assert f'"{prefix}' not in code and f"r\"^{prefix}" not in code, (module, prefix)
