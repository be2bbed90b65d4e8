"""The report's header: runs, models, versions, dates, samples per task, and loud warnings.

Warnings: a run used ``--limit``; a task's version or ``num_fewshot`` differs between runs; a
label lacks tasks that another label has.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from artificial_needles.report.load import is_ours
from artificial_needles.report.model import Context, Table, natural_key


def fmt_date(ts: float | None) -> str:
    """A results file's ``date`` (Unix time) as UTC ``YYYY-MM-DD HH:MM``."""
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def header_tables(ctx: Context) -> tuple[list[Table], dict[str, Any]]:
    """The runs table and the tasks table (version, samples per label), with their JSON."""
    runs_rows, runs_json = [], []
    for lab in ctx.labels:
        for r in ctx.runs[lab]:
            runs_rows.append(
                [lab, r.model, _num(r.seed), r.stage or "", fmt_date(r.date),
                 r.lm_eval_version or "", _num(r.limit), r.source]
            )  # fmt: skip
            runs_json.append(
                {
                    "label": lab,
                    "model": r.model,
                    "seed": r.seed,
                    "stage": r.stage,
                    "date": r.date,
                    "lm_eval_version": r.lm_eval_version,
                    "limit": r.limit,
                    "source": r.source,
                    "files": list(r.files),
                }
            )
    runs_table = Table(
        "Runs",
        ["label", "model", "seed", "stage", "date (UTC)", "lm-eval", "limit", "source"],
        runs_rows,
        align="llrlllrl",
    )
    tasks = sorted((t for t in ctx.tasks() if is_ours(t)), key=natural_key)
    task_rows, task_json = [], {}
    for t in tasks:
        versions = sorted({str(r.versions[t]) for rs in ctx.runs.values() for r in rs
                           if t in r.versions})  # fmt: skip
        counts = {}
        for lab in ctx.labels:
            ns = sorted({r.n_samples[t] for r in ctx.runs[lab] if t in r.n_samples})
            counts[lab] = ns
        task_rows.append(
            [t, "/".join(versions), *("/".join(map(str, counts[lab])) for lab in ctx.labels)]
        )
        task_json[t] = {"versions": versions, "samples": counts}
    tasks_table = Table("Tasks: version and samples per label", ["task", "version", *ctx.labels],
                        task_rows, align="ll")  # fmt: skip
    return [runs_table, tasks_table], {"runs": runs_json, "tasks": task_json}


def warnings(ctx: Context) -> list[str]:
    """Loud warnings, in a fixed order."""
    out = []
    for lab in ctx.labels:
        for r in ctx.runs[lab]:
            if r.limit is not None:
                out.append(
                    f"{lab} ({r.source}) ran with --limit {_num(r.limit)}: its scores come "
                    "from a subset of each task and are not comparable to full runs"
                )
    for table, what in (("versions", "version"), ("n_shot", "num_fewshot")):
        seen: dict[str, dict[str, set[str]]] = {}
        for lab in ctx.labels:
            for r in ctx.runs[lab]:
                for t, v in getattr(r, table).items():
                    if is_ours(t):
                        seen.setdefault(t, {}).setdefault(str(v), set()).add(lab)
        for t in sorted(seen, key=natural_key):
            if len(seen[t]) > 1:
                parts = "; ".join(
                    f"{v} in {', '.join(sorted(labs))}" for v, labs in sorted(seen[t].items())
                )
                out.append(f"{t}: {what} differs between runs ({parts})")
    have = {lab: {t for r in ctx.runs[lab] for t in r.values if is_ours(t)} for lab in ctx.labels}
    every = set().union(*have.values())
    for lab in ctx.labels:
        missing = sorted(every - have[lab], key=natural_key)
        if missing:
            shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more"
                                              if len(missing) > 10 else "")  # fmt: skip
            out.append(f"{lab} lacks tasks that other labels have: {shown}")
    return out
