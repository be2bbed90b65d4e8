"""Axolotl training benchmarks of the needles plugin (one command each; GPU for real numbers).

``throughput``: the paper recipe's shape (Mistral-7B architecture, random weights, sequence_len
4096, bf16, gradient checkpointing, full finetune, micro batch 2) for a few steps, with and
without sample packing; prints tokens/s and peak memory per GPU from Axolotl's logs.
``curve``: trains a small random model on short simple-KV prompts, saving checkpoints, and
evaluates ``kv_retrieval_simple`` on each checkpoint: KV retrieval accuracy against steps.

Everything is built locally (random weights from a config, the tiny test tokenizer with the
Mistral template padded to Mistral's vocabulary size): nothing is downloaded.

    python benchmarks/bench_axolotl.py throughput --size mistral-7b --steps 6
    python benchmarks/bench_axolotl.py throughput --size tiny --steps 4      # CPU smoke
    python benchmarks/bench_axolotl.py curve --steps 600 --save-every 100
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from artificial_needles.testing import OFFLINE_ENV as OFFLINE

SIZES = {
    # Mistral-7B-v0.1's architecture
    "mistral-7b": dict(
        hidden_size=4096,
        intermediate_size=14336,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
    ),
    "small": dict(
        hidden_size=256,
        intermediate_size=1024,
        num_hidden_layers=4,
        num_attention_heads=8,
        num_key_value_heads=4,
    ),
    "tiny": dict(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
    ),
}


def build_random_model(path: Path, size: str, vocab: int = 32000) -> Path:
    """Random-weight Mistral-architecture model plus the tiny tokenizer (Mistral template)."""
    import torch
    from transformers import MistralConfig, MistralForCausalLM

    from artificial_needles.testing import build_tokenizer

    tok = build_tokenizer(path, chat_template="mistral")
    config = MistralConfig(
        vocab_size=max(vocab, len(tok)) if size == "mistral-7b" else len(tok),
        max_position_embeddings=32768,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        torch_dtype="bfloat16",
        **SIZES[size],
    )
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = MistralForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(path)
    return path


def run_axolotl(cfg: dict, work: Path) -> str:
    import yaml

    path = work / "config.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    axolotl = str(Path(sys.executable).parent / "axolotl")
    proc = subprocess.run(
        [axolotl, "train", str(path), "--launcher", "python"],
        cwd=work,
        env={**os.environ, **OFFLINE},
        capture_output=True,
        text=True,
    )
    log = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    (work / "train.log").write_text(log)
    if proc.returncode:
        raise SystemExit(f"axolotl train failed:\n{log[-4000:]}")
    return log


def base_config(model: Path, work: Path, seq_len: int, gpu: bool) -> dict:
    return {
        "base_model": str(model),
        "tokenizer_type": "AutoTokenizer",
        "plugins": ["artificial_needles.axolotl.NeedlesPlugin"],
        "needles_task": "simple-kv",
        "needles_num_dicts": "fill",
        "needles_answer_template": True,
        "needles_seed": 0,
        "sequence_len": seq_len,
        "dataset_prepared_path": str(work / "prepared"),
        "output_dir": str(work / "out"),
        "micro_batch_size": 2,
        "gradient_accumulation_steps": 1,
        "num_epochs": 1,
        "optimizer": "adamw_torch_fused" if gpu else "adamw_torch",
        "lr_scheduler": "constant",
        "bf16": gpu,
        "attn_implementation": "sdpa" if gpu else "eager",
        "logging_steps": 1,
        "save_strategy": "no",
        "seed": 0,
    }


def _metric(log: str, name: str) -> list[float]:
    return [float(x) for x in re.findall(rf"'{re.escape(name)}': '?([-+\w.]+)'?", log)]


def throughput(args: argparse.Namespace) -> None:
    import torch

    gpu = torch.cuda.is_available()
    work = Path(args.work).resolve()
    model = build_random_model(work / f"model-{args.size}", args.size)
    seq_len = 4096 if args.size == "mistral-7b" else 1024
    rows = []
    for packing in (False, True):
        run = work / f"run-packing-{packing}"
        run.mkdir(parents=True, exist_ok=True)
        cfg = base_config(model, run, seq_len, gpu)
        cfg.update(
            needles_num_samples=args.steps * 2 * (4 if packing else 1) + 8,
            # short rows make packing matter: a quarter of the window each
            needles_max_tokens=seq_len // 4 if packing else seq_len,
            needles_margin=60,
            sample_packing=packing,
            max_steps=args.steps,
            learning_rate=5e-6,
            gradient_checkpointing=True,
        )
        log = run_axolotl(cfg, run)
        tps = _metric(log, "tokens/train_per_sec_per_gpu")
        mem = _metric(log, "memory/max_allocated (GiB)")
        rows.append(
            {
                "sample_packing": packing,
                "tokens_per_s_per_gpu": sum(tps[1:]) / max(1, len(tps[1:])) if tps else None,
                "peak_allocated_gib": max(mem) if mem else None,
                "loss": _metric(log, "loss"),
            }
        )
    print(json.dumps({"size": args.size, "gpu": gpu, "runs": rows}, indent=2))


def curve(args: argparse.Namespace) -> None:
    import torch

    from artificial_needles.eval import run_lm_eval

    gpu = torch.cuda.is_available()
    work = Path(args.work).resolve()
    model = build_random_model(work / "model-small", "small")
    cfg = base_config(model, work, 1024, gpu)
    cfg.update(
        needles_num_samples=args.steps * 8,
        needles_max_tokens=1024,
        micro_batch_size=8,
        max_steps=args.steps,
        learning_rate=3e-4,
        save_strategy="steps",
        save_steps=args.save_every,
    )
    run_axolotl(cfg, work)
    points = []
    for ckpt in sorted((work / "out").glob("checkpoint-*"), key=lambda p: int(p.name[11:])):
        res = run_lm_eval(
            f"pretrained={ckpt},tokenizer={model}",
            ["kv_retrieval_simple"],
            metadata={
                "max_seq_lengths": [1024],
                "num_samples": args.eval_samples,
                "chat_template": True,
            },
            apply_chat_template=True,
            batch_size=8,
        )
        acc = res["results"]["kv_retrieval_simple"]
        metrics = {k: v for k, v in acc.items() if "stderr" not in k}
        points.append({"step": int(ckpt.name[11:]), **metrics})
        print(json.dumps(points[-1]), flush=True)
    (work / "curve.json").write_text(json.dumps(points, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--size", choices=sorted(SIZES), default="mistral-7b")
    t.add_argument("--steps", type=int, default=6)
    t.add_argument("--work", default="bench-axolotl")
    c = sub.add_parser("curve")
    c.add_argument("--steps", type=int, default=600)
    c.add_argument("--save-every", type=int, default=100)
    c.add_argument("--eval-samples", type=int, default=50)
    c.add_argument("--work", default="bench-axolotl-curve")
    args = parser.parse_args()
    throughput(args) if args.cmd == "throughput" else curve(args)


if __name__ == "__main__":
    main()
