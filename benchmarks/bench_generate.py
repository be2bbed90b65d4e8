"""Generation speed against the tokenize-once bound, and memory while streaming.

Run: ``python benchmarks/bench_generate.py`` (add ``--stream 0`` to skip the streaming part).

1. ``--preset paper-mistral`` with the embedded tokenizer, ``--samples`` samples (default 500):
   samples/s and tokens/s of the whole pipeline (samples -> JSON lines -> file), and its ratio
   to the bound "tokenize the finished prompts once with the same tokenizer". Both are timed
   in the same process, interleaved ``--repeats`` times, and the median ratio is reported
   (machines here are noisy; the ratio is what compares across them). Times are CPU time of
   this process (time.process_time), which leaves out time the machine gave to others.
2. Peak RSS of ``artificial-needles generate`` streaming ``--stream`` samples to a file,
   next to the peak for a tenth of that: flat memory means the two are close.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from artificial_needles.generators.build import generate_file, make_generator


def speed(samples: int, repeats: int) -> dict[str, float]:
    gen = make_generator("simple-kv", preset="paper-mistral", overrides={"num_samples": samples})
    prompts = [s.prompt for s in gen.iter_samples()]  # warm caches once
    tokens = sum(gen.counter.count_many(prompts))
    ratios, gen_times, tok_times = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.jsonl"
        for _ in range(repeats):
            t0 = time.process_time()
            generate_file(
                "simple-kv", out, preset="paper-mistral", overrides={"num_samples": samples}
            )
            t1 = time.process_time()
            for p in prompts:
                gen.counter.count(p)
            t2 = time.process_time()
            gen_times.append(t1 - t0)
            tok_times.append(t2 - t1)
            ratios.append((t1 - t0) / (t2 - t1))
    g, t = statistics.median(gen_times), statistics.median(tok_times)
    return {
        "samples": samples,
        "generate_s": g,
        "tokenize_once_s": t,
        "samples_per_s": samples / g,
        "tokens_per_s": tokens / g,
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }


def peak_rss_mb(samples: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        subprocess.run(
            [
                sys.executable,
                "-m",
                "artificial_needles.cli.main",
                "generate",
                "simple-kv",
                "--preset",
                "paper-mistral",
                "--num-samples",
                str(samples),
                "--quiet",
                "-o",
                str(Path(tmp) / "stream.jsonl"),
            ],
            check=True,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # RUSAGE_CHILDREN keeps the largest child so far: runs go from small to large.
    return max(after, before) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--stream", type=int, default=100_000)
    args = ap.parse_args()
    r = speed(args.samples, args.repeats)
    print(f"paper-mistral, {r['samples']} samples, embedded tokenizer")
    print(
        f"  generate (pipeline to JSONL): {r['generate_s']:.3f} s  "
        f"{r['samples_per_s']:.0f} samples/s  {r['tokens_per_s'] / 1e6:.2f} M tokens/s"
    )
    print(f"  tokenize-once bound:          {r['tokenize_once_s']:.3f} s")
    print(
        f"  ratio generate / tokenize-once: median {r['ratio_median']:.2f}x "
        f"(min {r['ratio_min']:.2f}, max {r['ratio_max']:.2f}, {args.repeats} interleaved runs)"
    )
    if args.stream:
        small = peak_rss_mb(args.stream // 10)
        large = peak_rss_mb(args.stream)
        print(
            f"  peak RSS streaming {args.stream // 10} samples: {small:.0f} MB; "
            f"{args.stream} samples: {large:.0f} MB (ratio {large / small:.2f})"
        )


if __name__ == "__main__":
    main()
