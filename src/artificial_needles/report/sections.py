"""The MDQA and FLenQA sections: accuracy by gold position and by context length.

MDQA reads ``mdqa_<N>docs_pos<P>`` (metric ``best_subspan_em``) and ``mdqa_closedbook`` as the
reference line. FLenQA reads ``flenqa_<task>`` and ``flenqa_<task>_cot`` (``acc`` and the
per-length ``acc_ctx_<L>``; -1 = no docs of that length); "overall" is the group's own value
(``flenqa`` / ``flenqa_cot``) when it reports one, else the unweighted mean of the tasks of
that run.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict

from artificial_needles.eval.task_names import (
    COT_SUFFIX,
    FLENQA_PREFIX,
    FLENQA_SUBSETS,
    FLENQA_TASK,
    MDQA_CLOSEDBOOK,
    MDQA_PREFIX,
    MDQA_TASK,
)
from artificial_needles.report.load import Run
from artificial_needles.report.model import Context, Figure, Section, Table
from artificial_needles.report.plots import Panel, Series, line_figure
from artificial_needles.report.stats import Agg

MDQA_METRIC = "best_subspan_em,none"
CTX = re.compile(r"^acc_ctx_(\d+),none$")


def _series(ctx: Context, xs: list[int], aggs: list[dict[str, Agg | None]]) -> list[Series]:
    out = []
    for lab in ctx.labels:
        cells = [a.get(lab) for a in aggs]
        out.append(
            Series(
                label=lab,
                xs=[float(x) for x in xs],
                ys=[None if c is None else c.mean * 100 for c in cells],
                errs=[None if c is None or c.err is None else c.err * 100 for c in cells],
            )
        )
    return out


def mdqa_section(ctx: Context) -> Section | None:
    """Accuracy by gold position per document count, closed-book as reference."""
    tasks = ctx.tasks()
    found: dict[int, set[int]] = defaultdict(set)
    for t in tasks:
        if m := MDQA_TASK.match(t):
            found[int(m[1])].add(int(m[2]))
    if not found:
        return None
    sec = Section("mdqa", "MDQA: accuracy by gold document position")
    sec.notes.append(
        "Metric: best_subspan_em (a normalized gold answer occurs in the first line of the "
        "output), in points. Δ columns: label minus baseline; ▼ marks a drop larger than twice "
        "the combined standard error."
    )
    closed = ctx.aggs(MDQA_CLOSEDBOOK, MDQA_METRIC) if MDQA_CLOSEDBOOK in tasks else None
    sec.data = {
        "metric": "best_subspan_em",
        "closedbook": ctx.entry(closed) if closed else None,
        "documents": {},
    }
    for n in sorted(found):
        positions = sorted(found[n])
        aggs = [ctx.aggs(f"{MDQA_PREFIX}{n}docs_pos{p}", MDQA_METRIC) for p in positions]
        rows = [ctx.row(str(p), a) for p, a in zip(positions, aggs, strict=True)]
        if closed:
            rows.append(ctx.row("closed-book", closed))
        sec.tables.append(
            Table(f"{n} documents", ctx.columns("gold position"), rows, headline=True)
        )
        sec.data["documents"][str(n)] = {
            "positions": {str(p): ctx.entry(a) for p, a in zip(positions, aggs, strict=True)}
        }
        refs = [(lab, a.mean * 100) for lab, a in (closed or {}).items() if a is not None]
        panel = Panel(
            "", "gold document position", "accuracy (points)",
            _series(ctx, positions, aggs), refs, [float(p) for p in positions],
        )  # fmt: skip
        title = f"MDQA, {n} documents (dashed: closed-book)"
        draw = functools.partial(line_figure, title, [panel], ctx.labels)
        sec.figures.append(Figure(f"mdqa_{n}docs.png", title, draw))
    return sec


def _overall(group: str, subtasks: list[str], key: str):
    """Per run: the group's value for ``key``, else the mean of its tasks' values (no -1)."""

    def one(run: Run) -> tuple[float, float | None] | None:
        v = run.value(group, key)
        if v is not None and v >= 0:
            return v, run.stderr(group, key)
        vals = [run.value(t, key) for t in subtasks]
        vals = [v for v in vals if v is not None and v >= 0]
        return (sum(vals) / len(vals), None) if vals else None

    return one


def _ctx_lengths(ctx: Context, tasks: list[str]) -> list[int]:
    """The context lengths that any run of ``tasks`` measured (an ``acc_ctx_<L>`` >= 0)."""
    return sorted(
        {
            int(m[1])
            for runs in ctx.runs.values()
            for r in runs
            for t in tasks
            for k, v in r.values.get(t, {}).items()
            if (m := CTX.match(k)) and v >= 0
        }
    )


def flenqa_section(ctx: Context) -> Section | None:
    """Accuracy by context length per task and overall, without and with CoT."""
    modes: dict[bool, set[str]] = defaultdict(set)
    for t in ctx.tasks():
        if m := FLENQA_TASK.match(t):
            modes[bool(m[2])].add(m[1])
    if not modes:
        return None
    sec = Section("flenqa", "FLenQA: accuracy by context length")
    sec.notes.append(
        "Metric: True/False accuracy, in points; lengths are FLenQA's padded context sizes "
        "(tokens). Overall: the group's value, else the mean of the tasks."
    )
    sec.data = {"metric": "acc", "modes": {}}
    for cot in sorted(modes):
        order = list(FLENQA_SUBSETS)
        subs = sorted(modes[cot], key=lambda s: order.index(s) if s in order else len(order))
        suffix = COT_SUFFIX if cot else ""
        names = [f"{FLENQA_PREFIX}{s}{suffix}" for s in subs]
        lengths = _ctx_lengths(ctx, names)
        keys = [(str(n), f"acc_ctx_{n},none") for n in lengths] + [("all", "acc,none")]
        rows, panels, mode_data = [], [], {}
        targets = [(FLENQA_SUBSETS.get(s, s), [t]) for s, t in zip(subs, names, strict=True)]
        targets.append(("overall", names))
        group = f"flenqa{suffix}"
        for title, members in targets:
            by_key = {}
            for name, key in keys:
                if title == "overall":
                    aggs = {lab: ctx.agg_fn(lab, _overall(group, members, key))
                            for lab in ctx.labels}  # fmt: skip
                else:
                    aggs = ctx.aggs(members[0], key, bucket=True)
                by_key[name] = aggs
                rows.append(ctx.row([title, name], aggs))
            mode_data[title] = {name: ctx.entry(a) for name, a in by_key.items()}
            per_len = [by_key[str(n)] for n in lengths]
            panels.append(
                Panel(title, "context length (tokens)", "accuracy (points)",
                      _series(ctx, lengths, per_len), [], [float(n) for n in lengths], xlog=True)
            )  # fmt: skip
        mode = "with CoT" if cot else "without CoT"
        sec.tables.append(
            Table(f"FLenQA {mode}", ctx.columns(["task", "length"]), rows, headline=True, align="l")
        )
        sec.data["modes"]["cot" if cot else "no_cot"] = {
            "tasks": names,
            "lengths": lengths,
            "by_task": mode_data,
        }
        if lengths:
            draw = functools.partial(line_figure, f"FLenQA {mode}", panels, ctx.labels)
            sec.figures.append(Figure(f"flenqa{suffix}.png", f"FLenQA {mode}", draw))
    return sec
