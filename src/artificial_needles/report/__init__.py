"""Results report: the paper's tables and figures from lm-eval results files.

``build_report(runs, labels=None, baseline=None)`` reads lm-eval output directories, results
JSON files or Axolotl output_dirs and returns a :class:`Report` that renders to Markdown, HTML
and JSON and saves to a directory (``Report.save``). The command line is
``artificial-needles report`` (:mod:`artificial_needles.cli.report`). JSON schema:
docs/report.md.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from artificial_needles.report.report import Report, build_report

__all__ = ["Report", "build_report"]


def __getattr__(name: str) -> Any:
    # Lazy: the CLI parser imports report.command for every command (start-up of `generate`).
    if name in __all__:
        from artificial_needles.report import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
