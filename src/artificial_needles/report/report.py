"""Build a :class:`Report` from RUN paths and save it to a directory atomically.

Labels come from ``labels`` (one per RUN path), else each run's ``artificial_needles.label``,
else its model name (with ``[stage]`` when the run has a stage). Runs sharing a label are
aggregated (mean, sd, n). Label order is the order of first appearance; the baseline defaults
to the first label. Saved files: ``report.md``, ``report.html``, ``report.json`` and one PNG per
figure; see docs/report.md for the JSON schema.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.io import umask_mode
from artificial_needles.report import render
from artificial_needles.report.model import Context, Section, Table

SCHEMA_VERSION = 1
SECTION_NAMES = {
    "mdqa": "MDQA",
    "flenqa": "FLenQA",
    "kv": "KV retrieval",
    "general": "General (needles_general)",
}


@dataclass
class Report:
    """A built report: sections in a fixed order, header tables, warnings."""

    title: str
    labels: list[str]
    baseline: str
    sections: list[Section]
    header: list[Table]
    header_data: dict[str, Any]
    warnings: list[str]
    absent: list[str]

    def to_markdown(self) -> str:
        """``report.md``: tables and links to the PNG files beside it."""
        return render.to_markdown(self)

    def to_html(self) -> str:
        """``report.html``: one self-contained page (figures inline)."""
        return render.to_html(self)

    def to_text(self) -> str:
        """The headline tables and warnings, for the terminal."""
        return render.to_text(self)

    def to_json(self) -> dict[str, Any]:
        """``report.json``: every number shown (lm-eval's 0-1 scale), schema in docs/report.md."""
        return {
            "schema_version": SCHEMA_VERSION,
            "labels": self.labels,
            "baseline": self.baseline,
            "warnings": self.warnings,
            "absent": self.absent,
            **self.header_data,
            "sections": {s.key: s.data for s in self.sections},
            "figures": [f.name for s in self.sections for f in s.figures],
        }

    def files(self) -> dict[str, bytes]:
        """Every output file name with its bytes."""
        out = {
            "report.md": self.to_markdown().encode("utf-8"),
            "report.html": self.to_html().encode("utf-8"),
            "report.json": (
                json.dumps(self.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
            ).encode("utf-8"),
        }
        for sec in self.sections:
            for fig in sec.figures:
                out[fig.name] = fig.png
        return out

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write every file into ``directory`` via a temporary sibling directory renamed at the
        end; an existing report directory is replaced. Returns the directory."""
        target = Path(directory)
        if target.exists() and not target.is_dir():
            raise NeedlesError(f"{target}: exists and is not a directory; choose another -o")
        if target.is_dir() and any(target.iterdir()) and not (target / "report.json").is_file():
            raise NeedlesError(
                f"{target}: not empty and not a report directory; choose a new or empty -o"
            )
        files = self.files()  # render before touching the disk
        parent = target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
        except OSError as exc:
            raise NeedlesError(
                f"{target}: cannot write in {parent} ({exc.strerror}); choose a writable -o"
            ) from None
        old = None
        try:
            for name, data in sorted(files.items()):
                (tmp / name).write_bytes(data)
            os.chmod(tmp, umask_mode(0o777))
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=parent))
                os.replace(target, old / "report")
            os.replace(tmp, target)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if old is not None and (old / "report").exists() and not target.exists():
                os.replace(old / "report", target)
            if isinstance(exc, OSError):
                raise NeedlesError(
                    f"{target}: cannot write the report ({exc.strerror}); choose a writable -o"
                ) from None
            raise
        finally:
            if old is not None:
                with contextlib.suppress(OSError):
                    shutil.rmtree(old)
        return target


def build_report(
    runs: Sequence[str | os.PathLike[str]],
    labels: Sequence[str] | None = None,
    baseline: str | None = None,
    *,
    every_file: bool = False,
    title: str = "artificial-needles report",
) -> Report:
    """Read the RUN paths, group runs by label, and build every section that has data."""
    from artificial_needles.report.general import general_section
    from artificial_needles.report.header import header_tables, warnings
    from artificial_needles.report.kv import kv_section, kv_warnings
    from artificial_needles.report.load import load_runs
    from artificial_needles.report.sections import flenqa_section, mdqa_section

    if not runs:
        raise NeedlesError("no RUN given; pass lm-eval output directories or results files")
    if labels is not None and len(labels) != len(runs):
        raise NeedlesError(
            f"--label given {len(labels)} time(s) for {len(runs)} RUN path(s); "
            "give one label per RUN, in the same order"
        )
    grouped: dict[str, list] = {}
    for i, path in enumerate(runs):
        for run in load_runs(path, labels[i] if labels else None, every_file=every_file):
            grouped.setdefault(run.label, []).append(run)
    order = list(grouped)
    if baseline is None:
        baseline = order[0]
    elif baseline not in grouped:
        raise NeedlesError(
            f"--baseline {baseline!r}: no such label; the labels are: {', '.join(order)}"
        )
    ctx = Context(labels=order, baseline=baseline, runs=grouped)
    built = {
        "mdqa": mdqa_section(ctx),
        "flenqa": flenqa_section(ctx),
        "kv": kv_section(ctx),
        "general": general_section(ctx),
    }
    header, header_data = header_tables(ctx)
    return Report(
        title=title,
        labels=order,
        baseline=baseline,
        sections=[s for s in built.values() if s is not None],
        header=header,
        header_data=header_data,
        warnings=warnings(ctx) + kv_warnings(ctx),
        absent=[SECTION_NAMES[k] for k, s in built.items() if s is None],
    )
