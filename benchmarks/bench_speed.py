"""Every speed ratio of issue 10 in one run: generation, start-up, the KV eval, workers, memory.

One module on purpose: the figures must come from one command in one run (ratios on a noisy
machine mean something only side by side), so each figure is one function here and ``main``
runs the selected ones in turn.

    .venv/bin/python benchmarks/bench_speed.py [--official DIR] [--tokenizer DIR] [--quick]

``pip install -e ".[bench]"`` adds what lm-eval's RULER builder needs (``wonderwords``, ``nltk``;
nltk fetches its ``punkt_tab`` data on first import). The tokenizer is Mistral-7B v0.1's: a
fast Hugging Face tokenizer built from the SentencePiece model embedded in ``mistral-common``
(same pieces and counts on our prompts), or ``--tokenizer DIR``. CPU times are
``time.process_time`` of this process (tokenizer threads included) or the rusage of a child, so
other load on the machine moves them little; ratios are medians of interleaved repeats.
"Fresh" builds drop the in-process caches (``tokens.cache.clear_caches``) but keep the on-disk
cache of number counts and fits (``~/.cache/artificial-needles``), as a second run of a user
would; ``ARTIFICIAL_NEEDLES_CACHE=off`` measures cold starts.

Printed (goals of issue 10 in brackets):

1. ``generate --preset paper-mistral`` 500 samples, whole process, against the official generator
   (edixiong/artificial-needles ``data-generation``, 350 train + 150 eval samples) [>= 20x]. The
   official scripts need ``meta-llama/Llama-2-70b-chat`` from the hub: here they run offline
   with a ``sitecustomize`` shim that hands them the local tokenizer instead. Skipped without
   ``--official DIR`` (or ``NEEDLES_OFFICIAL_SCRIPTS``): ``git clone
   https://github.com/edixiong/artificial-needles`` and pass its ``data-generation`` folder;
   its imports are torch, transformers, tiktoken and pyyaml (all in this project's dev venv).
2. The same generation in process against tokenizing the finished prompts once [<= 1.5x], with
   the embedded SentencePiece tokenizer and the fast HF tokenizer (also for ``multi-query-kv``
   and ``multi-hop-kv`` with their ``paper-style`` presets, issue 20); and the same with every
   prompt tokenized (``ARTIFICIAL_NEEDLES_COUNT=tokenize``, for tokenizers without a digit barrier).
3. Start-up: ``generate simple-kv --preset paper-mistral --num-samples 5``, whole process [<= 0.25
   s], next to ``python -c pass``.
4. KV eval docs (``kv_retrieval_simple``, 10 depth buckets) per doc against tokenize-once
   [<= 1.5x] and against lm-eval's RULER ``niah_multikey_2`` builder (its ``generate_samples``
   with the task's arguments; same tokenizer and doc count), at 4096, 16384 and 65536 tokens.
   Set-up included: each build starts from a freshly loaded tokenizer. Also with every prompt
   tokenized; both builds must give the same documents.
5. 5 docs per bucket against 50 per bucket, per doc [<= 1.5x].
6. ``--num-workers 2`` against 1, whole process, both tokenizer kinds (2,000 samples).
7. Peak RSS of ``generate`` streaming 1,000 and ``--stream`` (100,000) samples [flat].

Profile findings (cProfile and ``-X importtime``, 2-core machine, before the speed work):

* KV eval: each (length, depth bucket) cell built its own generator: token-cost calibration (8
  probe prompts) and the token count of every one of the 10,000 candidate key/value numbers,
  through the tokenizer's Python call, where ``BatchEncoding`` conversion took ~60% of the
  tokenizer time. 5 docs per bucket paid that per 5 docs (43x tokenize-once at 4096). Now one
  generator per (task, tokenizer) is calibrated once per process and re-pointed at each cell
  (``data/kv_eval.py``), number counts and fits are cached per tokenizer
  (``tokens/cache.py``), and a fast HF tokenizer counts through its Rust backend
  (``encode_batch_fast``; checked against the tokenizer's call at load). The set-up left per
  process (~50-70 ms: counting 10,000 numbers, calibrating) is kept on disk per tokenizer
  content hash, so a later process starts with it.
* What remained per doc was the exact count of the finished prompt (the bound) plus recounts:
  the fitted estimate is low by about 0.1 token per line, so a 64K prompt (~1,400 lines) came
  out a few lines over and the fill loop recounted the whole prompt after each dropped line
  (5.4 counts per doc at 64K, 2.2 at 16K: 4.7-5.6x and 2.0-2.7x tokenize-once). Now a dropped
  or added line changes the exact count by that line's exact tokens, for tokenizers checked
  once to count additively over lines (``tasks/budget.py``; others still recount): one count
  per doc at every length.
* Generation in process: the same SentencePiece call took twice as long between drawing and
  rendering as in a tight loop (its tables fall out of the CPU caches). ``iter_samples`` now
  drafts 16 samples and counts their prompts one after the other. SentencePiece's list call
  costs 20-40% more CPU per prompt than its one-string call (its batch machinery, even for a list
  of one), so counters call it once per string, and the tokenize-once bound is that call too.
  Per paper-sized sample (in the pipeline, CPU): count ~280 us against ~235 us in a tight loop,
  the numpy draw ~140 us, rendering ~65 us, gold, settle and JSON ~40 us. The Python work is
  about the tokenizer's own time, so tokenizing every prompt kept the ratio at 2.2-2.8x with the
  embedded tokenizer (the HF fast tokenizer is slower, which hid it at ~1.4x). Now a tokenizer
  that gives each digit its own token (Mistral's and Llama-2's SentencePiece vocabularies, the
  Mistral HF tokenizer: a vocabulary scan, kept on disk) is not called on the prompt at all: its
  count follows from the prompt's structure (``tasks/exact_count.py``: numbers, line shapes,
  names and the text around the lines, each counted once exactly), checked once per tokenizer
  and config against the tokenizer on probe prompts. What is left per sample is the Python
  work (~1.3x the bound, embedded). ``ARTIFICIAL_NEEDLES_COUNT=tokenize`` gives the old path;
  figures 2 and 4 print both.
* Start-up (``generate -n 5``, ~0.5 s CPU before): imports ~60% (pydantic ~80 ms, numpy ~60
  ms, the other subcommands' modules ~15 ms, ``multiprocessing`` ~5 ms, the plugin entry-point
  scan ~15 ms, ``mistral_common`` ~30 ms: now located without import), generator set-up ~35 ms
  (10,000 number counts + calibration with the embedded tokenizer), samples ~5 ms each; and the
  byte code of the package compiled again in every run when ``PYTHONDONTWRITEBYTECODE`` is set
  (the child processes here unset it, as an installed package has its byte code). Now a short
  run imports neither numpy (``tasks/pair_batch.py`` draws the first 16 batches in pure Python,
  the same numbers as numpy) nor ``multiprocessing`` (only a pool needs it), the CLI configures
  only the chosen subcommand, and pydantic builds a config schema on first use. What is left is
  pydantic's import (~80 ms, most of it ``asyncio`` pulled in by ``typing_extensions``) and the
  entry-point scan (~10-15 ms in a venv with 250 distributions).
* Workers: spawned workers each re-imported transformers (>10 s CPU on this machine) and
  reloaded the tokenizer, so 2 workers were ~2x slower than 1. Workers are now forked on Linux
  and inherit the built generator; on 2 shared cores they break even (the machine has no spare
  core), and they pay off where cores are free.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

EXE = str(Path(sys.executable).parent / "artificial-needles")
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
BENCH_EXTRA = 'pip install -e ".[bench]"'
OFFICIAL_YAML = "../dataset/yaml/simpledict_ndicts85_34_wtemplate_ordered_5_3.yaml"
SHIM = """import os
if os.environ.get("NEEDLES_OFFICIAL_TOKENIZER"):
    import transformers

    class _LocalTokenizer:
        @staticmethod
        def from_pretrained(*args, **kwargs):
            path = os.environ["NEEDLES_OFFICIAL_TOKENIZER"]
            return transformers.AutoTokenizer.from_pretrained(path)

    transformers.LlamaTokenizer = _LocalTokenizer
