"""Post-train evaluation settings derived from the Axolotl config."""

from __future__ import annotations

import pytest

from artificial_needles import __version__
from artificial_needles.axolotl.evaluation import (
    eval_settings,
    headline,
    label_for,
    model_args_for,
    run_metadata,
)
from artificial_needles.eval.runner import run_record


class Cfg(dict):
    """Attribute and ``get`` access, like Axolotl's ``DictDefault``."""

    def __getattr__(self, name):
        return self.get(name)


def test_model_args_full_finetune_in_bf16(tmp_path):
    cfg = Cfg(output_dir=str(tmp_path), base_model="base", bf16=True)
    assert model_args_for(cfg) == f"pretrained={tmp_path.resolve()},dtype=bfloat16"


def test_model_args_lora_loads_base_plus_adapter(tmp_path):
    cfg = Cfg(
        output_dir=str(tmp_path),
        base_model="base",
        adapter="lora",
        needles_eval_model_args="attn_implementation=sdpa",
    )
    assert model_args_for(cfg) == (
        f"pretrained=base,peft={tmp_path.resolve()},tokenizer={tmp_path.resolve()},"
        "attn_implementation=sdpa"
    )


def test_headline_drops_stderr_alias_and_unmeasured_buckets():
    results = {
        "results": {
            "kv_retrieval_simple": {
                "alias": "kv_retrieval_simple",
                "acc,none": 0.5,
                "acc_stderr,none": 0.1,
                "acc_1024,none": 0.5,
                "acc_2048,none": -1.0,
            }
        }
    }
    assert headline(results) == {"kv_retrieval_simple": {"acc,none": 0.5, "acc_1024,none": 0.5}}


def test_base_stage_loads_the_base_model_with_the_training_tokenizer(tmp_path):
    cfg = Cfg(output_dir=str(tmp_path), base_model="org/base", bf16=True)
    assert model_args_for(cfg, "base", tokenizer="/tok") == (
        "pretrained=org/base,tokenizer=/tok,dtype=bfloat16"
    )


def test_both_stages_share_the_settings_and_record_them(tmp_path):
    cfg = Cfg(
        output_dir=str(tmp_path / "mistral-kv-seed2"),
        base_model="org/Mistral-7B",
        needles_seed=2,
        needles_eval_tasks=["kv_retrieval_simple"],
        needles_eval_limit=5.0,
    )
    settings = eval_settings(cfg)
    assert settings.apply_chat_template and settings.metadata["chat_template"] is True
    assert settings.limit == 5 and isinstance(settings.limit, int)
    base, tuned = run_metadata(cfg, "base"), run_metadata(cfg, "finetuned")
    assert base["label"] == "Mistral-7B" and tuned["label"] == "mistral-kv"
    assert base["seed"] == tuned["seed"] == 2
    assert (base["stage"], tuned["stage"]) == ("base", "finetuned")
    assert base["version"] == tuned["version"] == __version__


@pytest.mark.parametrize("chat", [True, False])
def test_results_record_states_the_chat_template_choice(tmp_path, chat):
    """The record written into the results files is built by the runner from the
    ``apply_chat_template`` that the plugin passes to lm-eval: both follow the config."""
    cfg = Cfg(output_dir=str(tmp_path / "run"), base_model="b", needles_eval_chat_template=chat)
    settings = eval_settings(cfg)
    assert settings.apply_chat_template is chat and settings.metadata["chat_template"] is chat
    record = run_metadata(cfg, "finetuned")
    info = {k: record[k] for k in ("label", "seed", "stage")}
    assert record["apply_chat_template"] is chat
    assert record == run_record(info, {"pretrained": "b"}, {}, settings.apply_chat_template)


def test_seeds_of_one_config_share_a_label(tmp_path):
    labels = {
        label_for(Cfg(output_dir=str(tmp_path / f"run-seed{s}"), base_model="b"), "finetuned")
        for s in range(3)
    }
    assert labels == {"run"}
    cfg = Cfg(output_dir=str(tmp_path / "x"), base_model="b", needles_label="kv")
    assert label_for(cfg, "finetuned") == "kv"
