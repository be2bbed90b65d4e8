"""Config handling of the needles plugin, through Axolotl's own config loading and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from axolotl_cfg import CONFIGS, PAPER, SMOKE, fake_eval_data, raw, validate


@pytest.fixture
def eval_data(tmp_path_factory, monkeypatch):
    """The paper configs' eval data (MDQA, FLenQA) resolvable through the env variables."""
    for name, value in fake_eval_data(tmp_path_factory.mktemp("eval-data")).items():
        monkeypatch.setenv(name, value)


def _raw(path: Path, prepared: Path, **changes):
    return raw(path, prepared, **changes)


def _validate(cfg: dict):
    return validate(cfg)


def test_all_configs_are_found():
    names = {p.name for p in CONFIGS}
    assert {
        "mistral-7b-instruct-v0.1-paper.yml",
        "mistral-7b-instruct-v0.1-lora-24gb.yml",
        "mistral-7b-instruct-v0.1-paper-fsdp.yml",
        "llama-3-8b-instruct-paper.yml",
        "qwen2.5-7b-instruct-paper.yml",
        "tiny-cpu-smoke.yml",
        "mistral-7b-instruct-v0.1-multi-query-kv.yml",
        "mistral-7b-instruct-v0.1-multi-hop-kv.yml",
    } <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_passes_axolotl_validation(path, tmp_path, eval_data, tiny_tokenizer_dir):
    text = path.read_text()
    assert text.startswith("#"), "each config starts with a header comment"
    assert "axolotl " in text.split("\nbase_model:")[0], "the header names the command to run"
    # the base model must be at hand (the KV eval sizes prompts with its tokenizer): a local one
    cfg = _validate(_raw(path, tmp_path, base_model=str(tiny_tokenizer_dir)))
    assert cfg.needles_task
    assert [d["type"] for d in cfg.datasets] == ["artificial_needles.axolotl.dataset"]
    spec_file = Path(cfg.datasets[0]["path"])
    assert spec_file.is_file() and spec_file.parent == tmp_path / "needles"
    assert cfg.needles_eval_tasks


def test_paper_recipe_encodes_the_paper(tmp_path, eval_data, tiny_tokenizer_dir):
    assert yaml.safe_load(PAPER.read_text())["base_model"] == "mistralai/Mistral-7B-Instruct-v0.1"
    cfg = _validate(_raw(PAPER, tmp_path, base_model=str(tiny_tokenizer_dir)))
    assert cfg.learning_rate == pytest.approx(5e-6)
    assert cfg.micro_batch_size * cfg.gradient_accumulation_steps == 16
    assert cfg.num_epochs == 2 and cfg.sequence_len == 4096 and not cfg.adapter
    assert cfg.needles_num_samples == 350 and cfg.needles_preset == "paper-mistral"
    assert cfg.bf16 and cfg.gradient_checkpointing
    assert set(cfg.needles_eval_tasks) == {"mdqa_20docs", "flenqa", "kv_retrieval_simple"}
    assert cfg.needles_eval_baseline and cfg.needles_eval_chat_template


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"needles_task": "no-such-task"}, "needles_task"),
        ({"needles_preset": "nope"}, "needles_preset"),
        ({"needles_num_samples": 0}, "needles_num_samples"),
        ({"needles_train_on": "everything"}, "needles_train_on"),
        ({"needles_margin": 300}, "needles_margin"),
        ({"needles_overrides": {"key_digits": [5, 2]}}, "needles_overrides.key_digits"),
        ({"needles_gold_position": "middle"}, "needles_gold_position"),
        ({"needles_num_dicts": "many"}, "needles_num_dicts"),
        ({"needles_mix_ratio": 1.5}, "needles_mix_ratio"),
        ({"needles_num_sample": 5}, "needles_num_sample (did you mean needles_num_samples?)"),
        ({"needles_task": None}, "needles_task"),
    ],
)
def test_bad_needles_value_fails_at_config_load_naming_the_key(tmp_path, changes, key):
    raw = _raw(SMOKE, tmp_path)
    raw.update(changes)
    raw = {k: v for k, v in raw.items() if v is not None}
    with pytest.raises(ValueError) as info:
        _validate(raw)
    assert key in str(info.value)


def test_dataset_entry_without_needles_task_is_rejected(tmp_path):
    raw = {
        "base_model": "x",
        "plugins": ["artificial_needles.axolotl.NeedlesPlugin"],
        "datasets": [{"path": "needles", "type": "artificial_needles.axolotl.dataset"}],
        "micro_batch_size": 1,
        "learning_rate": 1e-5,
        "dataset_prepared_path": str(tmp_path),
    }
    with pytest.raises(ValueError, match="needles_task"):
        _validate(raw)


def test_mixing_keeps_user_datasets_and_fills_our_entry(tmp_path):
    mine = {"path": str(tmp_path / "mine.jsonl"), "type": "chat_template"}
    raw = _raw(SMOKE, tmp_path, needles_num_samples=None, needles_mix_ratio=0.25)
    raw["datasets"] = [mine, {"path": "needles", "type": "artificial_needles.axolotl.dataset"}]
    cfg = _validate(raw)
    assert cfg.datasets[0]["path"] == mine["path"]
    assert cfg.datasets[1]["path"].startswith(str(tmp_path / "needles"))
    raw["datasets"] = raw["datasets"][1:]
    with pytest.raises(ValueError, match="needles_mix_ratio"):
        _validate(raw)


def _axolotl_hash(cfg) -> str:
    from axolotl.utils.data.shared import generate_dataset_hash_from_config

    return generate_dataset_hash_from_config(cfg, cfg.datasets, "tok")


def test_changing_a_needles_key_changes_axolotl_prepared_data_hash(tmp_path):
    base = _axolotl_hash(_validate(_raw(SMOKE, tmp_path)))
    assert _axolotl_hash(_validate(_raw(SMOKE, tmp_path))) == base
    for change in (
        {"needles_seed": 1},
        {"needles_num_samples": 25},
        {"needles_train_on": "answer_slots"},
        {"needles_margin": 41},
        {"needles_overrides": {"value_digits": [2, 3]}},
        {"needles_task": "multi-subkey-kv", "needles_margin": 80},
    ):
        assert _axolotl_hash(_validate(_raw(SMOKE, tmp_path, **change))) != base, change


def test_needles_generate_subcommand_through_axolotl_plugin_commands(tiny_model_dir, tmp_path):
    """The click command as Axolotl's CLI group resolves an ``axolotl.cli_commands`` entry."""
    import json

    from axolotl.cli.plugins import LazyCommand, PluginCommand
    from click.testing import CliRunner

    cfg = _raw(SMOKE, tmp_path, base_model=str(tiny_model_dir))
    path = tmp_path / "cfg.yml"
    path.write_text(yaml.safe_dump(cfg))
    target = "artificial_needles.axolotl.cli:generate"
    command = LazyCommand("needles-generate", PluginCommand(target))
    out = tmp_path / "train.jsonl"
    result = CliRunner().invoke(command, [str(path), "-o", str(out), "--num-samples", "3"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 3
    assert [m["role"] for m in lines[0]["messages"]] == ["user", "assistant"]
    assert "samples: 3" in result.output
    again = tmp_path / "again.jsonl"
    CliRunner().invoke(command, [str(path), "-o", str(again), "--num-samples", "3"])
    assert again.read_text() == out.read_text()
