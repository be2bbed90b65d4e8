"""Time to build lm-eval docs: ``mdqa_20docs`` from one 2,655-record file, and
``kv_retrieval_simple`` at 4096/8192/16384 tokens with a fast tokenizer.

    .venv/bin/python benchmarks/bench_eval_docs.py [--tokenizer DIR] [--num-samples 20]

The MDQA file is synthetic but shaped like the reference (20 documents of ~100 words per
question, gzipped JSON lines); the tokenizer defaults to the tests' small fast BPE tokenizer
(digits split one per token), built in a temporary folder. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
import time
from pathlib import Path


def write_mdqa_file(path: Path, records: int = 2655, docs: int = 20) -> None:
    rng = random.Random(0)
    words = [f"w{i}" for i in range(5000)]
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(records):
            ctxs = [
                {
                    "id": str(rng.randrange(10**7)),
                    "title": " ".join(rng.choices(words, k=3)),
                    "text": " ".join(rng.choices(words, k=100)),
                    "score": f"{rng.random() * 10:.3f}",
                    "hasanswer": k == 0,
                    "isgold": k == 0,
                    "original_retrieval_index": k,
                }
                for k in range(docs)
            ]
            rec = {"question": f"question {i}?", "answers": [f"answer {i}"], "ctxs": ctxs}
            fh.write(json.dumps(rec) + "\n")


def bench_mdqa(tmp: Path) -> None:
    from artificial_needles.eval import mdqa
    from artificial_needles.lm_eval_tasks.mdqa import utils as mdqa_utils  # custom_dataset adapter

    path = tmp / "nq-open-20_total_documents_gold_at_0.jsonl.gz"
    write_mdqa_file(path)
    mb = path.stat().st_size / 2**20
    t0 = time.perf_counter()
    mdqa.read_records(path)
    t1 = time.perf_counter()
    print(f"mdqa: parse {path.name} (2655 records, {mb:.1f} MiB gz): {t1 - t0:.2f} s")
    total = 0.0
    for p in (1, 5, 10, 15, 20):
        t = time.perf_counter()
        ds = mdqa_utils.mdqa_dataset(20, p, mdqa_data=str(path))["test"]
        dt = time.perf_counter() - t
        total += dt
        assert len(ds) == 2655
        print(f"mdqa: mdqa_20docs_pos{p} docs (prompts + datasets.Dataset): {dt:.2f} s")
    print(f"mdqa: mdqa_20docs total (5 tasks, 13,275 docs): {t1 - t0 + total:.2f} s")


def bench_kv(tokenizer: str, num_samples: int) -> None:
    from artificial_needles.eval.kv_docs import build_kv_docs
    from artificial_needles.tokens.counter import load_tokenizer

    counter = load_tokenizer(tokenizer)
    for length in (4096, 8192, 16384):
        t = time.perf_counter()
        docs = build_kv_docs("simple-kv", counter, [length], 10, num_samples, seed=0)
        dt = time.perf_counter() - t
        fill = sum(d["num_tokens"] for d in docs) / len(docs) / (length - 100)
        print(
            f"kv_retrieval_simple: {length} tokens, {len(docs)} docs: {dt:.2f} s "
            f"({1000 * dt / len(docs):.1f} ms/doc, mean fill {100 * fill:.1f}% of budget)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", help="fast tokenizer dir (default: the tests' tiny BPE)")
    parser.add_argument("--num-samples", type=int, default=20, help="per length and depth bucket")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        tokenizer = args.tokenizer
        if tokenizer is None:
            from artificial_needles.testing import build_tokenizer

            build_tokenizer(tmp / "tok")
            tokenizer = str(tmp / "tok")
        bench_mdqa(tmp)
        bench_kv(tokenizer, args.num_samples)


if __name__ == "__main__":
    main()
