"""Helpers of the train/eval overlap tests: read pairs and lines off prompts, scan index ranges.

A scan generates samples ``start .. stop - 1`` of one generator and reports every dictionary
line or (key, value) pair that occurs in a given set of evaluation golds, and how many keys are
not in the class the generator's domain prescribes (``artificial_needles.seeding``). Scans run
in worker processes (:func:`run_scans`) so that the full scan (the ``full_scan`` marker, run by
CI) stays within CI time; the default run scans a few hundred samples through the same code.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle
import re
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from artificial_needles.generators.templates import INTRO
from artificial_needles.seeding import DOMAIN_CLASSES, class_lookup

LINE = re.compile(r"Dictionary \[\d+\] (\{.*\})")
PAIR = {
    "simple-kv": re.compile(r"(\d+): (\d+)"),
    "multi-subkey-kv": re.compile(r"\(([\d, ]+)\): (\d+)"),
}
PAPER = {"simple-kv": "paper-mistral", "multi-subkey-kv": "paper-gpt35"}
LM_EVAL_TASK = {"simple-kv": "kv_retrieval_simple", "multi-subkey-kv": "kv_retrieval_multisubkey"}


def body(prompt: str) -> str:
    """The dictionary lines of a prompt (without the intro and the question)."""
    head = INTRO + "\n\n"
    assert prompt.startswith(head)
    return prompt[len(head) :].partition("\n\n")[0]


def pair_text(key: Any, value: int) -> str:
    """A (key, value) pair as the prompt prints it, e.g. ``'123: 4567'`` or ``'(1, 2): 3'``."""
    return f"{tuple(key)!r}: {value}" if isinstance(key, (tuple, list)) else f"{key}: {value}"


@dataclass
class Golds:
    """Gold pairs (as printed) and gold dictionary bodies of a set of evaluation prompts."""

    pairs: set[str] = field(default_factory=set)
    lines: set[str] = field(default_factory=set)

    def add(self, prompt: str, gold_position: int, key: Any, value: int) -> None:
        lines = LINE.findall(body(prompt))
        gold_line = lines[gold_position - 1]
        pair = pair_text(key, value)
        assert pair in gold_line, (pair, gold_line)
        self.pairs.add(pair)
        self.lines.add(gold_line)


def kv_eval_golds(task: str, seeds: Iterable[int], counter: Any) -> Golds:
    """Golds of the lm-eval KV documents (default metadata) of ``task`` for ``seeds``."""
    from artificial_needles.eval.kv_docs import build_kv_docs

    out = Golds()
    for seed in seeds:
        for d in build_kv_docs(task, counter, seed=seed):
            key = d["gold_key"]
            key = tuple(int(x) for x in key.strip("()").split(",")) if "(" in key else int(key)
            out.add(d["prompt"], d["gold_position"], key, d["gold_value"])
    return out


def sample_golds(samples: Iterable[Any]) -> Golds:
    """Golds of generated samples."""
    out = Golds()
    for s in samples:
        out.add(s.prompt, s.meta["gold_position"], s.meta["gold_key"], s.meta["gold_value"])
    return out


@dataclass(frozen=True)
class Scan:
    """One index range of one generator (``make_generator`` arguments)."""

    task: str
    preset: str | None
    overrides: dict[str, Any]
    start: int
    stop: int
    domain: str = "train"
    tokenizer: str = "default"


def scan(job: Scan, golds: Golds, collect: bool = False) -> dict[str, Any]:
    """Hits of ``golds`` in the samples of ``job``, and the keys outside the domain's class;
    with ``collect``, also the golds of the samples themselves (``"golds"``)."""
    from artificial_needles.generators.build import make_generator

    gen = make_generator(
        job.task, job.preset, job.overrides, tokenizer=job.tokenizer, domain=job.domain
    )
    key_cls, value_cls = DOMAIN_CLASSES[job.domain]
    cls = class_lookup(max(gen.cfg.key_digits[1], gen.cfg.value_digits[1]))
    multi = job.task == "multi-subkey-kv"
    pattern = PAIR[job.task]
    hits: list[tuple[int, str]] = []
    wrong: list[tuple[int, str]] = []
    pairs = 0
    own = Golds()
    for i in range(job.start, job.stop):
        sample = gen.sample(i)
        if collect:
            own.add(sample.prompt, sample.meta["gold_position"], *_gold(sample.meta))
        text = body(sample.prompt)
        hits += [(i, line) for line in LINE.findall(text) if line in golds.lines]
        for m in pattern.finditer(text):
            pairs += 1
            printed = f"({m.group(1)}): {m.group(2)}" if multi else m.group(0)
            if printed in golds.pairs:
                hits.append((i, printed))
            if multi:  # the XOR of the subkeys' classes (seeding.key_class), from the table
                k = 0
                for x in m.group(1).split(", "):
                    k ^= cls(int(x))
            else:
                k = cls(int(m.group(1)))
            if k != key_cls or (value_cls is not None and cls(int(m.group(2))) != value_cls):
                wrong.append((i, printed))
    return {
        "hits": hits,
        "wrong_class": wrong[:20],
        "num_wrong": len(wrong),
        "pairs": pairs,
        "golds": own,
    }


def _gold(meta: dict[str, Any]) -> tuple[Any, int]:
    return meta["gold_key"], meta["gold_value"]


def _scan_args(args: tuple[Scan, Golds, bool]) -> dict[str, Any]:
    return scan(*args)


def run_scans(
    jobs: Sequence[Scan], golds: Golds, workers: int | None = None, collect: bool = False
) -> dict[str, Any]:
    """All ``jobs`` over worker processes (default: the usable CPUs); results summed."""
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2
    total: dict[str, Any] = {"hits": [], "wrong_class": [], "num_wrong": 0, "pairs": 0}
    if workers <= 1 or len(jobs) == 1:
        results = [scan(j, golds, collect) for j in jobs]
    else:
        # spawn: safe inside any parent (pytest-xdist workers run threads); 2 imports at most
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            results = list(pool.map(_scan_args, [(j, golds, collect) for j in jobs]))
    total["golds"] = Golds()
    for r in results:
        for k in ("hits", "wrong_class", "num_wrong", "pairs"):
            total[k] += r[k]
        total["golds"].pairs |= r["golds"].pairs
        total["golds"].lines |= r["golds"].lines
    return total


def chunks(task: str, seeds: Iterable[int], stop: int, size: int, **kw: Any) -> list[Scan]:
    """Scans of training indices ``0 .. stop - 1`` of the paper preset, ``size`` at a time."""
    return [
        Scan(task, PAPER[task], {"seed": s}, a, min(a + size, stop), **kw)
        for s in seeds
        for a in range(0, stop, size)
    ]


#: The full overlap scan: seeds, training indices, Axolotl eval split size (as the shipped
#: paper configs' ``needles_eval_samples``).
SEEDS = range(10)
TRAIN_STOP = 10_000
SPLIT_SAMPLES = 150


def axolotl_split_scans(task: str, seeds: Iterable[int], count: int) -> list[Scan]:
    """The Axolotl eval split (``needles_eval_samples: count``) of a paper-preset run per seed,
    exactly as the plugin's spec describes it."""
    from artificial_needles.axolotl.spec import build_spec, split_domain

    jobs = []
    for seed in seeds:
        cfg = {
            "needles_task": task,
            "needles_preset": PAPER[task],
            "needles_num_samples": TRAIN_STOP,
            "needles_eval_samples": count,
            "needles_seed": seed,
            "sequence_len": 4096,
        }
        spec = build_spec(cfg, "eval")
        start = int(spec["start"])
        overrides = spec["overrides"]
        jobs.append(Scan(task, spec["preset"], overrides, start, start + count, split_domain(spec)))
    return jobs


