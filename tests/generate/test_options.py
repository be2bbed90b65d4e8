"""One source of truth for the generator parameters.

The CLI flags, the Axolotl ``needles_*`` keys, the ``gold_position`` choices and the metadata
keys that ``validate`` requires all come from :mod:`~.generators.options`; a new field of
the config is a new flag and a new key without another edit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import typing

import pytest

from artificial_needles.cli.main import build_parser, main
from artificial_needles.generators import options
from artificial_needles.generators.build import make_generator
from artificial_needles.generators.config import KVConfig
from artificial_needles.generators.options import GOLD_POSITIONS, META_KEYS, generator_params
from artificial_needles.generators.records import to_record
from artificial_needles.generators.sample import SAMPLE_META_KEYS


def test_params_are_the_config_fields():
    params = generator_params()
    assert list(params) == list(KVConfig.model_fields)
    for name, p in params.items():
        assert p.name == name
        assert p.cli_flag == "--" + name.replace("_", "-")
        assert p.axolotl_key == "needles_" + name
        assert p.help == KVConfig.model_fields[name].description
        assert p.default == KVConfig.model_fields[name].default
    assert params["gold_position"].choices == GOLD_POSITIONS
    assert GOLD_POSITIONS == typing.get_args(KVConfig.model_fields["gold_position"].annotation)
    multi = generator_params("multi-subkey-kv")
    assert {"subkeys_per_key", "sharing_fraction"} <= set(multi)
    assert multi["key_digits"].default == (3, 3)


def test_every_shared_param_is_a_generate_flag(capsys):
    parser = build_parser()
    args = parser.parse_args(["generate", "simple-kv", "-o", "x.jsonl"])
    assert set(args.param_names) == set(generator_params())
    with pytest.raises(SystemExit):
        build_parser().parse_args(["generate", "--help"])
    g_help = capsys.readouterr().out
    for p in generator_params().values():
        assert p.cli_flag in g_help
    assert "{uniform,paper,fixed,depth}" in g_help


def test_flags_reach_the_config():
    args = build_parser().parse_args(
        ["generate", "simple-kv", "-o", "x", "--dict-size", "2", "5", "--no-answer-template",
         "--gold-position", "depth", "--gold-depth", "0.2", "0.4", "--shuffle-names"]
    )
    from artificial_needles.cli.param_flags import param_overrides

    assert param_overrides(args, args.param_names) == {
        "dict_size": (2, 5),
        "answer_template": False,
        "gold_position": "depth",
        "gold_depth": (0.2, 0.4),
        "shuffle_names": True,
    }


def test_generate_flags_are_not_built_for_other_commands():
    """The generator flags import the config (pydantic); other commands skip that."""
    code = (
        "import sys; from artificial_needles.cli.main import build_parser; "
        "build_parser().parse_args(['tasks-path']); "
        "print('artificial_needles.generators.options' in sys.modules, "
        "'artificial_needles.generators.config' in sys.modules)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.stdout.strip() == "False False", res.stderr


#: Modules the other commands need and a short ``generate`` run must not import (start-up).
NOT_FOR_GENERATE = (
    "artificial_needles.cli.eval",
    "artificial_needles.cli.report",
    "artificial_needles.cli.configs",
    "artificial_needles.cli.tiny_model",
    "multiprocessing",
)


def test_generate_imports_only_what_it_needs(tmp_path):
    """Start-up: ``generate`` configures only its own subcommand and starts no pool
    machinery for one process."""
    out = tmp_path / "d.jsonl"
    code = (
        "import sys; from artificial_needles.cli.main import main; "
        f"main(['generate', 'simple-kv', '--num-samples', '2', '--max-tokens', '500', "
        f"'--quiet', '-o', {str(out)!r}]); "
        f"print([m for m in {NOT_FOR_GENERATE!r} if m in sys.modules])"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.stdout.strip() == "[]", res.stderr
    assert len(out.read_text().splitlines()) == 2


def test_help_still_lists_and_configures_every_command(capsys):
    from artificial_needles.cli.main import COMMANDS

    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    assert all(name in listed for name in COMMANDS)
    for name in COMMANDS:
        if name == "eval":
            continue  # its --help is lm-eval's own (tests/lm_eval)
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        assert f"usage: artificial-needles {name}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["generat", "x"])  # an unknown command still gets argparse's message
    assert exc.value.code == 2
    assert "invalid choice: 'generat'" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["mistral", "openai"])
@pytest.mark.parametrize("task", ["simple-kv", "multi-subkey-kv"])
def test_every_record_carries_the_meta_keys(task, fmt):
    gen = make_generator(task, overrides={"max_tokens": 500, "num_samples": 2})
    sample = gen.sample(0)
    assert tuple(sample.meta)[: len(SAMPLE_META_KEYS)] == SAMPLE_META_KEYS
    assert set(META_KEYS) <= set(to_record(sample, fmt)["meta"])


@pytest.mark.parametrize("key", ["preset", "max_tokens", "chat_template", "format"])
def test_validate_requires_every_meta_key(tmp_path, capsys, key):
    """The four keys that validate.META_KEYS missed before."""
    from artificial_needles.generators import validate

    assert validate.META_KEYS is options.META_KEYS
    out = tmp_path / "d.jsonl"
    assert main(["generate", "simple-kv", "--num-samples", "2", "--max-tokens", "500",
                 "--quiet", "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    del records[1]["meta"][key]
    out.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main(["validate", str(out)]) == 1
    assert f"meta lacks {key}" in capsys.readouterr().out


NEW_PARAM = r"""
import json, sys
from pydantic import Field
from artificial_needles.generators import options
from artificial_needles.generators.config import KVConfig

class WithKnob(KVConfig):
    new_knob: int = Field(7, ge=0, description="a brand-new knob")
    knob_range: tuple[int, int] = Field((1, 2), description="a new range")

options.BASE_CONFIG = WithKnob          # the one edit: a field on the shared config

from artificial_needles.cli.main import build_parser
from artificial_needles.cli.param_flags import param_overrides
parser = build_parser()
args = parser.parse_args(["generate", "simple-kv", "-o", "x", "--new-knob", "3",
                          "--knob-range", "4", "5"])
from artificial_needles.axolotl import args as ax
print(json.dumps({
    "flags": param_overrides(args, args.param_names),
    "keys": sorted(k for k in ax.NeedlesArgs.model_fields if "knob" in k),
    "overrides": ax.generator_overrides({"needles_new_knob": 9, "needles_knob_range": [1, 3]}),
    "param": options.generator_params()["new_knob"].help,
}))
"""


def test_a_new_param_is_a_flag_and_an_axolotl_key_without_other_edits():
    res = subprocess.run([sys.executable, "-c", NEW_PARAM], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["flags"] == {"new_knob": 3, "knob_range": [4, 5]}
    assert got["keys"] == ["needles_knob_range", "needles_new_knob"]
    assert got["overrides"] == {"new_knob": 9, "knob_range": [1, 3]}
    assert got["param"] == "a brand-new knob"
