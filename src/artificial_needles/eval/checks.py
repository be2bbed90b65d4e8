"""Check an lm-eval task selection before any model loads: :func:`check_tasks`.

Task names must exist (with a "did you mean"), the data of our MDQA and FLenQA tasks must be
resolvable and readable, the KV tasks must have a tokenizer, and the metadata keys must be valid
(:mod:`artificial_needles.eval.metadata`). ``artificial-needles eval`` calls it before it loads
the model; the Axolotl plugin calls it when it loads the config, so that nothing fails after
training.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.eval.task_names import (
    FLENQA_PREFIX,
    KV_PREFIX,
    MDQA_PREFIX,
    MDQA_TASK,
    is_family_task,
)
from artificial_needles.tokens.counter import is_missing_path

_OFFLINE = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
log = logging.getLogger(__name__)


def include_paths(include_path: str | Sequence[str] | None) -> list[str]:
    """Our tasks folder followed by the user's ``include_path`` entries."""
    from artificial_needles.eval.paths import tasks_path

    paths = [str(tasks_path())]
    if include_path:
        paths += [include_path] if isinstance(include_path, str) else list(include_path)
    return paths


def task_manager(include_path: str | Sequence[str] | None = None, **kwargs: Any) -> Any:
    """lm-eval's TaskManager with our tasks (and ``include_path``) indexed."""
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=include_paths(include_path), **kwargs)


def unknown_tasks(names: Iterable[str], manager: Any) -> None:
    """Raise NeedlesError for names lm-eval does not know, each with a suggestion."""
    bad = [n for n in names if not manager.match_tasks([n])]
    if not bad:
        return
    known = list(manager.all_tasks)
    parts = []
    for name in bad:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        parts.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise NeedlesError(
        f"unknown task(s) {', '.join(parts)}; list them with "
        f"`lm_eval ls tasks --include_path {include_paths(None)[0]}`"
    )


def our_leaf_tasks(names: Iterable[str], manager: Any) -> list[str]:
    """The leaf tasks of our families (see :mod:`artificial_needles.eval.task_names`) among
    ``names``, with our groups expanded (lm-eval's own groups are not opened)."""
    from artificial_needles.eval.lm_eval_compat import group_yaml_tasks, index_entry
    from artificial_needles.eval.paths import tasks_path

    ours = str(tasks_path())
    out: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop(0)
        kind, path, members = index_entry(manager, name)
        if kind == "group" and path.startswith(ours):
            todo[:0] = [t for t in group_yaml_tasks(path) if isinstance(t, str)]
        elif kind == "tag":
            todo[:0] = members
        elif is_family_task(name) and name not in out:
            out.append(name)
    return out


def _offline() -> bool:
    return any(os.environ.get(v, "").strip().lower() in {"1", "true", "yes"} for v in _OFFLINE)


def _check_mdqa(leaves: list[str], metadata: dict[str, Any]) -> None:
    from artificial_needles.eval import mdqa

    tasks = [t for t in leaves if t.startswith(MDQA_PREFIX)]
    if not tasks:
        return
    try:
        location = mdqa.data_location(metadata)
    except NeedlesError as exc:
        raise NeedlesError(f"{', '.join(tasks)}: {exc}") from None
    for task in tasks:
        m = MDQA_TASK.match(task)
        n, pos = (int(m.group(1)), int(m.group(2))) if m else (None, 1)
        mdqa.read_records(mdqa.find_file(location, n, pos))


def _check_flenqa(leaves: list[str], metadata: dict[str, Any]) -> None:
    from artificial_needles.eval import flenqa

    tasks = [t for t in leaves if t.startswith(FLENQA_PREFIX)]
    if not tasks:
        return
    location = flenqa.data_location(metadata)
    if location or _offline():
        # reads (and caches) the file or the hub cache: the run reuses it
        flenqa.records(location)


def _check_kv(leaves: list[str], metadata: dict[str, Any]) -> None:
    tasks = [t for t in leaves if t.startswith(KV_PREFIX)]
    if not tasks:
        return
    tokenizer = metadata.get("tokenizer") or metadata.get("pretrained")
    if not tokenizer:
        raise NeedlesError(
            f"{', '.join(tasks)} size their prompts with the evaluated model's tokenizer: pass "
            '--model_args pretrained=PATH or --metadata \'{"tokenizer": "PATH"}\''
        )
    check_model_path(str(tokenizer), "tokenizer")


