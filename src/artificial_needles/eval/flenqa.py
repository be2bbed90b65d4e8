"""FLenQA (Levy et al. 2024, "Same Task, More Tokens"): data loading and the exact prompts.

Input records (hub dataset ``alonj/FLenQA``, file ``FLenQA_hf.jsonl``, or parquet), docs/data.md:
``label`` ("True"/"False" or bool), ``dataset`` ("PIR" | "MonoRel" | "Simplified RuleTaker"),
``assertion/question``, ``mixin`` (the prompt body), ``rule`` (RuleTaker), ``padding_type``,
``dispersion``, ``ctx_size``, ``sample_id``, ``global_sample_id``.

Output docs (one per record of the chosen sub-dataset)::

    {"prompt": str, "label": "true" | "false", "dataset": str, "ctx_size": int,
     "dispersion": str, "padding_type": str, "sample_id": str, "global_sample_id": str}
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.eval.files import json_lines, parquet_rows, read_cached
from artificial_needles.eval.scoring import flenqa_label
from artificial_needles.eval.task_names import FLENQA_SUBSETS

HUB_DATASET = "alonj/FLenQA"
HUB_SPLIT = "eval"
ENV_VAR = "ARTIFICIAL_NEEDLES_FLENQA_DATA"
METADATA_KEY = "flenqa_data"
QUESTION = "assertion/question"

#: task suffix -> value of the records' ``dataset`` field (defined with the task names)
SUBSETS = FLENQA_SUBSETS
CTX_SIZES = (250, 500, 1000, 2000, 3000)
DISPERSIONS = ("first", "middle", "last", "random")
PADDING_TYPES = ("same", "books", "identity")
_RULETAKER = (
    "Answer whether the statement {q} can be derived from the rule and the facts. Answer with "
    'either "True" or "False".\nRule: {rule}\nFacts: {m}\nAnswer with either "True or "False".\n'
)
_RULETAKER_COT = (
    "Answer whether the statement {q} can be derived from the rule and the facts.\n"
    'Show your steps then answer with either "True" or "False".\n'
    "Rule: {rule}\nFacts: {m}\n"
    'Answer with either "True or "False". Let\'s work this out in a step by step way to be sure '
    "we have the right answer.\n"
)
_PIR = "{m}\nTrue/False Question: {q}\nAnswer only True or False.\n"
_PIR_COT = (
    "Show your steps then answer with \u2019true\u2019 or \u2019false\u2019.\n{m}\n"
    "True/False Question: {q}\n"
    "Let\u2019s work this out in a step by step way to\nbe sure we have the right answer.\n"
)
_MONOREL_HEAD = (
    "Here are some facts. Answer the exact following question based on the text: {q} Answer the "
    "question as it appears exactly.\n"
)
_MONOREL = _MONOREL_HEAD + "{m}\n{q}\nAnswer only True or False.\n"
_MONOREL_COT = (
    _MONOREL_HEAD
    + "Show your steps then answer with \u2019true\u2019 or \u2019false\u2019.\n{m}\n{q}\n"
    "Let\u2019s work this out in a step by step way to be sure we have the right answer. Show "
    "your work and finally answer with \u2019true\u2019 or \u2019false\u2019. The final step "
    "should include the exact text of the question and the answer.\n"
)
TEMPLATES = {
    ("PIR", False): _PIR,
    ("PIR", True): _PIR_COT,
    ("MonoRel", False): _MONOREL,
    ("MonoRel", True): _MONOREL_COT,
    ("Simplified RuleTaker", False): _RULETAKER,
    ("Simplified RuleTaker", True): _RULETAKER_COT,
}


def build_prompt(record: dict[str, Any], cot: bool = False) -> str:
    """The exact FLenQA prompt of one record (with or without chain of thought)."""
    dataset = record.get("dataset")
    template = TEMPLATES.get((dataset, cot))
    if template is None:
        raise NeedlesError(
            f"FLenQA record {record.get('global_sample_id', '?')}: unknown dataset {dataset!r}; "
            f"expected one of {sorted(SUBSETS.values())}"
        )
    rule = record.get("rule") if dataset == "Simplified RuleTaker" else ""
    return template.format(q=record[QUESTION], m=record["mixin"], rule=rule)


def _slug(value: Any) -> str:
    return re.sub(r"\W+", "_", str(value).strip().lower()).strip("_")


_REQUIRED = ("label", "dataset", QUESTION, "mixin", "ctx_size", "dispersion", "padding_type")


def to_doc(record: dict[str, Any], cot: bool, where: str) -> dict[str, Any]:
    """The lm-eval doc of one record; ``where`` names it in errors (``file:line``)."""
    missing = [k for k in _REQUIRED if record.get(k) is None]
    if record.get("dataset") == "Simplified RuleTaker" and record.get("rule") is None:
        missing.append("rule")
    if missing:
        raise NeedlesError(f"{where}: missing field(s) {missing} (schema: docs/data.md)")
    label = flenqa_label(record["label"])
    if label not in ("true", "false"):
        raise NeedlesError(f"{where}: label {record['label']!r} is neither True nor False")
    try:
        ctx_size = int(record["ctx_size"])
    except (TypeError, ValueError):
        raise NeedlesError(f"{where}: ctx_size {record['ctx_size']!r} is not an integer") from None
    return {
        "prompt": build_prompt(record, cot),
        "label": label,
        "dataset": record["dataset"],
        "ctx_size": ctx_size,
        "dispersion": _slug(record["dispersion"]),
        "padding_type": _slug(record["padding_type"]),
        "sample_id": str(record.get("sample_id", "")),
        "global_sample_id": str(record.get("global_sample_id", "")),
    }


def _parse_local(path: Path) -> tuple[tuple[str, dict[str, Any]], ...]:
    if path.suffix == ".parquet":
        return tuple((f"{path}: row {i}", rec) for i, rec in parquet_rows(path))
    out = []
    for lineno, rec in json_lines(path):
        if not isinstance(rec, dict):
            raise NeedlesError(f"{path}:{lineno}: expected a JSON object")
        out.append((f"{path}:{lineno}", rec))
    return tuple(out)


_HINT = (
    f"set {METADATA_KEY} / {ENV_VAR} to the FLenQA_hf.jsonl or parquet file of the "
    "alonj/FLenQA dataset"
)


def read_hub() -> tuple[tuple[str, dict[str, Any]], ...]:
    """``(where, record)`` of the hub dataset, through ``datasets.load_dataset`` (cached)."""
    import datasets

    try:
        ds = datasets.load_dataset(HUB_DATASET, split=HUB_SPLIT)
    except Exception as exc:  # offline, hub errors: all mean "the data is not here"
        raise NeedlesError(
            f"could not load the hub dataset {HUB_DATASET} ({str(exc).splitlines()[0]}); "
            f"download FLenQA_hf.jsonl and point at it with --metadata "
            f'\'{{"{METADATA_KEY}": "PATH"}}\' or {ENV_VAR}=PATH'
        ) from exc
    return tuple((f"{HUB_DATASET}[{i}]", rec) for i, rec in enumerate(ds))


#: :func:`read_hub`, cached (``hub_records.cache_clear()`` forgets it).
hub_records = functools.lru_cache(maxsize=1)(read_hub)


def records(location: str | None) -> tuple[tuple[str, dict[str, Any]], ...]:
    """``(where, record)`` of a local ``.jsonl`` / ``.jsonl.gz`` / ``.parquet`` file, or of the
    hub dataset when ``location`` is None; read once per file version."""
    if not location:
        return hub_records()
    return read_cached(location, _parse_local, "FLenQA data file", _HINT)


def data_location(metadata: dict[str, Any] | None = None) -> str | None:
    """Local file from metadata ``flenqa_data``, else ``$ARTIFICIAL_NEEDLES_FLENQA_DATA``, else
    None (use the hub dataset)."""
    return (metadata or {}).get(METADATA_KEY) or os.environ.get(ENV_VAR) or None


def build_docs(subset: str, cot: bool, location: str | None = None) -> list[dict[str, Any]]:
    """Docs of one task: ``subset`` is ``pir``, ``monorel`` or ``ruletaker``."""
    if subset not in SUBSETS:
        raise NeedlesError(f"unknown FLenQA subset {subset!r}; use one of {sorted(SUBSETS)}")
    wanted = SUBSETS[subset]
    docs = [to_doc(r, cot, w) for w, r in records(location) if r.get("dataset") == wanted]
    if not docs:
        raise NeedlesError(
            f"FLenQA data {location or HUB_DATASET}: no records with dataset {wanted!r}"
        )
    return docs
