"""``artificial-needles report RUN... -o DIR [--baseline LABEL] [--label NAME ...]``."""

from __future__ import annotations

import argparse
import sys

from artificial_needles.errors import NeedlesError


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of the ``report`` subcommand."""
    parser.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="lm-eval --output_path directory (searched recursively), results_*.json file, "
        "or Axolotl output_dir (its needles_eval/)",
    )
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="report directory")
    parser.add_argument(
        "--label",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="label of each RUN, in order (--label a b b, or repeated); runs sharing a label are "
        "averaged (seeds). Default: the label recorded by artificial-needles, else the model",
    )
    parser.add_argument("--baseline", metavar="LABEL", help="label to compare against (first)")
    parser.add_argument(
        "--every-file",
        action="store_true",
        help="each results file is its own run (default: per model in a RUN, the newest file "
        "for each task)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not print the headline tables")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build and save the report; errors print one line and return 1."""
    from artificial_needles.report import build_report

    try:
        report = build_report(
            args.runs, labels=args.label, baseline=args.baseline, every_file=args.every_file
        )
        out = report.save(args.output)
    except NeedlesError as exc:
        print(f"artificial-needles report: error: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(report.to_text(), end="")
    print(f"wrote {out}/report.md, report.html, report.json", file=sys.stderr)
    return 0
