"""The real ``axolotl train`` with the needles plugin on the real demo model (LoRA, CPU).

SmolLM2-135M-Instruct's byte-level BPE and ChatML template size the generated prompts; the
prepared rows' decoded labels are exactly the generated answer and ``<|im_end|>``; a few
optimizer steps run with a finite loss that falls on the eval split's key domain, and the saved
adapter loads onto the base model.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from artificial_needles.testing import OFFLINE_ENV

CONFIG = Path(__file__).parents[2] / "benchmarks" / "learning_signal" / "smollm2-135m-lora.yml"
AXOLOTL = str(Path(sys.executable).parent / "axolotl")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
MAX_TOKENS = 512

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(demo_model_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("demo-axolotl")
    cfg = yaml.safe_load(CONFIG.read_text())
    cfg.update(
        base_model=str(demo_model_dir),
        output_dir=str(work / "out"),
        dataset_prepared_path=str(work / "prepared"),
        needles_num_samples=6,
        needles_eval_samples=2,
        needles_max_tokens=MAX_TOKENS,
        sequence_len=MAX_TOKENS,
        max_steps=3,
        warmup_steps=0,
        learning_rate=4e-4,
        logging_steps=1,
        eval_strategy="steps",
        eval_steps=3,
    )
    config = work / "cfg.yml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    proc = subprocess.run(
        [AXOLOTL, "train", str(config), "--launcher", "python"],
        cwd=work,
        env={**os.environ, **OFFLINE_ENV},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    log = ANSI.sub("", proc.stdout + proc.stderr)
    assert proc.returncode == 0, log[-6000:]
    return work, log


def test_prepared_labels_are_the_answer_and_end_of_turn(trained, demo_model_dir):
    import datasets
    from transformers import AutoTokenizer

    from artificial_needles.generators.build import make_generator
    from artificial_needles.tokens.counter import HFTokenCounter

    work, _ = trained
    tok = AutoTokenizer.from_pretrained(demo_model_dir)
    counter = HFTokenCounter(tok, str(demo_model_dir), chat_template=True)
    over = {"max_tokens": MAX_TOKENS, "answer_template": True, "seed": 0, "num_dicts": None}
    gen = make_generator("simple-kv", None, over, tokenizer=counter)
    answers = [s.answer for s in gen.iter_samples(0, 6)]
    infos = list((work / "prepared").rglob("dataset_info.json"))
    rows = max((datasets.load_from_disk(str(p.parent)) for p in infos), key=len)  # not eval
    assert len(rows) == 6
    seen = []
    for row in rows:
        ids = [t for t, lab in zip(row["input_ids"], row["labels"], strict=True) if lab != -100]
        text = tok.decode(ids, skip_special_tokens=False)
        assert text.endswith("<|im_end|>"), text
        seen.append(text.removesuffix("<|im_end|>"))
        assert len(row["input_ids"]) <= MAX_TOKENS
        first = next(i for i, lab in enumerate(row["labels"]) if lab != -100)
        prompt = tok.decode(row["input_ids"][:first])
        assert prompt.startswith("<|im_start|>system\n") and prompt.endswith("assistant\n")
    assert sorted(seen) == sorted(answers)


def test_steps_run_and_the_adapter_loads(trained, demo_model_dir):
    import math

    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    work, log = trained
    losses = [float(x) for x in re.findall(r"'loss': '?([-+\w.]+)'?", log)]
    assert len(losses) == 3 and all(math.isfinite(x) for x in losses)
    evals = [float(x) for x in re.findall(r"'eval_loss': '?([-+\w.]+)'?", log)]
    assert evals and all(math.isfinite(x) for x in evals)
    out = work / "out"
    assert (out / "adapter_model.safetensors").is_file()
    base = AutoModelForCausalLM.from_pretrained(demo_model_dir, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, str(out))
    names = [n for n, _ in model.named_parameters()]
    targets = {m[1] for n in names if (m := re.search(r"\.(\w+)\.lora_A\.", n))}
    assert targets == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