"""


def build_mistral_tokenizer(dest: Path) -> str:
    """A fast HF tokenizer of the embedded Mistral-7B v0.1 SentencePiece model (BPE with byte
    fallback, merges ordered by piece id), saved to ``dest``."""
    import sentencepiece
    from tokenizers import Tokenizer, decoders, models, normalizers, processors
    from transformers import PreTrainedTokenizerFast

    from artificial_needles.tokens.counter import embedded_model_path

    sp = sentencepiece.SentencePieceProcessor(model_file=str(embedded_model_path()))
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    merges = []
    for piece, pid in vocab.items():
        if sp.is_control(pid) or sp.is_unknown(pid) or sp.is_byte(pid):
            continue
        for k in range(1, len(piece)):
            a, b = piece[:k], piece[k:]
            if a in vocab and b in vocab:
                merges.append((pid, vocab[a], vocab[b], a, b))
    merges.sort()
    bpe = models.BPE(
        vocab=vocab,
        merges=[(a, b) for *_, a, b in merges],
        unk_token="<unk>",
        fuse_unk=True,
        byte_fallback=True,
    )
    tok = Tokenizer(bpe)
    tok.normalizer = normalizers.Sequence(
        [normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")]
    )
    tok.decoder = decoders.Sequence(
        [
            decoders.Replace("\u2581", " "),
            decoders.ByteFallback(),
            decoders.Fuse(),
            decoders.Strip(" ", 1, 0),
        ]
    )
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )
    fast.save_pretrained(dest)
    return str(dest)


# -- measuring ------------------------------------------------------------------------------
def run_child(cmd: list[str], cwd: str | None = None, env: dict | None = None) -> dict:
    """Wall, CPU seconds and peak RSS (MiB) of one child process (its own rusage)."""
    t0 = time.perf_counter()
    child_env = {**os.environ, **OFFLINE, **(env or {})}
    # Byte code is written and reused, as for an installed package (pip compiles it).
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return {
        "wall": time.perf_counter() - t0,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss / 1024,
    }


#: Runs argv[2:] as its own child and writes that child's peak RSS (KiB) to argv[1]: measured
#: from a small parent, since a child forked from this (large) process would count our pages.
RSS_LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_rss(cmd: list[str], tmp: Path) -> float:
    """Peak RSS (MiB) of ``cmd`` alone."""
    out = tmp / "rss.txt"
    run_child([sys.executable, "-S", "-c", RSS_LAUNCHER, str(out), *cmd])
    return int(out.read_text()) / 1024


def paired(a: Callable[[], dict], b: Callable[[], dict], runs: int, key: str = "cpu"):
    """Median of a, of b and of the pairwise ratio a/b, a and b interleaved."""
    ra, rb = [], []
    for _ in range(runs):
        ra.append(a()[key])
        rb.append(b()[key])
    ratio = statistics.median(x / y for x, y in zip(ra, rb, strict=True))
    return statistics.median(ra), statistics.median(rb), ratio


def cpu(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def say(name: str, text: str, goal: str = "") -> None:
    print(f"{name:<44} {text}" + (f"   [goal {goal}]" if goal else ""), flush=True)


# -- the figures ----------------------------------------------------------------------------
def official(args, tok: str, tmp: Path) -> None:
    src = args.official or os.environ.get("NEEDLES_OFFICIAL_SCRIPTS")
    if not src:
        say(
            "1. whole process vs official generator",
            "skipped: pass --official PATH/TO/artificial-needles/data-generation "
            "(git clone https://github.com/edixiong/artificial-needles) or set "
            "NEEDLES_OFFICIAL_SCRIPTS",
        )
        return
    work = tmp / "official"
    shutil.copytree(src, work / "data-generation")
    (work / "shim").mkdir()
    (work / "shim" / "sitecustomize.py").write_text(SHIM)
    scripts = work / "data-generation" / "scripts"
    env = {"PYTHONPATH": str(work / "shim"), "NEEDLES_OFFICIAL_TOKENIZER": tok}
    theirs = run_child(
        [sys.executable, "generate_dataset.py", "--yaml-path", OFFICIAL_YAML, "--seed", "0"],
        cwd=str(scripts),
        env=env,
    )
    ours = run_child(
        [
            EXE,
            "generate",
            "simple-kv",
            "--preset",
            "paper-mistral",
            "--num-samples",
            "500",
            "--tokenizer",
            tok,
            "--quiet",
            "-o",
            str(tmp / "ours.jsonl"),
        ]  # fmt: skip
    )
    say(
        "1. whole process vs official (500 samples)",
        f"ours {ours['wall']:.2f} s wall / {ours['cpu']:.2f} s CPU, official "
        f"{theirs['wall']:.1f} s / {theirs['cpu']:.1f} s: {theirs['wall'] / ours['wall']:.1f}x "
        f"wall, {theirs['cpu'] / ours['cpu']:.1f}x CPU faster",
        ">= 20x",
    )


def in_process(args, tok: str) -> None:
    # numpy's import (~60 ms, once per process: figure 3's cost) would land in one repeat.
    import numpy  # noqa: F401

    n = 100 if args.quick else 500
    repeats = max(args.repeats, 1 if args.quick else 5)  # ~0.15 s each: noisy alone
    for task, preset in GENERATION_TASKS:
        for label, spec in (("embedded", None), ("HF fast", tok)):
            ratios: dict[str, list[float]] = {"structural": [], "tokenize": []}
            for _, mode in [(i, m) for i in range(repeats) for m in ratios]:
                with count_mode(mode):
                    ratios[mode].append(generation_ratio(spec, n, task, preset))
            say(
                f"2. in process vs tokenize-once ({label})",
                f"{statistics.median(ratios['structural']):.2f}x ({n} samples, {task} "
                f"{preset}; every prompt tokenized: {statistics.median(ratios['tokenize']):.2f}x)",
                "<= 1.5x",
            )


@contextlib.contextmanager
def count_mode(mode: str) -> Iterator[None]:
    """``tokenize``: every prompt counted by the tokenizer; ``structural``: the default."""
    from artificial_needles.tokens.digit_barrier import COUNT_ENV

    old = os.environ.pop(COUNT_ENV, None)
    if mode == "tokenize":
        os.environ[COUNT_ENV] = "tokenize"
    try:
        yield
    finally:
        os.environ.pop(COUNT_ENV, None)
        if old is not None:
            os.environ[COUNT_ENV] = old


#: Generators and presets of figure 2: the paper's, and the issue 20 generators.
GENERATION_TASKS = (
    ("simple-kv", "paper-mistral"),
    ("multi-query-kv", "paper-style"),
    ("multi-hop-kv", "paper-style"),
)


def generation_ratio(
    spec: str | None, n: int, task: str = "simple-kv", preset: str = "paper-mistral"
) -> float:
    """CPU of generating ``n`` samples of ``task`` with ``preset`` (set-up included) over
    counting them once."""
    from artificial_needles.generators.build import make_generator
    from artificial_needles.generators.records import to_json_line
    from artificial_needles.io import atomic_write
    from artificial_needles.tokens.cache import clear_caches
    from artificial_needles.tokens.counter import load_tokenizer

    clear_caches()  # set-up included, as in a new process
    counter = load_tokenizer(spec)  # loading is outside both timings

    def pipeline() -> list[str]:
        gen = make_generator(task, preset=preset, overrides={"num_samples": n}, tokenizer=counter)
        prompts = []
        with atomic_write(tmp_out) as fh:
            for s in gen.iter_samples():
                fh.write(to_json_line(s, "mistral"))
                prompts.append(s.prompt)
        return prompts

    g, prompts = cpu(pipeline)
    bound_counter = load_tokenizer(spec)
    t, _ = cpu(lambda: [bound_counter.count(p) for p in prompts])
    return g / t


def startup(args) -> None:
    runs = 3 if args.quick else 7
    cmd = [EXE, "generate", "simple-kv", "--preset", "paper-mistral", "--num-samples", "5",
           "--quiet", "-o", str(tmp_out)]  # fmt: skip
    ours = [run_child(cmd) for _ in range(runs + 1)][1:]
    floor = [run_child([sys.executable, "-c", "pass"]) for _ in range(runs)]
    med = {k: statistics.median(r[k] for r in ours) for k in ("wall", "cpu")}
    say(
        "3. start-up (generate, 5 samples)",
        f"{med['wall']:.3f} s wall, {med['cpu']:.3f} s CPU (python -c pass: "
        f"{statistics.median(r['wall'] for r in floor):.3f} s wall)",
        "<= 0.25 s",
    )


def ruler_docs(length: int, num: int, tok: str) -> list[dict]:
    """lm-eval's RULER ``niah_multikey_2`` builder: ``generate_samples`` with its arguments."""
    from lm_eval.tasks.ruler import niah_utils, prepare_niah
    from transformers import AutoTokenizer

    return prepare_niah.generate_samples(
        prepare_niah.get_haystack(type_haystack="needle"),
        max_seq_length=length,
        template=niah_utils.TEMPLATE,
        type_haystack="needle",
        type_needle_k="words",
        type_needle_v="numbers",
        num_samples=num,
        TOKENIZER=AutoTokenizer.from_pretrained(tok),
    )


