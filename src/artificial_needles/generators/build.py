"""Build generators from a task name, preset and overrides; write datasets and summaries.

``build_config`` (preset, then overrides, then validation) lives in
:mod:`artificial_needles.generators.options` and is re-exported here.

``generate_file`` streams samples to a JSONL file (atomically, constant memory) with an
optional pool of worker processes; output is byte-identical for any worker count because each
sample depends only on (config, tokenizer, index).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import statistics
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.generators.builder import Generator
from artificial_needles.generators.draw import depth_indices
from artificial_needles.generators.mixture import LengthMixture, single_budget
from artificial_needles.generators.options import build_config
from artificial_needles.generators.records import (
    RecordFormat,
    system_prompt,
    to_json_line,
    to_record,
)
from artificial_needles.io import atomic_write
from artificial_needles.plugins.manager import get_generator
from artificial_needles.tokens.counter import TokenCounter, load_tokenizer


def make_generator(
    task: str,
    preset: str | None = None,
    overrides: dict[str, Any] | None = None,
    tokenizer: str | TokenCounter | None = None,
    chat_template: bool = False,
    fmt: RecordFormat = "mistral",
    domain: str = "train",
) -> Generator:
    """A ready generator; ``tokenizer`` is a counter or a name for :func:`load_tokenizer`.
    With ``chat_template``, prompts are sized inside the conversation of record format ``fmt``
    (its system turn included); a counter passed in keeps its own ``system``. ``domain``
    ("train", "eval" for the lm-eval KV documents, "validation" for a trainer's eval split; see
    :mod:`artificial_needles.seeding`) keeps evaluation data apart from training data.

    A ``max_tokens`` mixture gives a :class:`~.mixture.LengthMixture` of one generator per
    budget (each sample draws its budget)."""
    cfg = build_config(task, preset, overrides)
    counter = (
        tokenizer
        if isinstance(tokenizer, TokenCounter)
        else load_tokenizer(tokenizer, chat_template=chat_template, system=system_prompt(fmt))
    )
    cls = get_generator(task)
    if not cfg.is_mixture:
        return Generator(cls(cfg, domain=domain), counter, preset=preset)
    first, *rest = cfg.max_tokens_choices
    gen = Generator(cls(single_budget(cfg, first), domain=domain), counter, preset=preset)
    parts = {first: gen, **{m: gen.with_config(single_budget(cfg, m)) for m in rest}}
    return LengthMixture(cfg, parts)  # type: ignore[return-value]


def to_dataset(generator: Generator, fmt: RecordFormat = "mistral") -> Any:
    """All samples of ``generator`` as a ``datasets.Dataset`` of chat records."""
    import datasets

    counter = generator.counter
    if counter.chat_template and counter.system != system_prompt(fmt):
        raise NeedlesError(
            f"format {fmt!r}: the generator's budget was counted with system turn "
            f"{counter.system!r}; build it with make_generator(..., fmt={fmt!r})"
        )

    return datasets.Dataset.from_list([to_record(s, fmt) for s in generator.iter_samples()])


@dataclass
class Summary:
    """Statistics of a generated set: lengths against the budget and gold positions; with a
    length mixture, the samples and mean fill of each budget (``meta["budget"]``)."""

    budget: int
    tokens: list[int] = field(default_factory=list)
    positions: Counter[int] = field(default_factory=Counter)
    depths: Counter[int] = field(default_factory=Counter)
    per_budget: dict[int, list[int]] = field(default_factory=dict)

    def add(self, meta: dict[str, Any]) -> None:
        self.tokens.append(meta["num_tokens"])
        self.per_budget.setdefault(meta.get("budget", self.budget), []).append(meta["num_tokens"])
        self.positions[meta["gold_position"]] += 1
        index, n = meta["gold_position"] - 1, max(1, meta["num_dicts"])
        for decile in range(10):  # every decile the gold dictionary is at (see depth_indices)
            if index in depth_indices(decile / 10, (decile + 1) / 10, n):
                self.depths[decile] += 1

    def render(self) -> str:
        n = len(self.tokens)
        if not n:
            return "0 samples"
        mean = statistics.fmean(self.tokens)
        lines = [f"samples: {n}"]
        if len(self.per_budget) <= 1:
            budget = next(iter(self.per_budget), self.budget)
            lines.append(
                f"tokens: min {min(self.tokens)}  mean {mean:.1f}  max {max(self.tokens)}  "
                f"budget {budget}  (mean fill {100 * mean / budget:.1f}%)"
            )
        else:
            lines.append("tokens by budget (length mixture):")
            for budget, toks in sorted(self.per_budget.items()):
                m = statistics.fmean(toks)
                lines.append(
                    f"  budget {budget}: {len(toks)} samples  min {min(toks)}  mean {m:.1f}  "
                    f"max {max(toks)}  (mean fill {100 * m / budget:.1f}%)"
                )
        lines.append(
            "gold depth (deciles of the dictionary list; a dictionary spanning two deciles "
            "counts in both, as --gold-depth selects it):"
        )
        top = max(self.depths.values())
        for b in range(10):
            c = self.depths.get(b, 0)
            bar = "#" * math.ceil(30 * c / top) if c else ""
            lines.append(f"  {b * 10:3d}-{b * 10 + 10:3d}%  {c:6d}  {bar}")
        lines.append(f"gold first: {self.positions.get(1, 0)}")
        return "\n".join(lines)


# -- worker pool ------------------------------------------------------------------------------
# Workers are forked on Linux: they inherit the generator built (and calibrated, its tokenizer
# loaded) by the parent, so a worker costs a fork instead of importing transformers and loading
# the tokenizer again. Elsewhere (no safe fork) they are spawned and build their own generator.
_worker_gen: Generator | None = None
_worker_fmt: RecordFormat = "mistral"
#: Samples per task sent to a worker (fewer when the run is small, to keep every worker busy).
POOL_CHUNK = 64


def _quiet_worker_signals() -> None:
    # Ctrl-C reaches the whole process group: the parent handles it and stops the pool; SIGTERM
    # (pool.terminate) ends a worker at once, never through the parent's inherited handler.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _init_worker(spec: dict[str, Any]) -> None:
    global _worker_gen, _worker_fmt
    _quiet_worker_signals()
    _worker_gen = make_generator(**spec["generator"])
    _worker_fmt = spec["fmt"]


def _work(chunk: tuple[int, int]) -> list[tuple[str, dict[str, Any]]]:
    assert _worker_gen is not None
    return [(to_json_line(s, _worker_fmt), s.meta) for s in _worker_gen.iter_samples(*chunk)]


def pool_start_method() -> str:
    """``fork`` where it is safe and available (Linux), else ``spawn``."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


