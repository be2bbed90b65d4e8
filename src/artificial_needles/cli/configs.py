"""``artificial-needles configs list | copy NAME DIR``: the Axolotl configs shipped in the wheel.

The repository folder ``configs/axolotl/`` is installed as the package
``artificial_needles.configs``; the configs are found with :mod:`importlib.resources`, so they
work the same from a clone, an editable install and a wheel. A config's description is the
first sentence of its leading comment block.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.io import atomic_write

PACKAGE = "artificial_needles.configs"
_SUFFIXES = (".yml", ".yaml")
# End of the first sentence: '.', ':' or ';' then a space, except after common abbreviations.
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bal)(?<!\bvs)[.:;](?=\s|$)")


@dataclass(frozen=True)
class ConfigInfo:
    """One shipped config: ``name`` (file stem), file name, base model and description."""

    name: str
    file: str
    base_model: str | None
    description: str


def _describe(text: str) -> tuple[str, str | None]:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line.lstrip("#").strip()
        if not body:
            if lines:
                break
            continue
        lines.append(body)
    para = " ".join(lines)
    match = _SENTENCE_END.search(para)
    description = para[: match.start()] if match else para
    model = re.search(r"^base_model:\s*(\S+)", text, re.MULTILINE)
    return description.strip(), model.group(1).strip("'\"") if model else None


def _entries() -> dict[str, Any]:
    root = files(PACKAGE)
    return {
        entry.name.rsplit(".", 1)[0]: entry
        for entry in root.iterdir()
        if entry.name.endswith(_SUFFIXES) and entry.is_file()
    }


def list_configs() -> list[ConfigInfo]:
    """The shipped configs, sorted by name."""
    out = []
    for name, entry in sorted(_entries().items()):
        description, model = _describe(entry.read_text(encoding="utf-8"))
        out.append(ConfigInfo(name, entry.name, model, description))
    return out


def _lookup(name: str) -> Any:
    entries = _entries()
    stem = next((name[: -len(s)] for s in _SUFFIXES if name.endswith(s)), name)
    if stem in entries:
        return entries[stem]
    close = difflib.get_close_matches(stem, list(entries), n=1, cutoff=0.5)
    hint = f"did you mean {close[0]}? " if close else ""
    raise NeedlesError(
        f"no shipped config named {name!r}; {hint}available: {', '.join(sorted(entries))}"
    )


def copy_config(name: str, directory: str | Path, force: bool = False) -> Path:
    """Write the shipped config ``name`` (with or without ``.yml``) into ``directory``.

    Creates ``directory`` if needed; refuses to replace an existing file unless ``force``.
    The file is written atomically. Returns the written path.
    """
    entry = _lookup(name)
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NeedlesError(f"{directory} is not a directory; give the folder to copy into")
    target = directory / entry.name
    if target.exists() and not force:
        raise NeedlesError(f"{target} exists; pass --force to overwrite it")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NeedlesError(f"cannot create {directory} ({exc.strerror})") from exc
    data = entry.read_bytes()
    with atomic_write(target, "wb") as fh:
        fh.write(data)
    return target


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of the ``configs`` subcommand (``list`` and ``copy``)."""
    sub = parser.add_subparsers(dest="configs_command", required=True, metavar="{list,copy}")
    ls = sub.add_parser("list", help="the shipped configs with a one-line description")
    ls.add_argument("--json", action="store_true", help="JSON list of name/file/base_model/...")
    ls.set_defaults(func=run)
    cp = sub.add_parser("copy", help="write the config NAME (NAME.yml) into DIR")
    cp.add_argument("name", metavar="NAME", help="config name (see `configs list`)")
    cp.add_argument("directory", metavar="DIR", help="folder to write NAME.yml into")
    cp.add_argument("--force", action="store_true", help="overwrite an existing file")
    cp.set_defaults(func=run)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``configs list`` or ``configs copy``; returns the exit status."""
    if args.configs_command == "copy":
        print(copy_config(args.name, args.directory, force=args.force))
        return 0
    rows = list_configs()
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return 0
    width = max((len(r.name) for r in rows), default=0)
    for r in rows:
        print(f"{r.name:<{width}}  {r.description}")
    if not rows:
        print("no configs found in the installed package", file=sys.stderr)
        return 1
    return 0
