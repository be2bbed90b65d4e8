"""Thin lm-eval adapter of the KV retrieval tasks: docs and scores come from the core.

Options (``--metadata`` JSON, merged by lm-eval with ``--model_args``): ``tokenizer`` or
``pretrained`` (the tokenizer that sizes the prompts), ``max_seq_lengths`` (default [4096]),
``depth_buckets`` (1, 2, 5 or 10; default 10), ``num_samples`` per cell (default 20), ``seed``
(default 0), ``margin`` (tokens left for the answer, default 100) and ``chat_template`` (count
prompts through the tokenizer's chat template; set it with ``--apply_chat_template``).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from artificial_needles.data.kv_eval import DEFAULT_LENGTHS, build_kv_docs, score_kv
from artificial_needles.errors import NeedlesError


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _lengths(value: Any) -> tuple[int, ...]:
    if value is None:
        return DEFAULT_LENGTHS
    if isinstance(value, str):
        value = json.loads(value) if value.strip().startswith("[") else value.split(",")
    if isinstance(value, int):
        value = [value]
    return tuple(int(x) for x in value)


@functools.lru_cache(maxsize=8)
def _cached_docs(task: str, tokenizer: str, chat: bool, lengths, buckets, n, seed, margin):
    from artificial_needles.tokens import load_tokenizer

    counter = load_tokenizer(tokenizer, chat_template=chat)
    return build_kv_docs(task, counter, lengths, buckets, n, seed, margin)


def _dataset(task: str, **kwargs: Any):
    import datasets

    tokenizer = kwargs.get("tokenizer") or kwargs.get("pretrained")
    if not tokenizer:
        raise NeedlesError(
            f"kv_retrieval ({task}) sizes its prompts with the evaluated model's tokenizer: pass "
            '--model_args pretrained=PATH or --metadata \'{"tokenizer": "PATH"}\''
        )
    docs = _cached_docs(
        task,
        str(tokenizer),
        _flag(kwargs.get("chat_template", False)),
        _lengths(kwargs.get("max_seq_lengths")),
        int(kwargs.get("depth_buckets", 10)),
        int(kwargs.get("num_samples", 20)),
        int(kwargs.get("seed", 0)),
        int(kwargs.get("margin", 100)),
    )
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def simple_kv_dataset(**kwargs: Any):
    """``custom_dataset`` of ``kv_retrieval_simple``."""
    return _dataset("simple-kv", **kwargs)


def multisubkey_kv_dataset(**kwargs: Any):
    """``custom_dataset`` of ``kv_retrieval_multisubkey``."""
    return _dataset("multi-subkey-kv", **kwargs)


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """Scores of one generation (see ``artificial_needles.data.kv_eval.score_kv``)."""
    return score_kv(doc, results[0])


def bucket_mean(values: list[float]) -> float:
    """Aggregation of the per-length/per-depth metrics: mean over the docs of the bucket."""
    from artificial_needles.scoring import bucket_mean as mean

    return mean(values)
