"""The import paths and names that moved keep working for one release, with a warning.

Each old path is imported in a fresh interpreter (an import runs once per process) and must
give the new object and a ``DeprecationWarning`` naming where to import from instead.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

from artificial_needles import Gold, KVConfig, hookimpl
from artificial_needles.generators.build import make_generator
from artificial_needles.plugins import manager

GEN = "artificial_needles.generators"
OLD_PATHS = [
    ("artificial_needles.generate", "make_generator", "artificial_needles.generators.build"),
    ("artificial_needles.evaluate", "run_lm_eval", "artificial_needles.eval.runner"),
    ("artificial_needles.scoring", "score_kv", "artificial_needles.eval.scoring"),
    ("artificial_needles.tasks.generator", "KVGenerator", "artificial_needles.generators.task"),
    (
        "artificial_needles.tasks.simple_kv",
        "SimpleKVTask",
        "artificial_needles.generators.simple_kv",
    ),
    ("artificial_needles.data.kv_eval", "build_kv_docs", "artificial_needles.eval.kv_docs"),
    ("artificial_needles.data.mdqa", "build_prompt", "artificial_needles.eval.mdqa"),
]


@pytest.mark.parametrize(("old", "name", "new"), OLD_PATHS)
def test_old_import_path_warns_and_gives_the_new_object(old, name, new):
    code = f"""
import warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as seen:
    from {old} import {name} as obj
import {new} as new
assert obj is getattr(new, "{name}"), (obj, new)
print("\\n".join(f"{{w.category.__name__}}: {{w.message}}" for w in seen))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "DeprecationWarning: " in res.stdout and "is deprecated" in res.stdout, res.stdout


def test_new_paths_import_without_deprecation_warnings():
    code = """
import warnings
warnings.simplefilter("error", DeprecationWarning)
import artificial_needles.cli.main, artificial_needles.eval, artificial_needles.generators.build
import artificial_needles.axolotl.plugin, artificial_needles.report
from artificial_needles import KVTask, Generator, LineCosts, make_generator
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_a_plugin_on_the_old_base_class_warns_and_still_generates():
    from artificial_needles import KVGenerator, digits_number

    with pytest.warns(DeprecationWarning, match="KVGenerator is deprecated"):

        class OldStyle(KVGenerator):
            name = "old-style-kv"
            config_cls = KVConfig
            description = "a plugin written for the 0.1 base class"

            def make_gold(self, rng):
                key, value = digits_number(rng, (5, 5)), digits_number(rng, (3, 3))
                return Gold([(key, value)], key, value, f"What is {key}?", reserved={key, value})

            def make_pair(self, rng, gold):
                while True:
                    k, v = digits_number(rng, (5, 5)), digits_number(rng, (3, 3))
                    if k not in gold.reserved and v not in gold.reserved:
                        return k, v

            def pair_numbers(self, pair):
                return list(pair)

            def answer(self, gold, name):
                return f"{gold.value} in {name}"

            @classmethod
            def check_content(cls, dicts, gold_index, question, answer, meta):
                return (
                    [] if answer == f"{meta['gold_value']} in {meta['gold_dict_name']}" else ["x"]
                )

    class Plugin:
        __name__ = "OldPlugin"

        @hookimpl
        def register_generators(self, register):
            register(OldStyle)

    manager.reset()  # drops the manager: register on the fresh one
    pm = manager.get_plugin_manager()
    pm.register(Plugin(), name="old")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # generating itself warns no more
            gen = make_generator("old-style-kv", overrides={"num_samples": 3, "max_tokens": 600})
            samples = list(gen.iter_samples())
        assert len(samples) == 3
        assert all(gen.check_sample(s.prompt, s.answer, s.meta) == [] for s in samples)
    finally:
        pm.unregister(name="old")
        manager.reset()
