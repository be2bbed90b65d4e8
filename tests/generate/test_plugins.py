"""The plugin extension point, end to end and in process.

Part one installs ``examples/needles-example-plugin`` for real (pip, into a private target
directory put on ``PYTHONPATH``) and drives the ``artificial-needles`` command in subprocesses.
Part two registers plugin objects inside the test, as simonw/llm's tests do, and checks how bad
plugins are reported.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.build import make_generator
from artificial_needles.generators.simple_kv import SimpleKVTask
from artificial_needles.plugins import manager as plugins
from artificial_needles.plugins.hookspecs import hookimpl

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "needles-example-plugin"
BUILTIN = {"simple-kv", "multi-subkey-kv", "multi-query-kv", "multi-hop-kv"}


# -- part one: the example distribution, installed -------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A directory holding the installed example plugin (and nothing else)."""
    tmp = tmp_path_factory.mktemp("plugin")
    src = tmp / "src"
    # Build from a copy: an in-tree build would leave build/ and *.egg-info in examples/.
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    target = tmp / "site"
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation"]
    cmd += ["--no-index", "--disable-pip-version-check", "--quiet", "--target", str(target)]
    done = subprocess.run([*cmd, str(src)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "needles_example_plugin.py").is_file()
    return target


def cli(site: Path, cwd: Path, *args: str, plugins_env: str | None = None):
    """Run the installed ``artificial-needles`` command with the plugin on PYTHONPATH."""
    exe = Path(sys.executable).with_name("artificial-needles")
    command = [str(exe)] if exe.is_file() else [sys.executable, "-m", "artificial_needles.cli.main"]
    env = {k: v for k, v in os.environ.items() if k != plugins.ENV_ALLOW}
    env["PYTHONPATH"] = str(site)
    if plugins_env is not None:
        env[plugins.ENV_ALLOW] = plugins_env
    return subprocess.run(
        [*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_installed_plugin_is_listed_with_its_provider(site, tmp_path):
    done = cli(site, tmp_path, "list")
    assert done.returncode == 0, done.stderr
    assert "letter-kv  [example]  " in done.stdout
    assert "simple-kv  [builtin]  " in done.stdout
    rows = {r["name"]: r for r in json.loads(cli(site, tmp_path, "list", "--json").stdout)}
    assert rows["letter-kv"]["provider"] == "example"
    assert rows["letter-kv"]["parameters"]["value_letters"]["default"] == [3, 4]
    assert rows["letter-kv"]["presets"]["small"]["num_dicts"] == 20


def test_installed_plugin_generates_a_file_that_validates(site, tmp_path):
    done = cli(
        site,
        tmp_path,
        *("generate", "letter-kv", "--num-samples", "5", "--max-tokens", "512"),
        *("--set", "value_letters=[2,5]", "--quiet", "-o", "f.jsonl"),
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in (tmp_path / "f.jsonl").read_text().splitlines()]
    assert [r["meta"]["index"] for r in records] == list(range(5))
    for r in records:
        meta = r["meta"]
        assert meta["task"] == "letter-kv" and meta["num_tokens"] <= 512 - 100
        assert meta["value_letters"] == [2, 5]
        assert meta["gold_value"].isalpha() and meta["gold_value"].islower()
        assert f"{meta['gold_key']}: {meta['gold_value']!r}" in r["messages"][0]["content"]
        assert r["messages"][1]["content"] == (
            f"The value of key {meta['gold_key']} is {meta['gold_value']} and it is in "
            f"Dictionary [{meta['gold_dict_name']}]."
        )
    done = cli(site, tmp_path, "validate", "f.jsonl")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 line(s), ok" in done.stderr

    # The plugin's own check_content runs: a wrong gold value is caught.
    bad = records[0]
    bad["meta"]["gold_value"] = "zzzzzz"
    (tmp_path / "bad.jsonl").write_text(json.dumps(bad) + "\n")
    done = cli(site, tmp_path, "validate", "bad.jsonl")
    assert done.returncode == 1
    assert "bad.jsonl:1: gold key" in done.stdout and "'zzzzzz'" in done.stdout


def test_installed_plugin_loads_in_worker_processes(site, tmp_path):
    args = ("generate", "letter-kv", "--preset", "small", "--num-samples", "3", "--quiet")
    one = cli(site, tmp_path, *args, "-o", "one.jsonl")
    two = cli(site, tmp_path, *args, "--num-workers", "2", "-o", "two.jsonl")
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert cli(site, tmp_path, "validate", "two.jsonl").returncode == 0


def test_env_var_selects_plugins(site, tmp_path):
    hidden = cli(site, tmp_path, "list", plugins_env="")
    assert hidden.returncode == 0, hidden.stderr
    assert "letter-kv" not in hidden.stdout and "simple-kv  [builtin]" in hidden.stdout
    done = cli(site, tmp_path, "generate", "letter-kv", "-o", "x.jsonl", plugins_env="")
    assert done.returncode == 2
    assert "unknown task 'letter-kv'" in done.stderr
    assert not (tmp_path / "x.jsonl").exists()
    assert "letter-kv  [example]" in cli(site, tmp_path, "list", plugins_env="example").stdout
    assert "letter-kv" not in cli(site, tmp_path, "list", plugins_env="other").stdout


# -- part two: plugins registered inside the test --------------------------------------------
@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch):
    """In-process tests see the built-in generators plus what they register, nothing else."""
    monkeypatch.setenv(plugins.ENV_ALLOW, "")
    plugins.reset()
    yield
    plugins.reset()


@contextlib.contextmanager
def registered(plugin: object, name: str):
    """Register ``plugin`` on a fresh manager; forget it (and the loaded generators) after.

    ``reset()`` drops the manager itself, so it must come first: a registration made before
    it would be lost, and one made after ``get_generators()`` ran would not be seen.
    """
    plugins.reset()
    pm = plugins.get_plugin_manager()
    pm.register(plugin, name=name)
    try:
        yield
    finally:
        pm.unregister(name=name)
        plugins.reset()


def load_example_module():
    spec = importlib.util.spec_from_file_location(
        "needles_example_plugin", EXAMPLE / "needles_example_plugin.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_module_registered_in_process():
    example = load_example_module()
    with registered(example, "example"):
        gens = plugins.get_generators()
        assert set(gens) == BUILTIN | {"letter-kv"}
        assert plugins.provider_of("letter-kv") == "example"
        gen = make_generator("letter-kv", overrides={"num_samples": 4, "max_tokens": 400})
        samples = list(gen.iter_samples())
        for s in samples:
            assert gen.check_sample(s.prompt, s.answer, s.meta) == []
        s = samples[0]
        wrong = s.answer.replace(s.meta["gold_value"], "qqqqq")
        assert gen.check_sample(s.prompt, wrong, s.meta) == [
            f"answer {wrong!r}, expected {s.answer!r}"
        ]
        with pytest.raises(NeedlesError, match="value_letters"):
            make_generator("letter-kv", overrides={"value_letters": [5, 2]})
    assert set(plugins.get_generators()) == BUILTIN


def test_duplicate_generator_name_names_both_providers():
    class Clash(SimpleKVTask):
        description = "same name as the built-in"

    class Plugin:
        __name__ = "ClashPlugin"

        @hookimpl
        def register_generators(self, register):
            register(Clash)

    with registered(Plugin(), "clash"):
        with pytest.raises(NeedlesError) as info:
            plugins.get_generators()
    message = str(info.value)
    assert "'simple-kv'" in message and "'builtin'" in message and "'clash'" in message
    assert set(plugins.get_generators()) == BUILTIN


@pytest.mark.parametrize("thing", [int, "letter-kv", SimpleKVTask.presets])
def test_registering_a_non_generator_fails(thing):
    class Plugin:
        __name__ = "WrongPlugin"

        @hookimpl
        def register_generators(self, register):
            register(thing)

    with registered(Plugin(), "wrong"):
        with pytest.raises(NeedlesError, match=r"plugin 'wrong' registered .*not a KVTask"):
            plugins.get_generators()


def test_failing_hook_is_reported_with_the_plugin_name():
    class Plugin:
        __name__ = "BrokenPlugin"

        @hookimpl
        def register_generators(self, register):
            raise RuntimeError("boom")

    with registered(Plugin(), "broken"):
        with pytest.raises(NeedlesError) as info:
            plugins.get_generators()
    assert str(info.value) == "plugin 'broken' failed while registering: RuntimeError('boom')"
    assert isinstance(info.value.__cause__, RuntimeError)
    assert set(plugins.get_generators()) == BUILTIN
