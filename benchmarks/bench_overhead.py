"""Our share of an lm-eval run's wall time on the real demo model (KV retrieval and MDQA).

    python benchmarks/bench_overhead.py [--model DIR] [--docs 10]

Runs ``artificial-needles eval`` in this process on SmolLM2-135M-Instruct (``artificial-needles
demo-model``), once with ``kv_retrieval_simple`` (1,024 tokens) and once with
``mdqa_10docs_pos1`` (real NQ records built from the committed Lost-in-the-Middle oracle file),
while a sampler thread reads the main thread's stack every 5 ms. Each sample is charged to the
nearest frame, walking outward, that belongs to one of:

- ``ours``: the package, our lm-eval task folders or the Axolotl plugin (building documents,
  pre-flight checks and length checks, scoring, writing results; the tokenizer calls they make
  included);
- ``lm-eval``: lm-eval and everything it calls (model loading, the forward passes, generation);
- ``import``: Python's import machinery (start-up);
- ``other``: anything else (the sampler's own overhead, interpreter shutdown).

Prints the shares per task and writes them as JSON (``--json``). Goal: ``ours`` under 5%.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ORACLE = HERE / "learning_signal" / "data" / "nq-open-oracle.jsonl.gz"


def _roots() -> dict[str, tuple[str, ...]]:
    import lm_eval

    import artificial_needles
    from artificial_needles import lm_eval_tasks

    ours = {str(Path(artificial_needles.__file__).parent), str(Path(lm_eval_tasks.__file__).parent)}
    try:
        from artificial_needles import axolotl as plugin

        ours.add(str(Path(plugin.__file__).parent))
    except ImportError:  # the axolotl extra is not installed: the plugin cannot run either
        pass
    here = str(Path(__file__).resolve())
    return {"ours": tuple(ours), "lm-eval": (str(Path(lm_eval.__file__).parent),), "self": (here,)}


class StackSampler:
    """Charges each 5 ms sample of one thread's stack to a bucket (see the module docstring)."""

    def __init__(self, thread_id: int, interval: float = 0.005) -> None:
        self.thread_id, self.interval = thread_id, interval
        self.roots = _roots()
        self.counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _bucket(self, frame) -> str:
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith("<frozen importlib"):
                return "import"
            for bucket in ("ours", "lm-eval"):
                if name.startswith(self.roots[bucket]):
                    return bucket
            if name.startswith(self.roots["self"]):
                return "other"
            frame = frame.f_back
        return "other"

    def _run(self) -> None:
        while not self._stop.is_set():
            frame = sys._current_frames().get(self.thread_id)
            if frame is not None:
                self.counts[self._bucket(frame)] += 1
            time.sleep(self.interval)

    def __enter__(self) -> StackSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_eval(argv: list[str]) -> tuple[dict[str, float], float]:
    from artificial_needles.cli.main import main

    start = time.perf_counter()
    with StackSampler(threading.get_ident()) as sampler:
        rc = main(argv)
    wall = time.perf_counter() - start
    if rc != 0:
        sys.exit(f"bench_overhead: artificial-needles eval exited {rc}")
    total = sum(sampler.counts.values()) or 1
    return {k: sampler.counts[k] / total for k in ("ours", "lm-eval", "import", "other")}, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path.home() / ".cache" / "artificial-needles" / "demo-model"
    parser.add_argument("--model", type=Path, default=default)
    parser.add_argument("--docs", type=int, default=10, help="documents per task")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    from artificial_needles.demo_model import fetch_demo_model
    from artificial_needles.eval.mdqa_oracle import build_records, read_oracle, write_records

    model = fetch_demo_model(args.model).path
    work = Path(tempfile.mkdtemp(prefix="needles-overhead-"))
    mdqa = work / "mdqa.jsonl.gz"
    write_records(build_records(read_oracle(ORACLE), args.docs, 10), mdqa)
    common = [
        "eval", "--model", "hf", "--model_args",
        f"pretrained={model},dtype=bfloat16,max_length=2048", "--device", "cpu",
    ]  # fmt: skip
    runs = {
        "kv_retrieval_simple": {
            "max_seq_lengths": [1024],
            "depth_buckets": 2,
            "num_samples": max(1, args.docs // 2),
            "chat_template": True,
        },
        "mdqa_10docs_pos1": {"mdqa_data": str(mdqa)},
    }
    out = {}
    for task, meta in runs.items():
        shares, wall = run_eval(
            [
                *common,
                "--tasks",
                task,
                "--metadata",
                json.dumps(meta),
                "--output_path",
                str(work / task),
            ]  # fmt: skip
        )
        out[task] = {"wall_seconds": round(wall, 1), "shares": shares}
        shown = ", ".join(f"{k} {v:.1%}" for k, v in shares.items())
        print(f"{task}: {wall:.0f} s wall; {shown}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