@contextlib.contextmanager
def _tokenizers_single_threaded() -> Iterator[None]:
    """Forked workers count single-threaded (Hugging Face tokenizers would otherwise warn that
    its thread pool cannot cross a fork); the parent's setting is restored once they exist."""
    key = "TOKENIZERS_PARALLELISM"
    old = os.environ.get(key)
    os.environ[key] = "false"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


def _pool_lines(
    gen: Generator,
    spec: dict[str, Any],
    fmt: RecordFormat,
    num_samples: int,
    num_workers: int,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON line, meta) for every sample in index order, from ``num_workers`` processes."""
    global _worker_gen, _worker_fmt
    chunk = max(1, min(POOL_CHUNK, -(-num_samples // (4 * num_workers))))
    chunks = [(i, min(i + chunk, num_samples)) for i in range(0, num_samples, chunk)]
    import multiprocessing  # only a pool needs it (a short run starts faster without)

    method = pool_start_method()
    ctx = multiprocessing.get_context(method)
    if method == "fork":
        _worker_gen, _worker_fmt = gen, fmt  # inherited by the forked workers
        init: Any = _quiet_worker_signals
        initargs: tuple[Any, ...] = ()
    else:
        init, initargs = _init_worker, ({"generator": spec, "fmt": fmt},)
    try:
        with _tokenizers_single_threaded():
            pool = ctx.Pool(num_workers, init, initargs)
        with pool:
            for part in pool.imap(_work, chunks):
                yield from part
    finally:
        _worker_gen = None


def generate_file(
    task: str,
    out: str | os.PathLike[str],
    preset: str | None = None,
    overrides: dict[str, Any] | None = None,
    tokenizer: str | None = None,
    chat_template: bool = False,
    fmt: RecordFormat = "mistral",
    num_workers: int = 1,
    progress: bool = False,
) -> Summary:
    """Generate ``num_samples`` samples of ``task`` into the JSONL file ``out`` atomically."""
    spec = {
        "task": task,
        "preset": preset,
        "overrides": overrides,
        "tokenizer": tokenizer,
        "chat_template": chat_template,
        "fmt": fmt,
    }
    # Build once here so bad configs and tokenizers fail before any worker starts.
    gen = make_generator(**spec)
    cfg = gen.cfg
    summary = Summary(cfg.budget)
    lines: Iterable[tuple[str, dict[str, Any]]]
    if num_workers <= 1:
        lines = ((to_json_line(s, fmt), s.meta) for s in gen.iter_samples())
    else:
        lines = _pool_lines(gen, spec, fmt, cfg.num_samples, num_workers)
    if progress:
        from tqdm import tqdm

        lines = tqdm(lines, total=cfg.num_samples, desc=f"{task}", unit="sample")
    with atomic_write(out) as fh:
        for line, meta in lines:
            fh.write(line)
            summary.add(meta)
    return summary
