"""The report's figures as PNG bytes: line plots with error bars and heatmaps.

matplotlib is used through ``matplotlib.figure.Figure`` with the Agg canvas only (no pyplot, no
global backend switch), under matplotlib's default style, and saved without the ``Software``
text chunk, so the same numbers give the same bytes. Values are in points (0-100).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

#: one colour per label, by label order (tab10)
COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


@dataclass
class Series:
    """One line: a label's values (None = no data) and error bar half-widths."""

    label: str
    xs: list[float]
    ys: list[float | None]
    errs: list[float | None]


@dataclass
class Panel:
    """One axes of a line figure; ``refs`` are horizontal reference lines (label, y)."""

    title: str
    xlabel: str
    ylabel: str
    series: list[Series]
    refs: list[tuple[str, float]] = field(default_factory=list)
    xticks: list[float] | None = None
    xticklabels: list[str] | None = None
    lines: bool = True  # False: markers with error bars only
    xlog: bool = False


@dataclass
class Grid:
    """One heatmap: ``values[i][j]`` for row i, column j (None = no data, drawn empty)."""

    title: str
    rows: list[str]
    cols: list[str]
    values: list[list[float | None]]
    xlabel: str = ""
    ylabel: str = ""


#: Room kept between the outermost text and the canvas edge, in inches.
_PAD = 0.1


def _fit_text(fig) -> None:
    """Widen / heighten ``fig`` until every text (titles, labels, ticks) lies on its canvas.

    Constrained layout places the axes but cannot shrink text: a title wider than a narrow
    figure (one heatmap panel of two buckets) would be cut off on both sides."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    for _ in range(5):
        canvas.draw()
        box = fig.get_tightbbox(canvas.get_renderer())
        width, height = fig.get_size_inches()
        if box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height:
            return
        # centred text (the title) overflows both sides: grow by twice the larger overflow
        need_w = width - 2 * min(box.x0, width - box.x1) + _PAD
        need_h = height - 2 * min(box.y0, height - box.y1) + _PAD
        fig.set_size_inches(round(max(width, need_w), 2), round(max(height, need_h), 2))


def _png(fig) -> bytes:
    _fit_text(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _figure(ncols: int, width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), dpi=100, layout="constrained")
    return fig, fig.subplots(1, ncols, squeeze=False)[0]


def line_figure(title: str, panels: Sequence[Panel], labels: Sequence[str]) -> bytes:
    """Panels side by side; a label keeps its colour (by position in ``labels``) everywhere."""
    from matplotlib import style

    color = {lab: COLORS[i % len(COLORS)] for i, lab in enumerate(labels)}
    with style.context("default"):
        fig, axes = _figure(len(panels), 4.6, 3.4)
        for ax, panel in zip(axes, panels, strict=False):
            for s in panel.series:
                pts = [
                    (x, y, e) for x, y, e in zip(s.xs, s.ys, s.errs, strict=True) if y is not None
                ]
                if not pts:
                    continue
                xs, ys, es = zip(*pts, strict=False)
                yerr = [0.0 if e is None else e for e in es]
                ax.errorbar(
                    xs, ys, yerr=yerr if any(yerr) else None, label=s.label,
                    color=color[s.label], marker="o", capsize=3, linewidth=1.5,
                    linestyle="-" if panel.lines else "none",
                )  # fmt: skip
            for lab, y in panel.refs:
                ax.axhline(y, color=color.get(lab, "#555555"), linestyle="--", linewidth=1)
            ax.set_title(panel.title)
            ax.set_xlabel(panel.xlabel)
            ax.set_ylabel(panel.ylabel)
            if panel.xlog:
                ax.set_xscale("log")
                ax.minorticks_off()
            if panel.xticks:
                labels = panel.xticklabels or [f"{x:g}" for x in panel.xticks]
                ax.set_xticks(panel.xticks, labels)
            ax.grid(alpha=0.3)
        handles, names = axes[0].get_legend_handles_labels()
        if handles:
            axes[0].legend(handles, names, fontsize="small")
        fig.suptitle(title)
        return _png(fig)


def heatmap_figure(title: str, grids: Sequence[Grid]) -> bytes:
    """One heatmap per grid side by side, 0-100 colour scale; empty cells stay blank."""
    import numpy as np
    from matplotlib import colormaps, style

    cmap = colormaps["viridis"].with_extremes(bad="white")
    with style.context("default"):
        width = max(3.2, 0.55 * max(len(g.cols) for g in grids) + 1.6)
        height = max(2.6, 0.4 * max(len(g.rows) for g in grids) + 1.6)
        fig, axes = _figure(len(grids), width, height)
        image = None
        for ax, g in zip(axes, grids, strict=False):
            raw = [[math.nan if v is None else v for v in row] for row in g.values]
            data = np.ma.masked_invalid(np.array(raw, dtype=float))
            image = ax.imshow(data, cmap=cmap, vmin=0, vmax=100, aspect="auto")
            ax.set_xticks(range(len(g.cols)), g.cols)
            ax.set_yticks(range(len(g.rows)), g.rows)
            ax.set_title(g.title, fontsize="medium")
            ax.set_xlabel(g.xlabel)
            ax.set_ylabel(g.ylabel)
            for i, row in enumerate(g.values):
                for j, v in enumerate(row):
                    if v is not None:
                        ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7,
                                color="white" if v < 60 else "black")  # fmt: skip
        if image is not None:
            fig.colorbar(image, ax=list(axes), shrink=0.8, label="accuracy (points)")
        fig.suptitle(title)
        return _png(fig)
