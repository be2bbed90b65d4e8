"""Thin lm-eval adapter of the FLenQA tasks: docs, prompts and scores come from the core.

Data: ``--metadata '{"flenqa_data": PATH}'`` or ``ARTIFICIAL_NEEDLES_FLENQA_DATA`` (jsonl or
parquet); otherwise the hub dataset ``alonj/FLenQA`` through ``datasets.load_dataset``.
"""

from __future__ import annotations

from typing import Any

from artificial_needles.data import flenqa


def flenqa_dataset(subset: str, cot: bool = False, **metadata: Any):
    """``custom_dataset``: the records of ``subset`` (pir, monorel, ruletaker) as docs."""
    import datasets

    docs = flenqa.build_docs(subset, bool(cot), flenqa.data_location(metadata))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """Accuracy overall and by ctx_size, dispersion and padding_type."""
    return flenqa.score(doc, results[0])


def bucket_mean(values: list[float]) -> float:
    """Aggregation of the per-bucket metrics: mean over the docs of the bucket."""
    from artificial_needles.scoring import bucket_mean as mean

    return mean(values)
