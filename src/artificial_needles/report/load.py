"""Find and read lm-eval results files: one :class:`Run` per evaluated model in each RUN path.

A RUN is an lm-eval ``--output_path`` directory (searched recursively for ``results_*.json``), a
single results JSON file, or an Axolotl ``output_dir`` (only its ``needles_eval/`` folder is
searched). Within one RUN, the files of one model (same folder, model name and run metadata) are
merged: each task comes from the newest file that has it (``date``, then file name). With
``every_file=True`` each file is its own run.

Results files are lm-eval 0.4's own schema (``results``, ``versions``, ``n-shot``, ``n-samples``,
``config``, ``model_name``, ``date``, ``lm_eval_version``), plus our optional top-level
``artificial_needles`` object (``label``, ``seed``, ``stage``, ``apply_chat_template``,
``version``) written by ``artificial-needles eval`` and the Axolotl plugin.

Metric keys keep lm-eval's ``"<metric>,<filter>"`` form; ``"<metric>_stderr,<filter>"`` goes to
:attr:`Run.stderrs` under the metric's own key (``"N/A"`` becomes ``None``).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.eval.task_names import (
    ALL_GROUP,
    GENERAL_GROUP,
    GENERAL_TASKS,
    KV_GROUP,
    is_family_task,
)

RUN_HINT = (
    "pass an lm-eval --output_path directory, a results_*.json file, or an Axolotl output_dir "
    "(its needles_eval/ folder)"
)


def is_ours(task: str) -> bool:
    """Whether the report has a section for ``task``."""
    return is_family_task(task) or task in (KV_GROUP, GENERAL_GROUP, ALL_GROUP, *GENERAL_TASKS)


@dataclass
class Run:
    """The merged results of one evaluated model (one seed) from one RUN path."""

    source: str
    files: tuple[str, ...]
    label: str
    model: str
    seed: int | None
    stage: str | None
    date: float | None
    lm_eval_version: str | None
    limit: float | None
    values: dict[str, dict[str, float]] = field(default_factory=dict)
    stderrs: dict[str, dict[str, float | None]] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    n_shot: dict[str, Any] = field(default_factory=dict)
    n_samples: dict[str, int] = field(default_factory=dict)
    #: task -> samples_*.jsonl written beside the results (lm-eval --log_samples), when present
    samples: dict[str, Path] = field(default_factory=dict)

    def value(self, task: str, key: str) -> float | None:
        """The metric value, or None when absent."""
        return self.values.get(task, {}).get(key)

    def stderr(self, task: str, key: str) -> float | None:
        """lm-eval's standard error of the metric, or None when absent or "N/A"."""
        return self.stderrs.get(task, {}).get(key)


def discover(path: str | Path) -> list[Path]:
    """The results files of one RUN path, sorted; NeedlesError when there are none."""
    p = Path(path)
    if not p.exists():
        raise NeedlesError(f"{p}: no such file or directory; {RUN_HINT}")
    if p.is_file():
        return [p]
    root = p / "needles_eval" if (p / "needles_eval").is_dir() else p
    files = sorted(f for f in root.rglob("results_*.json") if f.is_file())
    if not files:
        raise NeedlesError(
            f"{root}: no results_*.json found (searched recursively); {RUN_HINT}, "
            "after lm_eval has finished"
        )
    return files


