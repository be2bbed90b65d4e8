"""The KV retrieval section: accuracy by prompt length x gold depth (a heatmap per label).

Metric names are parsed generically: ``acc_<L>`` (length L tokens), ``acc_depth_<P>`` (depth
bucket starting at P percent) and, when a task reports them, joint ``acc_<L>_depth_<P>``. A value
of -1 means no documents in that bucket and is shown empty, never as 0. The length x depth grid of
a run comes from the joint metrics, else from lm-eval's ``samples_*.jsonl`` (``--log_samples``:
each doc carries ``max_length`` and ``depth``), else, for a run of a single length, from its
per-depth metrics.

The multi-query and multi-hop tasks (``kv_retrieval_multiquery``, ``kv_retrieval_multihop``) get
the same tables and heatmap, their own summary metrics (``query_acc``, ``chain_acc``) and a table
of their per-step metrics (``query_acc_<i>``: the i-th asked key; ``hop_acc_<i>``: lookup i).
Their group (``task_names.KV_MULTI_GROUP``) is not a task and gets no table.
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict

from artificial_needles.eval.task_names import KV_MULTI_GROUP, KV_TASK
from artificial_needles.report.load import Run
from artificial_needles.report.model import Context, Figure, Section, Table
from artificial_needles.report.plots import Grid, heatmap_figure
from artificial_needles.report.stats import Agg, aggregate

LENGTH = re.compile(r"^acc_(\d+),none$")
DEPTH = re.compile(r"^acc_depth_(\d+),none$")
JOINT = re.compile(r"^acc_(\d+)_depth_(\d+),none$")
STEP = re.compile(r"^(query|hop)_acc_(\d+),none$")
#: Summary metrics, those that any run reports (multi-query: query_acc; multi-hop: chain_acc).
SUMMARY = ("acc", "value_acc", "dict_acc", "key_acc", "query_acc", "chain_acc")
STEP_NAMES = {"query": "asked key", "hop": "lookup"}

Cells = dict[tuple[int, int], float]


def _from_samples(run: Run, task: str) -> Cells:
    sums: dict[tuple[int, int], list[float]] = defaultdict(list)
    with open(run.samples[task], encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            doc = rec.get("doc") or {}
            if "max_length" in doc and "depth" in doc and "acc" in rec:
                sums[(int(doc["max_length"]), int(doc["depth"]))].append(float(rec["acc"]))
    return {k: sum(v) / len(v) for k, v in sums.items()}


def run_cells(run: Run, task: str) -> Cells:
    """The length x depth accuracy cells of one run (empty when it cannot be known)."""
    vals = run.values.get(task, {})
    joint = {(int(m[1]), int(m[2])): v for k, v in vals.items() if (m := JOINT.match(k))}
    if joint:
        return {k: v for k, v in joint.items() if v >= 0}
    if task in run.samples:
        return _from_samples(run, task)
    lengths = [int(m[1]) for k, v in vals.items() if (m := LENGTH.match(k)) and v >= 0]
    if len(lengths) == 1:
        return {
            (lengths[0], int(m[1])): v for k, v in vals.items() if (m := DEPTH.match(k)) and v >= 0
        }
    return {}


def _buckets(ctx: Context, task: str, pattern: re.Pattern) -> list[int]:
    return sorted(
        {
            int(m[1])
            for runs in ctx.runs.values()
            for r in runs
            for k, v in r.values.get(task, {}).items()
            if (m := pattern.match(k)) and v >= 0
        }
    )


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _gridless(ctx: Context, task: str) -> list[str]:
    """A note naming the runs of ``task`` that give no length x depth cells while others do
    (left out of the heatmap), or none."""
    runs = [(lab, r) for lab in ctx.labels for r in ctx.runs[lab] if task in r.values]
    cells = [(lab, r, bool(run_cells(r, task))) for lab, r in runs]
    missing = [f"{lab} ({r.source})" for lab, r, has in cells if not has]
    if not missing or len(missing) == len(cells):
        return []
    return [
        f"{task}: left out of the heatmap, no length x depth cells in {', '.join(missing)} "
        "(several lengths, no samples_*.jsonl; run lm_eval with --log_samples)"
    ]


def _limit_note(ctx: Context) -> list[str]:
    """Why a run with ``--limit`` has empty lengths and buckets (none without such a run)."""
    limited = sorted({_num(r.limit) for rs in ctx.runs.values() for r in rs if r.limit})
    if not limited:
        return []
    return [
        f"Runs with --limit ({', '.join(limited)}) evaluate only the first documents, which "
        "lie in the first length and depth buckets (documents go length by length, bucket "
        "by bucket): the other lengths and buckets stay empty. To evaluate fewer documents in "
        "every bucket, lower the task's num_samples instead."
    ]


def _shape(run: Run, task: str, pattern: re.Pattern) -> str:
    """The buckets a run of ``task`` was evaluated with (every bucket metric, -1 included)."""
    found = sorted({int(m[1]) for k in run.values.get(task, {}) if (m := pattern.match(k))})
    return "/".join(map(str, found))


def kv_warnings(ctx: Context) -> list[str]:
    """Loud warnings: runs of one KV task evaluated with different depth buckets or lengths,
    whose rows the report would otherwise compare as if they measured the same thing."""
    out = []
    for task in sorted(t for t in ctx.tasks() if KV_TASK.match(t)):
        for pattern, what, fix in (
            (DEPTH, "depth buckets", "depth_buckets"),
            (LENGTH, "lengths", "max_seq_lengths"),
        ):
            seen: dict[str, list[str]] = {}
            for lab in ctx.labels:
                for r in ctx.runs[lab]:
                    if task in r.values and (shape := _shape(r, task, pattern)):
                        seen.setdefault(shape, []).append(f"{lab} ({r.source})")
            if len(seen) > 1:
                parts = "; ".join(f"{shape} in {', '.join(runs)}" for shape, runs in seen.items())
                out.append(
                    f"{task}: runs were evaluated with different {what} ({parts}); rows of the "
                    f"same name compare different things (e.g. a 0-20% bucket against a 0-33% "
                    f"one) and so do the summaries: evaluate every run with the same {fix}"
                )
    return out


def _grid(ctx: Context, task: str, label: str) -> dict[tuple[int, int], Agg]:
    per_run = [run_cells(r, task) for r in ctx.runs[label] if task in r.values]
    keys = sorted({k for cells in per_run for k in cells})
    out = {}
    for k in keys:
        agg = aggregate([cells[k] for cells in per_run if k in cells])
        if agg is not None:
            out[k] = agg
    return out


def _heatmap(task: str, grids: dict[str, dict[tuple[int, int], Agg]]) -> Figure | None:
    """The length x depth heatmap of ``task`` (a panel per label that has a grid), or None."""
    drawn = [(lab, g) for lab, g in grids.items() if g]
    if not drawn:
        return None
    g_len = sorted({n for _, g in drawn for n, _ in g})
    g_dep = sorted({p for _, g in drawn for _, p in g})
    panels = [
        Grid(
            lab,
            [str(n) for n in g_len],
            [str(p) for p in g_dep],
            [[g[(n, p)].mean * 100 if (n, p) in g else None for p in g_dep] for n in g_len],
            "gold depth (%)",
            "length (tokens)",
        )
        for lab, g in drawn
    ]
    title = f"{task}: accuracy by length x depth"
    return Figure(f"{task}.png", title, functools.partial(heatmap_figure, title, panels))


def _step_table(ctx: Context, task: str, have: set[str]) -> tuple[Table, dict] | None:
    """The per-query / per-hop table of a task and its JSON, or None when it has no steps."""
    found = sorted((int(m[2]), m[1]) for k in have if (m := STEP.match(k)))
    if not found:
        return None
    kind = found[0][1]
    aggs = {i: ctx.aggs(task, f"{kind}_acc_{i},none") for i, _ in found}
    rows = [ctx.row(str(i), a) for i, a in aggs.items()]
    table = Table(f"{task}: acc by {STEP_NAMES[kind]}", ctx.columns(STEP_NAMES[kind]), rows)
    return table, {str(i): ctx.entry(a) for i, a in aggs.items()}


def kv_section(ctx: Context) -> Section | None:
    """Summary, by-length and by-depth tables and the length x depth heatmap of each KV task."""
    tasks = sorted(t for t in ctx.tasks() if KV_TASK.match(t) and t != KV_MULTI_GROUP)
    if not tasks:
        return None
    sec = Section("kv", "KV retrieval: accuracy by length and depth")
    sec.notes.append(
        "acc: value and dictionary both right; value_acc, dict_acc (key_acc): each alone. "
        "Multi-query: acc = every asked key right, query_acc = share of keys right; multi-hop: "
        "acc = the value at the end of the chain, chain_acc = every lookup right. In points. "
        "Depth: start of the gold dictionary's bucket in percent of the list. Empty cells: no "
        "documents in that bucket."
    )
    sec.notes += _limit_note(ctx)
    sec.data = {"tasks": {}}
    for task in tasks:
        have = {k for rs in ctx.runs.values() for r in rs for k in r.values.get(task, {})}
        summary = {m: ctx.aggs(task, f"{m},none") for m in SUMMARY if f"{m},none" in have}
        lengths = _buckets(ctx, task, LENGTH)
        depths = _buckets(ctx, task, DEPTH)
        by_len = {n: ctx.aggs(task, f"acc_{n},none", bucket=True) for n in lengths}
        by_depth = {p: ctx.aggs(task, f"acc_depth_{p},none", bucket=True) for p in depths}
        sec.tables.append(
            Table(
                f"{task}",
                ctx.columns("metric"),
                [ctx.row(m, a) for m, a in summary.items()],
                headline=True,
            )
        )
        steps = _step_table(ctx, task, have)
        if steps is not None:
            sec.tables.append(steps[0])
        if lengths:
            rows = [ctx.row(str(n), a) for n, a in by_len.items()]
            sec.tables.append(Table(f"{task}: acc by length", ctx.columns("length"), rows))
        if depths:
            rows = [ctx.row(f"{p}%", a) for p, a in by_depth.items()]
            sec.tables.append(Table(f"{task}: acc by depth", ctx.columns("depth"), rows))
        grids = {lab: _grid(ctx, task, lab) for lab in ctx.labels}
        sec.data["tasks"][task] = {
            "summary": {m: ctx.entry(a) for m, a in summary.items()},
            "by_length": {str(n): ctx.entry(a) for n, a in by_len.items()},
            "by_depth": {str(p): ctx.entry(a) for p, a in by_depth.items()},
            **({} if steps is None else {"by_step": steps[1]}),
            "grid": {
                lab: [{"length": n, "depth": p, **a.to_json()} for (n, p), a in sorted(g.items())]
                for lab, g in grids.items()
            },
        }
        sec.notes += _gridless(ctx, task)
        figure = _heatmap(task, grids)
        if figure is not None:
            sec.figures.append(figure)
        else:
            sec.notes.append(
                f"{task}: no length x depth grid (several lengths without joint metrics or "
                "samples; run lm_eval with --log_samples for the heatmap)"
            )
    return sec
