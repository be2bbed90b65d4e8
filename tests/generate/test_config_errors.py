"""Config errors are one clean line per problem, naming the field and the fix.

pydantic's own words must not leak: no "Value error, " prefix, no bare "Input should be", and an
unknown field gets a "did you mean" and the list of valid fields. A ``--set`` value that is
broken JSON is reported, not silently taken as a string.
"""

from __future__ import annotations

import pytest

from artificial_needles.cli.main import main
from artificial_needles.config_errors import ConfigError
from artificial_needles.errors import NeedlesError
from artificial_needles.generators.options import build_config

LEAKS = ("Value error", "Input should", "Extra inputs", "validation error", "pydantic")

CASES = [
    ({"dict_size": [4, 3]}, "simple-kv: dict_size: minimum 4 is larger than maximum 3"),
    ({"dict_size": 3}, "simple-kv: dict_size: must be a list of two numbers [min, max], got 3"),
    ({"dict_size": [1, 2, 3]}, "dict_size: must be a list of two numbers [min, max]"),
    ({"num_samples": 0}, "simple-kv: num_samples: must be >= 1, got 0"),
    ({"num_samples": "many"}, "simple-kv: num_samples: must be an integer, got 'many'"),
    ({"num_samples": 1.5}, "num_samples: must be a whole number, got 1.5"),
    ({"gold_position": "middle"}, "gold_position: must be one of 'uniform', 'paper'"),
    ({"answer_template": "perhaps"}, "answer_template: must be true or false, got 'perhaps'"),
    ({"gold_position": "depth", "gold_depth": [0.5]}, "gold_depth: must be a list of two"),
    ({"margin": 5000}, "simple-kv: margin (5000) must be smaller than max_tokens (4096)"),
    ({"colour": "blue"}, "simple-kv: unknown field 'colour'; valid fields: answer_template,"),
    ({"num_dict": 5}, "unknown field 'num_dict' (did you mean 'num_dicts'?); valid fields:"),
]


@pytest.mark.parametrize(("overrides", "expected"), CASES, ids=[c[1][:40] for c in CASES])
def test_build_config_message(overrides, expected):
    with pytest.raises(ConfigError) as info:
        build_config("simple-kv", overrides=overrides)
    msg = str(info.value)
    assert expected in msg
    assert not any(leak in msg for leak in LEAKS), msg
    assert isinstance(info.value, NeedlesError)
    assert all(line.startswith("simple-kv: ") for line in msg.splitlines())


def test_unknown_field_lists_every_valid_field():
    with pytest.raises(NeedlesError) as info:
        build_config("multi-subkey-kv", overrides={"subkey_per_key": [3, 4]})
    msg = str(info.value)
    assert "did you mean 'subkeys_per_key'?" in msg
    from artificial_needles.generators.options import generator_params

    for name in generator_params("multi-subkey-kv"):
        assert name in msg.split("valid fields: ")[1]


def test_one_line_per_problem_with_the_field():
    with pytest.raises(ConfigError) as info:
        build_config("simple-kv", overrides={"seed": -1, "margin": -2, "colour": 1})
    lines = str(info.value).splitlines()
    assert len(lines) == 3
    assert {p.field for p in info.value.problems} == {"seed", "margin", "colour"}
    assert "simple-kv: seed: must be >= 0, got -1" in lines


def test_unknown_preset_names_the_presets():
    with pytest.raises(NeedlesError, match="unknown preset 'paper-gpt4'.*presets: paper-mistral"):
        build_config("simple-kv", preset="paper-gpt4")


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("dict_size=[2,3", "--set 'dict_size=[2,3': the value is not valid JSON"),
        ('gold_position="paper', "not valid JSON"),
        ("num_dicts=12x", "not valid JSON"),
        ("=5", "write it as FIELD=VALUE"),
    ],
)
def test_set_json_error_is_shown(tmp_path, capsys, item, expected):
    out = tmp_path / "out.jsonl"
    code = main(["generate", "simple-kv", "--set", item, "--num-samples", "2", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err, err
    assert list(tmp_path.iterdir()) == []


def test_set_bare_word_is_a_string(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    args = ["--set", "gold_position=paper", "--set", "dict_size=[2, 3]", "--num-samples", "2"]
    code = main(["generate", "simple-kv", *args, "--max-tokens", "600", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert out.read_text().count("\n") == 2