def read_results(path: Path) -> dict[str, Any]:
    """One results JSON, checked to be lm-eval's schema; NeedlesError naming the fault."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NeedlesError(f"{path}: cannot read ({exc}); check the file's permissions") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NeedlesError(
            f"{path}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg}); the "
            "file is truncated or not lm-eval output: re-run the evaluation or remove it"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise NeedlesError(
            f'{path}: no "results" object; not an lm-eval results file: remove it or '
            "pass the lm-eval output directory instead"
        )
    return data


def _model_name(data: dict[str, Any]) -> str:
    if data.get("model_name"):
        return str(data["model_name"])
    config = data.get("config") or {}
    args = config.get("model_args")
    if isinstance(args, dict) and args.get("pretrained"):
        return str(args["pretrained"])
    if isinstance(args, str):
        m = re.search(r"(?:^|,)\s*(?:pretrained|model|path)=([^,]+)", args)
        if m:
            return m.group(1)
    return str(config.get("model") or "unknown model")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _metrics(task_results: dict[str, Any]) -> tuple[dict[str, float], dict[str, float | None]]:
    values: dict[str, float] = {}
    stderrs: dict[str, float | None] = {}
    for key, raw in task_results.items():
        name, sep, filt = key.partition(",")
        if not sep:
            continue  # "alias" and other labels
        if name.endswith("_stderr"):
            stderrs[f"{name[: -len('_stderr')]},{filt}"] = _number(raw)
        elif (num := _number(raw)) is not None:
            values[key] = num
    return values, stderrs


def _samples(path: Path, tasks: list[str]) -> dict[str, Path]:
    stamp = path.name[len("results_") : -len(".json")]
    found = {}
    for task in tasks:
        candidate = path.with_name(f"samples_{task}_{stamp}.jsonl")
        if candidate.is_file():
            found[task] = candidate
    return found


def _run_key(path: Path, data: dict[str, Any]) -> tuple:
    """Files of one run share a key.

    Our plugin and ``artificial-needles eval`` write one lm-eval folder per task and record the
    run in every file, so the record identifies the run; a plain lm-eval run is its folder.
    """
    meta = data.get("artificial_needles") or {}
    where = "" if meta else str(path.parent)
    return (where, _model_name(data), meta.get("label"), meta.get("seed"), meta.get("stage"))


def _merge(source: str, files: list[tuple[Path, dict[str, Any]]], label: str | None) -> Run:
    """Merge the files of one model, newest last so that its tasks win."""
    files = sorted(files, key=lambda f: (_number(f[1].get("date")) or 0.0, f[0].name))
    newest = files[-1][1]
    meta = newest.get("artificial_needles") or {}
    model = _model_name(newest)
    stage = meta.get("stage")
    # only our run record names a training seed (lm-eval's random_seed is not one)
    seed = meta.get("seed")
    if label is None:
        label = meta.get("label") or (f"{model} [{stage}]" if stage else model)
    run = Run(
        source=source,
        files=tuple(str(p) for p, _ in files),
        label=str(label),
        model=model,
        seed=seed if isinstance(seed, int) else None,
        stage=stage,
        date=_number(newest.get("date")),
        lm_eval_version=newest.get("lm_eval_version"),
        limit=_number((newest.get("config") or {}).get("limit")),
    )
    for path, data in files:
        limit = _number((data.get("config") or {}).get("limit"))
        if limit is not None:
            run.limit = limit
        # groups are in "results" too in lm-eval 0.4; "groups" alone in some older files
        rows = {**(data.get("groups") or {}), **data["results"]}
        tasks = [t for t, r in rows.items() if isinstance(r, dict)]
        for task in tasks:
            run.values[task], run.stderrs[task] = _metrics(rows[task])
            run.samples.pop(task, None)
            for table, target in (("versions", run.versions), ("n-shot", run.n_shot)):
                if task in (data.get(table) or {}):
                    target[task] = data[table][task]
            n = (data.get("n-samples") or {}).get(task) or {}
            if isinstance(n.get("effective"), int):
                run.n_samples[task] = n["effective"]
        run.samples.update(_samples(path, tasks))
    return run


def load_runs(path: str | Path, label: str | None = None, every_file: bool = False) -> list[Run]:
    """The runs found under one RUN path, labelled ``label`` when given."""
    files = discover(path)
    groups: dict[tuple, list[tuple[Path, dict[str, Any]]]] = defaultdict(list)
    for f in files:
        data = read_results(f)
        key = (str(f),) if every_file else _run_key(f, data)
        groups[key].append((f, data))
    # base-model runs first (an Axolotl output_dir's needles_eval/base is the baseline)
    order = sorted(groups, key=lambda k: (k[-1] != "base" if len(k) == 5 else True, repr(k)))
    runs = [_merge(str(path), groups[k], label) for k in order]
    found = sorted({t for r in runs for t in r.values})
    if not any(is_ours(t) for t in found):
        shown = ", ".join(found[:8]) + (", ..." if len(found) > 8 else "")
        raise NeedlesError(
            f"{path}: none of the report's tasks in its results (found: {shown or 'nothing'}); "
            "evaluate mdqa_*, flenqa*, kv_retrieval* or needles_general with "
            '--include_path "$(artificial-needles tasks-path)"'
        )
    return runs
