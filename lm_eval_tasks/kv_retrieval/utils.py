"""Thin lm-eval adapter of the KV retrieval tasks: docs and scores come from the core.

Options (``--metadata`` JSON, merged by lm-eval with ``--model_args``), validated by
``artificial_needles.eval.metadata.EvalMetadata``: ``tokenizer`` or ``pretrained`` (the tokenizer
that sizes the prompts), ``max_seq_lengths`` (any lengths; default [4096]), ``depth_buckets``
(1-100; default 10), ``num_samples`` per cell (default 20), ``seed`` (default 0), ``margin``
(tokens left for the answer, default 100), ``chat_template`` (count prompts through the
tokenizer's chat template; ``artificial-needles eval`` sets it with the chat template) and
``system_instruction`` (the system turn lm-eval renders before each prompt with
``--system_instruction``; ``artificial-needles eval`` passes it on). lm-eval drops the system turn
when the chat template refuses one, and so does the count here.

Metrics ``acc_<L>`` and ``acc_depth_<p>`` exist for the requested lengths and buckets only; their
names are made at run time and registered on the task (``artificial_needles.eval.lm_eval_compat``).
"""

from __future__ import annotations

import functools
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.eval.kv_docs import build_kv_docs
from artificial_needles.eval.lm_eval_compat import register_bucket_metrics
from artificial_needles.eval.metadata import task_options
from artificial_needles.eval.scoring import bucket_keys, kv_buckets, score_kv
from artificial_needles.eval.scoring import bucket_mean as _bucket_mean


@functools.lru_cache(maxsize=4)
def _counter(tokenizer: str, chat: bool, system: str | None = None):
    """One loaded tokenizer per name for both tasks (they then share its number counts)."""
    from artificial_needles.tokens.counter import SystemTurnRefused, load_tokenizer

    try:
        return load_tokenizer(tokenizer, chat_template=chat, system=system)
    except SystemTurnRefused:
        # lm-eval's HF model retries such a template without the system turn: count the same.
        return load_tokenizer(tokenizer, chat_template=chat)


@functools.lru_cache(maxsize=8)
def _cached_docs(task: str, tokenizer: str, chat: bool, system, lengths, buckets, n, seed, margin):
    counter = _counter(tokenizer, chat, system)
    docs = build_kv_docs(task, counter, lengths, buckets, n, seed, margin)
    keys = list(bucket_keys(kv_buckets(d) for d in docs))
    return [{**d, "bucket_keys": keys} for d in docs], tuple(keys)


def _dataset(task: str, caller: Any, **kwargs: Any):
    import datasets

    opts = task_options(kwargs, f"kv_retrieval ({task}) metadata")
    tokenizer = opts.tokenizer or kwargs.get("pretrained")
    if not tokenizer:
        raise NeedlesError(
            f"kv_retrieval ({task}) sizes its prompts with the evaluated model's tokenizer: pass "
            '--model_args pretrained=PATH or --metadata \'{"tokenizer": "PATH"}\''
        )
    if opts.system_instruction and not opts.chat_template:
        raise NeedlesError(
            f"kv_retrieval ({task}) metadata: system_instruction is counted as the chat "
            "template's system turn; set chat_template true (lm-eval --apply_chat_template), or "
            "drop system_instruction and leave its tokens to margin"
        )
    docs, keys = _cached_docs(
        task,
        str(tokenizer),
        opts.chat_template,
        opts.system_instruction,
        opts.max_seq_lengths,
        opts.depth_buckets,
        opts.num_samples,
        opts.seed,
        opts.margin,
    )
    register_bucket_metrics(caller, keys, bucket_mean)
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def simple_kv_dataset(**kwargs: Any):
    """``custom_dataset`` of ``kv_retrieval_simple``."""
    return _dataset("simple-kv", simple_kv_dataset, **kwargs)


def multisubkey_kv_dataset(**kwargs: Any):
    """``custom_dataset`` of ``kv_retrieval_multisubkey``."""
    return _dataset("multi-subkey-kv", multisubkey_kv_dataset, **kwargs)


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """Scores of one generation (``artificial_needles.eval.scoring.score_kv``), every bucket of the
    run reported (-1 outside the doc's own)."""
    return score_kv(doc, results[0], doc.get("bucket_keys"))


def bucket_mean(values: list[float]) -> float:
    """Aggregation of the per-length/per-depth metrics: mean over the docs of the bucket."""
    return _bucket_mean(values)
