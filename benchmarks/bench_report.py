"""Benchmark of ``artificial-needles report``: 20 runs x every task in under 5 s.

Writes 20 lm-eval 0.4.11 results files (4 labels x 5 seeds) from the committed fixture, each
with every task the report reads (MDQA 10/20/30 documents and closed-book, FLenQA with and
without CoT, both KV tasks at four lengths x ten depths, needles_general with MMLU's 57
subjects), then times the report: in-process ``build_report(...).save(dir)`` (every figure
drawn) and the whole command in a fresh process.

    python benchmarks/bench_report.py [--runs 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURE = next((HERE.parent / "tests/report/fixtures/runs/base").rglob("results_*.json"))
LENGTHS = (4096, 8192, 16384, 32768)


def write_runs(root: Path, runs: int) -> list[Path]:
    template = json.loads(FIXTURE.read_text())
    rng = random.Random(0)
    paths = []
    for i in range(runs):
        label, seed = f"config-{i % 4}", i // 4
        data = json.loads(json.dumps(template))
        for res in data["results"].values():
            for key, value in list(res.items()):
                if "," in key and "_stderr" not in key and isinstance(value, float) and value >= 0:
                    res[key] = round(min(1.0, max(0.0, value + rng.uniform(-0.05, 0.05))), 4)
        kv = data["results"]["kv_retrieval_simple"]
        for n in LENGTHS:
            kv[f"acc_{n},none"] = round(rng.random(), 4)
            for d in range(0, 100, 10):
                kv[f"acc_{n}_depth_{d},none"] = round(rng.random(), 4)
        for k in range(57):
            data["results"][f"mmlu_subject_{k}"] = {"alias": f"  - subject {k}", "acc,none": 0.5}
        data["artificial_needles"] = {"label": label, "seed": seed, "stage": "finetuned"}
        data["model_name"] = f"model-{label}-seed{seed}"
        path = root / f"run{i:02d}" / "model" / FIXTURE.name
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(data))
        paths.append(path.parent.parent)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from artificial_needles.report import build_report

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runs = write_runs(root, args.runs)
        best = float("inf")
        for r in range(args.repeat):
            t0 = time.perf_counter()
            rep = build_report(runs)
            rep.save(root / f"out{r}")
            best = min(best, time.perf_counter() - t0)
        figures = sum(len(s.figures) for s in rep.sections)
        print(f"in-process build + save, {args.runs} runs, {figures} figures: {best:.2f} s (best)")
        cmd = [sys.executable, "-m", "artificial_needles.cli.main", "report", *map(str, runs)]
        t0 = time.perf_counter()
        subprocess.run([*cmd, "-o", str(root / "cli"), "--quiet"], check=True)
        print(f"whole command in a new process: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
