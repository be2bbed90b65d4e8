"""Thin lm-eval adapter of the FLenQA tasks: docs, prompts and scores come from the core.

Data: ``--metadata '{"flenqa_data": PATH}'`` or ``ARTIFICIAL_NEEDLES_FLENQA_DATA`` (jsonl or
parquet); otherwise the hub dataset ``alonj/FLenQA`` through ``datasets.load_dataset``.
Per-bucket metrics (``acc_ctx_<n>``, ``acc_dispersion_<d>``, ``acc_padding_<p>``) exist for the
buckets present in the data, registered at run time (``artificial_needles.eval.lm_eval_compat``).
"""

from __future__ import annotations

from typing import Any

from artificial_needles.eval import flenqa
from artificial_needles.eval.lm_eval_compat import register_bucket_metrics
from artificial_needles.eval.metadata import task_options
from artificial_needles.eval.scoring import MISSING, bucket_keys, flenqa_buckets, score_flenqa
from artificial_needles.eval.scoring import bucket_mean as _bucket_mean


def flenqa_dataset(subset: str, cot: bool = False, **metadata: Any):
    """``custom_dataset``: the records of ``subset`` (pir, monorel, ruletaker) as docs."""
    import datasets

    opts = task_options(metadata, f"flenqa_{subset} metadata")
    docs = flenqa.build_docs(subset, bool(cot), flenqa.data_location(opts.model_dump()))
    keys = list(bucket_keys(flenqa_buckets(d) for d in docs))
    register_bucket_metrics(flenqa_dataset, keys, bucket_mean)
    docs = [{**d, "bucket_keys": keys} for d in docs]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """Accuracy overall and by ctx_size, dispersion and padding_type."""
    return score_flenqa(doc, results[0], doc.get("bucket_keys"))


def bucket_mean(values: list[float]) -> float:
    """Aggregation of the per-bucket metrics: mean over the docs of the bucket."""
    return _bucket_mean(values)


def group_bucket_mean(metrics: list[float], sizes: list[int], weight_by_size: bool = True) -> float:
    """Group aggregation of a per-bucket metric over the three tasks: the size-weighted mean of
    the tasks that had docs in the bucket (exact when each task has the same share of its docs
    in the bucket, as in the full FLenQA data)."""
    weights = sizes if weight_by_size else [1] * len(sizes)
    pairs = [(m, s) for m, s in zip(metrics, weights, strict=True) if m != MISSING]
    total = sum(s for _, s in pairs)
    return sum(m * s for m, s in pairs) / total if total else MISSING