@functools.cache
def acceptance(
    task: str,
    seeds: tuple[int, ...] = tuple(SEEDS),
    train_stop: int = TRAIN_STOP,
    split_samples: int = SPLIT_SAMPLES,
    workers: int | None = None,
) -> dict[str, Any]:
    """Everything the overlap tests assert, computed once per process: the golds of the KV
    eval documents (``"kv"``) and of the Axolotl eval split (``"split"``, ``split_samples`` per
    seed) of ``seeds``, the scan of the split against the KV golds (``"split_scan"``), and the
    scan of training indices ``0 .. train_stop - 1`` of ``seeds`` against both (``"train"``);
    ``"seconds"`` it took. The defaults are the full scan (seeds 0-9, 10,000 indices)."""
    from artificial_needles.tokens.counter import load_tokenizer

    t0 = time.perf_counter()
    kv = kv_eval_golds(task, seeds, load_tokenizer(None))
    jobs = axolotl_split_scans(task, seeds, split_samples)
    split_scan = run_scans(jobs, kv, workers, collect=True)
    split = split_scan["golds"]
    both = Golds(kv.pairs | split.pairs, kv.lines | split.lines)
    train = run_scans(chunks(task, seeds, train_stop, 500), both, workers)
    seconds = time.perf_counter() - t0
    return {"kv": kv, "split": split, "split_scan": split_scan, "train": train, "seconds": seconds}


def assert_no_overlap(result: dict[str, Any], seeds: int, split_samples: int) -> None:
    """What the overlap tests assert of an :func:`acceptance` result: no gold pair or line of
    the KV eval documents nor of the eval split in the training scan, none of the KV eval
    documents in the split, and every key in its domain's class."""
    kv, split, train = result["kv"], result["split"], result["train"]
    golds = kv.pairs | kv.lines | split.pairs | split.lines
    assert [h for h in train["hits"] if h[1] in golds] == []
    assert train["num_wrong"] == 0, train["wrong_class"]
    assert result["split_scan"]["hits"] == [], "a KV eval gold occurs in the Axolotl eval split"
    assert result["split_scan"]["num_wrong"] == 0, result["split_scan"]["wrong_class"]
    # 200 documents and split_samples samples per seed, each gold line distinct
    assert len(kv.lines) == 200 * seeds and len(split.lines) == split_samples * seeds


def shared_acceptance(task: str, tmp_path_factory: Any) -> dict[str, Any]:
    """:func:`acceptance`, computed once per test run even when pytest-xdist spreads the tests
    that read it over several workers (a file under the run's shared temporary folder, behind a
    lock; the other workers wait for it instead of computing it again)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return acceptance(task)
    from filelock import FileLock

    path = tmp_path_factory.getbasetemp().parent / f"overlap-acceptance-{task}.pickle"
    with FileLock(f"{path}.lock"):
        if path.is_file():
            return pickle.loads(path.read_bytes())
        result = acceptance(task)
        path.write_bytes(pickle.dumps(result))
        return result
