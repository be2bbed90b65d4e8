"""Render a report to Markdown, self-contained HTML (images inline) and terminal text."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any

from artificial_needles.report.model import Table

#: a :class:`artificial_needles.report.report.Report` (not imported: report.py imports this module)
Report = Any


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def md_table(table: Table) -> str:
    """A GitHub-flavoured Markdown table under a bold title."""
    lines = [f"**{table.title}**", ""]
    lines.append("| " + " | ".join(_md_escape(c) for c in table.columns) + " |")
    lines.append("|" + "|".join("---" if a == "l" else "---:" for a in table.aligns()) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_md_escape(c) for c in row) + " |")
    return "\n".join(lines)


def to_markdown(report: Report) -> str:
    """The report as Markdown; figures are linked as sibling PNG files."""
    out = [f"# {report.title}", ""]
    out += [f"Labels: {', '.join(report.labels)}; baseline: {report.baseline}.", ""]
    for w in report.warnings:
        out += [f"> **Warning:** {w}", ""]
    if report.absent:
        out += [f"Not in these runs: {', '.join(report.absent)}.", ""]
    for sec in report.sections:
        out += [f"## {sec.title}", ""]
        for note in sec.notes:
            out += [note, ""]
        for table in sec.tables:
            out += [md_table(table), ""]
        for fig in sec.figures:
            out += [f"![{fig.title}]({fig.name})", ""]
    out += ["## Runs", ""]
    for table in report.header:
        out += [md_table(table), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _html_table(table: Table) -> str:
    e = html.escape
    cls = [' class="l"' if a == "l" else "" for a in table.aligns()]
    head = "".join(f"<th{k}>{e(c)}</th>" for k, c in zip(cls, table.columns, strict=True))
    body = "".join(
        "<tr>" + "".join(f"<td{k}>{e(c)}</td>" for k, c in zip(cls, row, strict=True)) + "</tr>"
        for row in table.rows
    )
    return (
        f"<table><caption>{e(table.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


_CSS = (
    "body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}caption{font-weight:bold;text-align:left}"
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
    "td.l,th.l{text-align:left}"
    ".warn{background:#fff3cd;border-left:4px solid #e0a800;padding:.5em 1em}"
    "img{max-width:100%}"
)


def to_html(report: Report) -> str:
    """One self-contained HTML page: inline CSS, figures as base64 data URIs."""
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(report.title)}</h1>",
        f"<p>Labels: {e(', '.join(report.labels))}; baseline: {e(report.baseline)}.</p>",
    ]
    out += [f'<p class="warn"><strong>Warning:</strong> {e(w)}</p>' for w in report.warnings]
    if report.absent:
        out.append(f"<p>Not in these runs: {e(', '.join(report.absent))}.</p>")
    for sec in report.sections:
        out.append(f"<h2>{e(sec.title)}</h2>")
        out += [f"<p>{e(n)}</p>" for n in sec.notes]
        out += [_html_table(t) for t in sec.tables]
        for fig in sec.figures:
            data = base64.b64encode(fig.png).decode("ascii")
            out.append(
                f'<figure><img alt="{e(fig.title)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{e(fig.title)}</figcaption></figure>"
            )
    out.append("<h2>Runs</h2>")
    out += [_html_table(t) for t in report.header]
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def text_table(table: Table) -> str:
    """Plain aligned columns for a terminal."""
    rows: Sequence[Sequence[str]] = [table.columns, *table.rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(table.columns))]
    lines = [table.title]
    aligns = table.aligns()
    for k, row in enumerate(rows):
        cells = [
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(row, widths, aligns, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def to_text(report: Report) -> str:
    """The headline tables and the warnings, for the terminal."""
    out = []
    for w in report.warnings:
        out.append(f"WARNING: {w}")
    if report.absent:
        out.append(f"Not in these runs: {', '.join(report.absent)}.")
    for sec in report.sections:
        for table in sec.tables:
            if table.headline:
                out += ["", f"{sec.title}: {text_table(table)}"]
    return "\n".join(out).lstrip("\n") + "\n"