def kv_docs(tok: str, length: int, per_bucket: int) -> tuple[float, list[dict]]:
    """CPU seconds and docs of one KV eval build from a freshly loaded tokenizer."""
    import artificial_needles.generators.build  # noqa: F401  (imports are not the builder's cost)
    from artificial_needles.eval.kv_docs import build_kv_docs
    from artificial_needles.tokens.cache import clear_caches
    from artificial_needles.tokens.counter import load_tokenizer

    clear_caches()  # set-up included, as in a new process
    counter = load_tokenizer(tok)
    t0 = time.process_time()
    docs = build_kv_docs("simple-kv", counter, [length], 10, per_bucket)
    return time.process_time() - t0, docs


def tokenize_once(tok: str, prompts: list[str]) -> float:
    """CPU seconds of counting each finished prompt once (a freshly loaded tokenizer)."""
    from artificial_needles.tokens.counter import load_tokenizer

    counter = load_tokenizer(tok)
    t0 = time.process_time()
    for p in prompts:
        counter.count(p)
    return time.process_time() - t0


def kv_eval(args, tok: str) -> None:
    has_ruler = True
    try:
        from lm_eval.tasks.ruler import prepare_niah  # noqa: F401
    except Exception as exc:  # ImportError without the bench extra; nltk data errors
        has_ruler = False
        say("4. RULER niah_multikey_2", f"skipped ({type(exc).__name__}: {exc}); " + BENCH_EXTRA)
    for length in (int(x) for x in args.kv_lengths.split(",")):
        docs_n = args.kv_docs if length <= 16384 else max(10, args.kv_docs // 5)
        g, docs = kv_docs(tok, length, max(1, docs_n // 10))
        with count_mode("tokenize"):
            g_tok, docs_tok = kv_docs(tok, length, max(1, docs_n // 10))
        assert docs_tok == docs, "structural counts changed the documents"
        t = tokenize_once(tok, [d["prompt"] for d in docs])
        line = (
            f"{1000 * g / len(docs):.1f} ms/doc, {g / t:.2f}x tokenize-once ({len(docs)} docs; "
            f"every prompt tokenized: {g_tok / t:.2f}x)"
        )
        if has_ruler:
            t0 = time.process_time()
            rdocs = ruler_docs(length, len(docs), tok)
            r = time.process_time() - t0
            line += f"; RULER {1000 * r / len(rdocs):.1f} ms/doc ({r / g:.2f}x ours)"
        say(f"4. KV eval docs at {length}", line, "<= 1.5x, ahead of RULER")


def buckets(args, tok: str) -> None:
    per_doc = {}
    for n in (5, 50):
        g, docs = kv_docs(tok, 4096, n)
        per_doc[n] = g / len(docs)
    say(
        "5. 5 vs 50 docs per bucket (4096, per doc)",
        f"{1000 * per_doc[5]:.2f} vs {1000 * per_doc[50]:.2f} ms/doc: "
        f"{per_doc[5] / per_doc[50]:.2f}x",
        "<= 1.5x",
    )


def workers(args, tok: str) -> None:
    n = "500" if args.quick else "2000"
    for label, spec in (("embedded", []), ("HF fast", ["--tokenizer", tok])):
        base = [EXE, "generate", "simple-kv", "--preset", "paper-mistral", "--num-samples", n,
                *spec, "--quiet", "-o", str(tmp_out)]  # fmt: skip
        a, b, ratio = paired(
            lambda base=base: run_child([*base, "--num-workers", "2"]),
            lambda base=base: run_child([*base, "--num-workers", "1"]),
            1 if args.quick else 3,
            key="wall",
        )
        say(
            f"6. 2 workers vs 1 ({label}, whole process)",
            f"{a:.2f} s vs {b:.2f} s wall: {ratio:.2f}x ({n} samples, {os.cpu_count()} cores)",
            "< 1x where cores are free",
        )


def memory(args) -> None:
    peaks = {}
    for n in (1000, args.stream):
        cmd = [EXE, "generate", "simple-kv", "--max-tokens", "512", "--num-samples", str(n)]
        peaks[n] = peak_rss([*cmd, "--quiet", "-o", str(tmp_out)], tmp_out.parent)
    say(
        f"7. peak RSS, 1,000 vs {args.stream:,} samples",
        f"{peaks[1000]:.1f} vs {peaks[args.stream]:.1f} MiB "
        f"({peaks[args.stream] / peaks[1000]:.2f}x)",
        "flat",
    )


tmp_out = Path(os.devnull)


def main() -> None:
    global tmp_out
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--official", help="the official repository's data-generation folder")
    p.add_argument("--tokenizer", help="HF tokenizer directory (default: Mistral-7B v0.1 built)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--kv-docs", type=int, default=500, help="KV docs per length (<= 16384)")
    p.add_argument("--kv-lengths", default="4096,16384,65536")
    p.add_argument("--stream", type=int, default=100_000, help="samples of the memory run")
    p.add_argument("--quick", action="store_true", help="fewer samples and repeats")
    p.add_argument("--only", default="1234567", help="which figures, e.g. 245")
    args = p.parse_args()
    if args.quick:
        args.repeats, args.kv_docs, args.stream = 1, min(args.kv_docs, 100), 20_000
    os.environ.update(OFFLINE)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        tmp_out = tmp / "out.jsonl"
        tok = args.tokenizer or build_mistral_tokenizer(tmp / "mistral-7b-v0.1")
        steps = {
            "1": lambda: official(args, tok, tmp),
            "2": lambda: in_process(args, tok),
            "3": lambda: startup(args),
            "4": lambda: kv_eval(args, tok),
            "5": lambda: buckets(args, tok),
            "6": lambda: workers(args, tok),
            "7": lambda: memory(args),
        }
        for key in args.only:
            steps[key]()


if __name__ == "__main__":
    main()
