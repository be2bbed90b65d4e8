"""`artificial-needles eval`: lm-eval with our tasks included (filled in by the lm-eval issue)."""

from __future__ import annotations

import argparse


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``artificial-needles eval``."""
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run lm-eval."""
    raise NotImplementedError("artificial-needles eval is not implemented yet")
