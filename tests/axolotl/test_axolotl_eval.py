"""Post-train evaluation settings derived from the Axolotl config."""

from __future__ import annotations

from artificial_needles.axolotl.evaluation import headline, model_args_for


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
        f"pretrained=base,peft={tmp_path.resolve()},attn_implementation=sdpa"
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
