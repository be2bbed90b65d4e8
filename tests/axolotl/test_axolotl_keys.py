"""One source of truth for the plugin's keys: every generator parameter is a ``needles_*`` key,
derived from the core's parameter table, and ``args.py`` is a leaf module."""

from __future__ import annotations

import ast
from pathlib import Path

from artificial_needles.axolotl import args
from artificial_needles.axolotl.args import NeedlesArgs, generator_overrides

PLUGIN_ONLY = {
    "needles_task",
    "needles_preset",
    "needles_mix_ratio",
    "needles_eval_samples",
    "needles_overrides",
    "needles_train_on",
    "needles_eval_tasks",
    "needles_eval_baseline",
    "needles_label",
    "needles_eval_limit",
    "needles_eval_metadata",
    "needles_eval_batch_size",
    "needles_eval_backend",
    "needles_eval_chat_template",
    "needles_eval_log_samples",
    "needles_eval_model_args",
}


def test_needles_keys_are_the_generator_params_plus_the_plugin_keys():
    params = args.generator_params()
    assert {p.axolotl_key for p in params.values()} == {f"needles_{n}" for n in params}
    assert set(NeedlesArgs.model_fields) == {f"needles_{n}" for n in params} | PLUGIN_ONLY
    assert set(args.PLUGIN_KEYS) == PLUGIN_ONLY


def test_every_generator_key_reaches_the_generator_config():
    params = args.generator_params()
    cfg = {f"needles_{n}": object() for n in params}
    assert set(generator_overrides(cfg)) == set(params)
    assert generator_overrides({"needles_num_dicts": "fill"}) == {"num_dicts": None}
    assert generator_overrides({"sequence_len": 512}) == {"max_tokens": 512}
    assert generator_overrides({"sequence_len": 512, "needles_max_tokens": 300}) == {
        "max_tokens": 300
    }


def test_args_module_is_a_leaf():
    tree = ast.parse(Path(args.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    ours = {m for m in imported if m.startswith("artificial_needles")}
    assert ours <= {"artificial_needles.generators.options"}
    assert not any(m.startswith("artificial_needles.axolotl") for m in imported)
