"""Writers of small evaluation data files in the reference schemas (used by the eval tests).

Nothing third-party is committed: the tests write these files in the exact formats of the
Lost-in-the-Middle files and of FLenQA (schemas in docs/data.md).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path


def mdqa_record(i: int, num_documents: int = 20, gold_at: int = 0) -> dict:
    """One Lost-in-the-Middle record: question ``i``, gold document at 0-based ``gold_at``."""
    distractors = [
        {
            "id": f"d{i}-{k}",
            "title": f"Distractor {k}",
            "text": f"Text number {k} about something else.",
            "score": "1.5",
            "hasanswer": False,
            "isgold": False,
            "original_retrieval_index": k,
        }
        for k in range(num_documents - 1)
    ]
    gold = {
        "id": f"g{i}",
        "title": f"Gold {i}",
        "text": f"The answer to question {i} is Paris {i}.",
        "score": 2.0,
        "hasanswer": True,
        "isgold": True,
        "original_retrieval_index": 0,
    }
    ctxs = distractors[:gold_at] + [gold] + distractors[gold_at:]
    return {
        "question": f"where is thing {i}",
        "answers": [f"Paris {i}", f"the City of Paris {i}"],
        "ctxs": ctxs,
        "nq_annotated_gold": {"title": f"Gold {i}", "long_answer": "..."},
    }


def write_mdqa(path: Path, n: int = 4, num_documents: int = 20, gold_at: int = 0) -> Path:
    """``n`` records into ``path`` (gzipped when the name ends with .gz)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(mdqa_record(i, num_documents, gold_at)) + "\n" for i in range(n))
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(lines)
    else:
        path.write_text(lines, encoding="utf-8")
    return path


FLENQA_DATASETS = ("PIR", "MonoRel", "Simplified RuleTaker")


def flenqa_records(per_dataset: int = 4) -> list[dict]:
    """Records of every sub-dataset, cycling through ctx sizes, dispersions and paddings."""
    out = []
    sizes = [250, 500, 1000, 2000, 3000]
    disp = ["first", "middle", "last", "random"]
    pads = ["same", "books", "identity"]
    g = 0
    for ds in FLENQA_DATASETS:
        for i in range(per_dataset):
            rec = {
                "global_sample_id": f"{ds}-{i}",
                "sample_id": str(i),
                "label": "True" if i % 2 == 0 else False,
                "dataset": ds,
                "facts": [f"Fact {i} one.", f"Fact {i} two."],
                "assertion/question": f"Is claim {i} of {ds} correct?",
                "mixin": f"Padding text. Fact {i} one. More padding. Fact {i} two.",
                "padding_type": pads[g % 3],
                "dispersion": disp[g % 4],
                "ctx_size": sizes[g % 5],
            }
            if ds == "Simplified RuleTaker":
                rec["rule"] = f"If fact {i} then claim {i}."
                rec["statement"] = f"claim {i}"
            out.append(rec)
            g += 1
    return out


def write_flenqa(path: Path, per_dataset: int = 4) -> Path:
    """FLenQA records as JSON lines (``.jsonl``) or parquet (``.parquet``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    records = flenqa_records(per_dataset)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        # parquet needs one type per column: labels as strings there
        # and the same keys in every row (from_pylist takes the columns of the first row)
        keys = {k for r in records for k in r}
        rows = [{**dict.fromkeys(keys), **r, "label": str(r["label"])} for r in records]
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
