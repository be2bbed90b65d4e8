"""Thin lm-eval adapter of the MDQA tasks: docs, prompts and scores come from the core.

The data location comes from ``--metadata '{"mdqa_data": PATH}'`` (a file or a folder), else
the environment variable ``ARTIFICIAL_NEEDLES_MDQA_DATA``.
"""

from __future__ import annotations

from typing import Any

from artificial_needles.eval import mdqa
from artificial_needles.eval.scoring import score_mdqa


def _as_dataset(docs: list[dict[str, Any]]):
    import datasets

    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def mdqa_dataset(num_documents: int, position: int, **metadata: Any):
    """``custom_dataset``: every question with ``num_documents`` documents, gold at
    ``position`` (both from the task's ``dataset_kwargs``)."""
    location = mdqa.data_location(metadata)
    return _as_dataset(mdqa.build_docs(location, int(num_documents), int(position)))


def closedbook_dataset(**metadata: Any):
    """``custom_dataset`` of ``mdqa_closedbook``."""
    return _as_dataset(mdqa.build_closedbook_docs(mdqa.data_location(metadata)))


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """``best_subspan_em`` of one generation."""
    return score_mdqa(doc, results[0])