def kv_limit_gaps(
    leaves: Sequence[str], metadata: dict[str, Any], limit: float | str | None
) -> list[str]:
    """One line per KV task whose requested lengths or depth buckets ``--limit`` leaves without
    documents (lm-eval takes the first documents, which go length by length, bucket by bucket;
    the empty ones report -1 and the headline ``acc`` comes from the first cells only)."""
    from artificial_needles.eval.kv_docs import depth_starts
    from artificial_needles.eval.metadata import EvalMetadata

    tasks = [t for t in leaves if t.startswith(KV_PREFIX)]
    if not tasks or limit is None:
        return []
    limit = float(limit)
    known = {k: v for k, v in metadata.items() if k in EvalMetadata.model_fields}
    meta = EvalMetadata.model_validate(known)
    lengths = list(dict.fromkeys(meta.max_seq_lengths))
    starts = depth_starts(meta.depth_buckets)
    per_length = len(starts) * meta.num_samples
    total = len(lengths) * per_length
    taken = math.ceil(total * limit) if limit < 1.0 else int(limit)  # as lm-eval counts it
    if taken >= total:
        return []
    empty = [str(n) for i, n in enumerate(lengths) if i * per_length >= taken]
    if taken < per_length:
        empty_depths = [f"{p}%" for b, p in enumerate(starts) if b * meta.num_samples >= taken]
    else:
        empty_depths = []
    if not empty and not empty_depths:
        return []
    parts = [
        f"{what}{'s' if len(names) > 1 else ''} {', '.join(names)}"
        for what, names in (("length", empty), ("depth bucket", empty_depths))
        if names
    ]
    fewer = max(1, taken // (len(lengths) * len(starts)))
    return [
        f"{task}: --limit {limit:g} evaluates the first {taken} of {total} documents (they go "
        f"length by length, bucket by bucket): {' and '.join(parts)} get no documents and "
        "report -1, and acc comes from the first cells only; to evaluate fewer documents in "
        f"every cell, drop --limit and lower num_samples (e.g. --metadata "
        f"'{{\"num_samples\": {fewer}}}')"
        for task in tasks
    ]


def check_model_path(name: str, what: str = "model") -> None:
    """A local path that does not exist, or (offline) a hub name not in the cache: NeedlesError."""
    p = Path(name).expanduser()
    if p.exists():
        return
    if is_missing_path(name):
        raise NeedlesError(f"{what} path {p} does not exist")
    if _offline() and "/" in name:
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:
            return
        if not isinstance(try_to_load_from_cache(name, "config.json"), str) and not isinstance(
            try_to_load_from_cache(name, "tokenizer_config.json"), str
        ):
            raise NeedlesError(
                f"{what} {name!r} is neither a local path nor in the Hugging Face cache "
                "(offline mode is on)"
            )


def check_tasks(
    task_names: Sequence[str],
    metadata: dict[str, Any] | None = None,
    *,
    model_args: dict[str, Any] | None = None,
    include_path: str | Sequence[str] | None = None,
    limit: float | None = None,
) -> None:
    """Raise NeedlesError (one clear line) unless every task of ``task_names`` can run: names
    known to lm-eval, metadata keys valid, MDQA/FLenQA data resolvable and readable, a tokenizer
    for the KV tasks (``metadata["tokenizer"]`` or ``model_args["pretrained"]``). Warns (log)
    when ``limit`` (lm-eval's ``--limit``) leaves KV lengths or depth buckets without documents.

    Loads no model; reads (and caches) the MDQA/FLenQA data files that the run will use.
    """
    from artificial_needles.eval.metadata import parse_metadata

    if not task_names:
        raise NeedlesError("no tasks given; e.g. --tasks kv_retrieval_simple")
    meta = parse_metadata(metadata or {})
    manager = task_manager(include_path)
    unknown_tasks(task_names, manager)
    leaves = our_leaf_tasks(task_names, manager)
    merged = {**(model_args or {}), **meta}
    _check_mdqa(leaves, merged)
    _check_flenqa(leaves, merged)
    _check_kv(leaves, merged)
    for line in kv_limit_gaps(leaves, meta, limit):
        log.warning("%s", line)
