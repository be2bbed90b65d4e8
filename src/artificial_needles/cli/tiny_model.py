"""``artificial-needles tiny-model DIR``: a random 2-layer model + tokenizer, built locally.

Writes what :func:`artificial_needles.testing.build_model` builds (a randomly initialised
2-layer Llama or Mistral architecture with a 600-token byte-level BPE tokenizer and a chat
template) into ``DIR``, without downloading anything. ``configs/axolotl/tiny-cpu-smoke.yml``
trains it on CPU. The model is built in a temporary folder beside ``DIR`` and renamed into place,
so ``DIR`` is never left half-written. Needs ``torch`` and ``transformers``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from artificial_needles.errors import NeedlesError
from artificial_needles.io import umask_mode


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of the ``tiny-model`` subcommand."""
    from artificial_needles.testing import CHAT_TEMPLATES

    parser.add_argument("directory", metavar="DIR", help="folder to create (must be new or empty)")
    parser.add_argument(
        "--chat-template", choices=list(CHAT_TEMPLATES), default="chatml", help="default chatml"
    )
    parser.add_argument("--arch", choices=["llama", "mistral"], default="llama")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    parser.add_argument("--force", action="store_true", help="replace an existing DIR")
    parser.set_defaults(func=run)


def write_tiny_model(
    directory: str | Path,
    chat_template: str = "chatml",
    arch: str = "llama",
    seed: int = 0,
    force: bool = False,
) -> Path:
    """Build the tiny model into ``directory`` atomically; returns the directory."""
    target = Path(directory)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise NeedlesError(f"{target} exists and is not a directory; give a new folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise NeedlesError(f"{target} is not empty; pass --force to replace it")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise NeedlesError(f"{target}: directory {parent} does not exist; create it first")
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise NeedlesError(
            f"tiny-model needs torch and transformers ({exc.name} is missing): pip install torch"
        ) from exc
    from artificial_needles.testing import build_model

    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise NeedlesError(
            f"{target}: cannot create a folder in {parent} ({exc.strerror}); give a folder "
            "you can write to"
        ) from exc
    try:
        build_model(tmp, chat_template=chat_template, seed=seed, arch=arch)
        tmp.chmod(umask_mode(0o777))
        if target.is_dir() and any(target.iterdir()):
            shutil.rmtree(target)
        os.replace(tmp, target)  # onto a missing or empty folder
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(tmp)
        raise
    return target


def run(args: argparse.Namespace) -> int:
    """Build the tiny model; prints the directory written."""
    path = write_tiny_model(
        args.directory,
        chat_template=args.chat_template,
        arch=args.arch,
        seed=args.seed,
        force=args.force,
    )
    print(path)
    return 0
