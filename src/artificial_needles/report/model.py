"""The report's building blocks: tables, figures, sections, and the runs grouped by label.

Numbers in tables are shown in points (lm-eval's 0-1 scale times 100) with two decimals; the JSON
keeps lm-eval's scale. A cell of a label with several runs reads ``mean ± sd``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from artificial_needles.report.load import Run
from artificial_needles.report.stats import Agg, Delta, aggregate, delta

DROP_MARK = "▼"


def points(value: float | None) -> str:
    """``0.4763`` -> ``"47.63"``; empty for None."""
    if value is None:
        return ""
    text = f"{value * 100:.2f}"
    return "0.00" if text == "-0.00" else text


def cell(agg: Agg | None) -> str:
    """A table cell: the mean in points, ``± sd`` when several runs."""
    if agg is None:
        return ""
    return points(agg.mean) + (f" ± {points(agg.sd)}" if agg.sd is not None else "")


def delta_cell(d: Delta | None) -> str:
    """A signed delta in points, marked when it is a drop beyond twice the combined stderr."""
    if d is None:
        return ""
    text = f"{d.delta * 100:+.2f}"
    text = "+0.00" if text == "-0.00" else text
    return f"{text} {DROP_MARK}" if d.drop else text


@dataclass
class Table:
    """A titled table of strings; ``headline`` tables are also printed on the terminal."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    headline: bool = False
    #: one letter per column, ``l`` (text, left-aligned) or ``r`` (numbers, right-aligned);
    #: empty: the first column is text, the others numbers
    align: str = ""

    def aligns(self) -> list[str]:
        """``"l"`` or ``"r"`` for each column."""
        given = list(self.align)
        return [given[i] if i < len(given) else ("l" if i == 0 else "r")
                for i in range(len(self.columns))]  # fmt: skip


@dataclass
class Figure:
    """A figure drawn on demand (matplotlib, Agg) into PNG bytes, cached."""

    name: str
    title: str
    draw: Callable[[], bytes]
    _png: bytes | None = None

    @property
    def png(self) -> bytes:
        if self._png is None:
            self._png = self.draw()
        return self._png


@dataclass
class Section:
    """One part of the report: its tables, figures, notes and JSON data."""

    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """The runs grouped by label, in label order, with the baseline label."""

    labels: list[str]
    baseline: str
    runs: dict[str, list[Run]]

    def agg(self, label: str, task: str, key: str, bucket: bool = False) -> Agg | None:
        """The metric over the label's runs; with ``bucket``, -1 (no docs) counts as absent."""

        def one(run: Run) -> tuple[float, float | None] | None:
            v = run.value(task, key)
            if v is None or (bucket and v < 0):
                return None
            return v, run.stderr(task, key)

        return self.agg_fn(label, one)

    def agg_fn(
        self, label: str, fn: Callable[[Run], tuple[float, float | None] | None]
    ) -> Agg | None:
        """Aggregate ``fn(run)`` (value, stderr) over the label's runs, skipping None."""
        got = [x for x in map(fn, self.runs[label]) if x is not None]
        return aggregate([v for v, _ in got], [e for _, e in got])

    def tasks(self) -> set[str]:
        """Every task in any run."""
        return {t for runs in self.runs.values() for r in runs for t in r.values}

    def compare(self, aggs: dict[str, Agg | None]) -> dict[str, Delta | None]:
        """Delta of each non-baseline label against the baseline."""
        base = aggs.get(self.baseline)
        return {lab: delta(aggs.get(lab), base) for lab in self.labels if lab != self.baseline}

    def row(self, name: str | list[str], aggs: dict[str, Agg | None]) -> list[str]:
        """``name`` (one or more cells), one cell per label, then one delta per other label."""
        deltas = self.compare(aggs)
        names = [name] if isinstance(name, str) else list(name)
        return [*names, *(cell(aggs.get(lab)) for lab in self.labels)] + [
            delta_cell(deltas[lab]) for lab in deltas
        ]

    def columns(self, first: str | list[str]) -> list[str]:
        """Column titles matching :meth:`row`."""
        firsts = [first] if isinstance(first, str) else list(first)
        return [*firsts, *self.labels] + [f"Δ {lab}" for lab in self.labels if lab != self.baseline]

    def entry(self, aggs: dict[str, Agg | None]) -> dict[str, Any]:
        """JSON of one row: per label the aggregate, per non-baseline label the delta."""
        return {
            "labels": {lab: (a.to_json() if a else None) for lab, a in aggs.items()},
            "deltas": {lab: (d.to_json() if d else None) for lab, d in self.compare(aggs).items()},
        }

    def aggs(self, task: str, key: str, bucket: bool = False) -> dict[str, Agg | None]:
        """:meth:`agg` for every label."""
        return {lab: self.agg(lab, task, key, bucket) for lab in self.labels}


def natural_key(name: str) -> list[Any]:
    """Sort key that orders ``pos5`` before ``pos10``."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]
