"""Thin lm-eval adapter of the KV retrieval tasks: docs and scores come from the core.

Options (``--metadata`` JSON, merged by lm-eval with ``--model_args``), validated by
``artificial_needles.eval.metadata.EvalMetadata``: ``tokenizer`` or ``pretrained`` (the tokenizer
that sizes the prompts), ``max_seq_lengths`` (any lengths; default [4096]), ``depth_buckets``
(1-100; default 10), ``num_samples`` per cell (default 20), ``seed`` (default 0), ``margin``
(tokens left for the answer, default 100), ``chat_template`` (count prompts through the
tokenizer's chat template; ``artificial-needles eval`` sets it with the chat template) and
``system_instruction`` (the system turn lm-eval renders before each prompt with
``--system_instruction``; ``artificial-needles eval`` passes it on). lm-eval drops the system turn
when the chat template refuses one, and so does the count here. Generator fields (when set):
``gold_dict_size`` (``"match"``: the shortcut probe), ``near_miss_keys``, ``near_miss_values``,
``num_queries`` (multi-query) and ``hops`` (multi-hop).

Metrics ``acc_<L>`` and ``acc_depth_<p>`` exist for the requested lengths and buckets only, and
``query_acc_<i>`` / ``hop_acc_<i>`` for the asked queries / hops; their names are made at run
time and registered on the task (``artificial_needles.eval.lm_eval_compat``).
"""

from __future__ import annotations

import functools
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.eval.kv_docs import build_kv_docs
from artificial_needles.eval.lm_eval_compat import register_bucket_metrics
from artificial_needles.eval.metadata import generator_overrides, task_options
from artificial_needles.eval.scoring import (
    bucket_keys,
    kv_buckets,
    multihop_steps,
    multiquery_steps,
    score_kv,
    score_multihop,
    score_multiquery,
)
from artificial_needles.eval.scoring import bucket_mean as _bucket_mean

#: Per-step metrics of a task's documents (``query_acc_<i>``, ``hop_acc_<i>``), registered with
#: the bucket metrics: their names follow num_queries / hops.
_STEPS = {"multi-query-kv": multiquery_steps, "multi-hop-kv": multihop_steps}
#: Scorer of each generator's documents.
_SCORERS = {"multi-query-kv": score_multiquery, "multi-hop-kv": score_multihop}


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
def _cached_docs(
    task: str, tokenizer: str, chat: bool, system, lengths, buckets, n, seed, margin, overrides
):
    counter = _counter(tokenizer, chat, system)
    docs = build_kv_docs(task, counter, lengths, buckets, n, seed, margin, dict(overrides))
    keys = list(bucket_keys(kv_buckets(d) for d in docs))
    steps = _STEPS.get(task)
    if steps is None:
        return [{**d, "bucket_keys": keys} for d in docs], tuple(keys)
    _check_answer_room(task, _counter(tokenizer, False), docs, margin)
    metrics = keys + list(bucket_keys(steps(d) for d in docs))
    return [{**d, "bucket_keys": keys} for d in docs], tuple(metrics)


def _check_answer_room(task: str, counter: Any, docs: list[dict[str, Any]], margin: int) -> None:
    """The answers of multi-query / multi-hop grow with num_queries / hops: the longest must fit
    ``margin``, the room every prompt leaves (and max_gen_toks must cover it)."""
    longest = max(counter.count(d["answer"]) for d in docs)
    if longest > margin:
        raise NeedlesError(
            f"kv_retrieval ({task}) metadata: answers take up to {longest} tokens, more than "
            f"margin {margin}; raise margin to at least {longest} and pass lm-eval "
            f"--gen_kwargs max_gen_toks={longest} (the task generates 100 tokens), or ask fewer "
            "num_queries / hops"
        )


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
        tuple(sorted(generator_overrides(opts, task).items())),
    )
    register_bucket_metrics(caller, keys, bucket_mean)
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def simple_kv_dataset(**kwargs: Any):
    """``custom_dataset`` of ``kv_retrieval_simple``."""
    return _dataset("simple-kv", simple_kv_dataset, **kwargs)


def multisubkey_kv_dataset(**kwargs: Any):
    """``custom_dataset`` of ``kv_retrieval_multisubkey``."""
    return _dataset("multi-subkey-kv", multisubkey_kv_dataset, **kwargs)


def multiquery_kv_dataset(**kwargs: Any):
    """``custom_dataset`` of ``kv_retrieval_multiquery``."""
    return _dataset("multi-query-kv", multiquery_kv_dataset, **kwargs)


def multihop_kv_dataset(**kwargs: Any):
    """``custom_dataset`` of ``kv_retrieval_multihop``."""
    return _dataset("multi-hop-kv", multihop_kv_dataset, **kwargs)


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """Scores of one generation (``artificial_needles.eval.scoring``: ``score_kv``, or
    ``score_multiquery`` / ``score_multihop`` for those tasks' documents), every bucket of the
    run reported (-1 outside the doc's own)."""
    score = _SCORERS.get(doc.get("task", ""), score_kv)
    return score(doc, results[0], doc.get("bucket_keys"))


def bucket_mean(values: list[float]) -> float:
    """Aggregation of the per-length/per-depth metrics: mean over the docs of the bucket."""
    return _bucket_mean(values)
