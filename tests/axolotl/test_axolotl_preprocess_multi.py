"""The real ``axolotl preprocess`` with the multi-query and multi-hop generators: the prepared
rows' decoded labels are the generated answers (every line) and the end-of-turn token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from artificial_needles.testing import OFFLINE_ENV

SMOKE = Path(__file__).parents[2] / "configs" / "axolotl" / "tiny-cpu-smoke.yml"
AXOLOTL = str(Path(sys.executable).parent / "axolotl")

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("task", "overrides"), [("multi-query-kv", {"num_queries": 2}), ("multi-hop-kv", {"hops": 2})]
)
def test_prepared_labels_are_the_answers(task, overrides, tiny_model_dir, tmp_path):
    import datasets
    from transformers import AutoTokenizer

    from artificial_needles.generators.build import make_generator
    from artificial_needles.tokens.counter import HFTokenCounter

    cfg = yaml.safe_load(SMOKE.read_text())
    cfg.update(
        base_model=str(tiny_model_dir),
        output_dir=str(tmp_path / "out"),
        dataset_prepared_path=str(tmp_path / "prepared"),
        sequence_len=512,
        sample_packing=False,
        needles_task=task,
        needles_overrides=overrides,
        needles_num_samples=6,
        needles_margin=120,
        needles_eval_samples=0,
        needles_eval_tasks=None,
        needles_eval_baseline=False,
    )
    cfg = {k: v for k, v in cfg.items() if v is not None}
    config = tmp_path / "cfg.yml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    proc = subprocess.run(
        [AXOLOTL, "preprocess", str(config)],
        cwd=tmp_path,
        env={**os.environ, **OFFLINE_ENV},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    (info,) = (tmp_path / "prepared").rglob("dataset_info.json")
    rows = datasets.load_from_disk(str(info.parent))
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    counter = HFTokenCounter(tok, str(tiny_model_dir), chat_template=True)
    over = {**overrides, "max_tokens": 512, "margin": 120, "num_dicts": None, "seed": 0}
    gen = make_generator(task, None, {**over, "answer_template": True}, tokenizer=counter)
    answers = {s.answer for s in gen.iter_samples(0, 6)}
    assert len(rows) == 6
    for row in rows:
        ids = [t for t, lab in zip(row["input_ids"], row["labels"], strict=True) if lab != -100]
        text = tok.decode(ids, skip_special_tokens=False)
        assert text.endswith("<|im_end|>")
        assert text.removesuffix("<|im_end|>") in answers
        assert text.count("\n") == 1 + (task == "multi-hop-kv")
