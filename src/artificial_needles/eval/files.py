"""Reading the evaluation data files: one cached reader, one-line errors for broken files.

:func:`read_cached` parses a file once per version (path, modification time, size) and keeps
the result; :func:`json_lines` reads ``.jsonl`` / ``.jsonl.gz`` records; :func:`parquet_rows`
reads parquet. A missing file, a directory, a non-gzip or truncated ``.gz``, text that is not
UTF-8, a broken line or parquet file: each gives a NeedlesError naming the file and the fault.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError


def check_file(path: str | os.PathLike[str], what: str, hint: str = "") -> Path:
    """``path`` as a Path if it is a readable regular file; else NeedlesError."""
    p = Path(path).expanduser()
    tail = f"; {hint}" if hint else ""
    if p.is_dir():
        raise NeedlesError(f"{what} {p} is a directory, expected a data file{tail}")
    if not p.exists():
        raise NeedlesError(f"{what} {p} does not exist{tail}")
    if not p.is_file():
        raise NeedlesError(f"{what} {p} is not a regular file{tail}")
    if not os.access(p, os.R_OK):
        raise NeedlesError(f"{what} {p} is not readable (permissions)")
    return p


def read_cached(
    path: str | os.PathLike[str],
    parse: Callable[[Path], tuple[Any, ...]],
    what: str,
    hint: str = "",
) -> tuple[Any, ...]:
    """``parse(path)``, computed once per file version (the result must be immutable)."""
    p = check_file(path, what, hint)
    st = p.stat()
    return _cached(str(p), st.st_mtime_ns, st.st_size, parse)


@functools.lru_cache(maxsize=8)
def _cached(
    path: str, mtime_ns: int, size: int, parse: Callable[[Path], tuple[Any, ...]]
) -> tuple[Any, ...]:
    return parse(Path(path))


def json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed JSON)`` of every non-blank line; gzip when the name ends .gz."""
    try:
        if path.name.endswith(".gz"):
            fh = gzip.open(path, "rt", encoding="utf-8")
        else:
            fh = open(path, encoding="utf-8")
        with fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield lineno, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise NeedlesError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
    except gzip.BadGzipFile:
        raise NeedlesError(
            f"{path}: not a gzip file although its name ends in .gz (rename it or re-download)"
        ) from None
    except (EOFError, zlib.error):
        raise NeedlesError(f"{path}: truncated or damaged gzip data (re-download it)") from None
    except UnicodeDecodeError:
        hint = "" if path.name.endswith(".gz") else " (gzip data? then name it .gz)"
        raise NeedlesError(f"{path}: not UTF-8 text{hint}") from None
    except OSError as exc:
        raise NeedlesError(f"{path}: cannot read ({exc.strerror or exc})") from None


def parquet_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, record)`` of a parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NeedlesError(f"{path}: not a readable parquet file ({first})") from None
    yield from enumerate(rows)
