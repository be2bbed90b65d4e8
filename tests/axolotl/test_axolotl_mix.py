"""Mixing our synthetic rows with the user's own chat data, through Axolotl's data pipeline
(``load_cfg`` and ``load_datasets``, what ``axolotl preprocess`` runs)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

SMOKE = Path(__file__).parents[2] / "configs" / "axolotl" / "tiny-cpu-smoke.yml"


def test_mix_ratio_sets_the_share_of_synthetic_rows(tiny_model_dir, tmp_path):
    from axolotl.cli.config import load_cfg
    from axolotl.common.datasets import load_datasets
    from transformers import AutoTokenizer

    from artificial_needles.axolotl.rows import trainable_text

    mine = tmp_path / "mine.jsonl"
    with mine.open("w") as fh:
        for i in range(30):
            messages = [
                {"role": "user", "content": f"say the number {i}"},
                {"role": "assistant", "content": f"the number is {i}"},
            ]
            fh.write(json.dumps({"messages": messages}) + "\n")
    cfg = yaml.safe_load(SMOKE.read_text())
    for key in (
        "needles_num_samples",
        "needles_eval_samples",
        "needles_eval_tasks",
        "needles_eval_baseline",
    ):
        cfg.pop(key)
    cfg.update(
        base_model=str(tiny_model_dir),
        output_dir=str(tmp_path / "out"),
        dataset_prepared_path=str(tmp_path / "prepared"),
        needles_mix_ratio=0.25,
        sample_packing=False,
        datasets=[
            {"path": str(mine), "type": "chat_template"},
            {"path": "needles", "type": "artificial_needles.axolotl.dataset"},
        ],
    )
    path = tmp_path / "mix.yml"
    path.write_text(yaml.safe_dump(cfg))

    meta = load_datasets(cfg=load_cfg(str(path)))
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    texts = [trainable_text(tok, row) for row in meta.train_dataset]
    synthetic = [t for t in texts if t.startswith("The value of key")]
    assert len(texts) == 40  # 30 of ours + round(0.25 / 0.75 * 30) synthetic
    assert len(synthetic) == 10
    assert all(t.endswith("<|im_end|>") for t in synthetic)
