"""The General section (``needles_general``), shaped like the paper's Table 2.

Rows are labels, then one delta row per non-baseline label; columns are the benchmarks with
each one's main metric (the first key of :data:`MAIN_METRICS` that the runs report):
MMLU ``acc``, HellaSwag ``acc_norm``, GSM8K ``exact_match`` with the ``strict-match`` filter
(else ``flexible-extract``), TriviaQA and NQ-Open ``exact_match`` with ``remove_whitespace``.
A drop larger than twice the combined standard error is marked ▼.
"""

from __future__ import annotations

import functools

from artificial_needles.report.model import (
    DROP_MARK,
    Context,
    Figure,
    Section,
    Table,
    cell,
    delta_cell,
)
from artificial_needles.report.plots import Panel, Series, line_figure

#: Each general benchmark's main metrics, first preferred; the keys are
#: :data:`~artificial_needles.eval.task_names.GENERAL_TASKS` in order (a test keeps them equal).
MAIN_METRICS = {
    "mmlu": ("acc,none",),
    "hellaswag": ("acc_norm,none",),
    "gsm8k": ("exact_match,strict-match", "exact_match,flexible-extract"),
    "triviaqa": ("exact_match,remove_whitespace",),
    "nq_open": ("exact_match,remove_whitespace",),
}
NAMES = {
    "mmlu": "MMLU",
    "hellaswag": "HellaSwag",
    "gsm8k": "GSM8K",
    "triviaqa": "TriviaQA",
    "nq_open": "NQ-Open",
}


def _metric(ctx: Context, task: str) -> str | None:
    have = {k for runs in ctx.runs.values() for r in runs for k in r.values.get(task, {})}
    return next((k for k in MAIN_METRICS[task] if k in have), None)


def general_section(ctx: Context) -> Section | None:
    """Labels x benchmarks, with delta rows against the baseline."""
    present = [(t, m) for t in MAIN_METRICS if (m := _metric(ctx, t))]
    if not present:
        return None
    sec = Section("general", "General capabilities (needles_general)")
    metrics = ", ".join(f"{NAMES[t]} {m.replace(',', ' / ')}" for t, m in present)
    sec.notes.append(
        f"Main metrics: {metrics}; in points. Δ rows: label minus baseline "
        f"({ctx.baseline}); {DROP_MARK} marks a drop larger than twice the combined standard "
        "error (lm-eval's stderr for one run, sd/√n over seeds)."
    )
    aggs = {t: ctx.aggs(t, m) for t, m in present}
    columns = ["label", *(NAMES[t] for t, _ in present)]
    rows = [[lab, *(cell(aggs[t][lab]) for t, _ in present)] for lab in ctx.labels]
    deltas = {t: ctx.compare(aggs[t]) for t, _ in present}
    for lab in ctx.labels:
        if lab != ctx.baseline:
            rows.append([f"Δ {lab}", *(delta_cell(deltas[t][lab]) for t, _ in present)])
    sec.tables.append(Table("General benchmarks", columns, rows, headline=True))
    sec.data = {
        "baseline": ctx.baseline,
        "benchmarks": {t: {"metric": m, **ctx.entry(aggs[t])} for t, m in present},
    }
    others = [lab for lab in ctx.labels if lab != ctx.baseline]
    if others:
        xs = list(range(len(present)))
        series = [
            Series(
                lab,
                [float(x) for x in xs],
                [None if (d := deltas[t][lab]) is None else d.delta * 100 for t, _ in present],
                [
                    None if (d := deltas[t][lab]) is None or d.se is None else 2 * d.se * 100
                    for t, _ in present
                ],
            )  # fmt: skip
            for lab in others
        ]
        panel = Panel(
            "", "benchmark", "Δ vs baseline (points, ±2 SE)", series, [("", 0.0)],
            [float(x) for x in xs], [NAMES[t] for t, _ in present], lines=False,
        )  # fmt: skip
        title = f"General benchmarks: Δ vs {ctx.baseline}"
        draw = functools.partial(line_figure, title, [panel], ctx.labels)
        sec.figures.append(Figure("general.png", title, draw))
    return sec
