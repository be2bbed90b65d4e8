"""Atomic file output: write to a temporary file beside the target, then rename.

:func:`check_output` vets an output path before any work is done: empty paths, directories and
special files (FIFO, device, socket) are refused with a one-line :class:`NeedlesError`; a
symbolic link is written through (its target is replaced atomically, the link stays).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from artificial_needles.errors import NeedlesError

_SPECIAL = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def umask_mode(mode: int) -> int:
    """``mode`` less the process umask: the permissions ``open()`` or ``mkdir()`` would give a
    new file (``0o666``) or folder (``0o777``). Output written into a temporary file or folder
    (created private) gets them before it is renamed into place."""
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def check_output(path: str | os.PathLike[str]) -> Path:
    """The regular file that writing ``path`` creates or replaces, symbolic links followed.

    Raises :class:`NeedlesError` (one line naming the path and the fix) when ``path`` is empty,
    a directory, a special file, or its directory is missing or not writable.
    """
    text = os.fspath(path)
    if not text:
        raise NeedlesError("output path is empty; give a file name, e.g. -o train.jsonl")
    given = Path(text)
    if text.endswith(("/", os.sep)) or given.is_dir():
        raise NeedlesError(
            f"output {text}: is a directory; give a file path, e.g. {given / 'train.jsonl'}"
        )
    # Follow links (chains too): the link stays, the file it points to is what gets written.
    target = Path(os.path.realpath(given)) if given.is_symlink() else given
    shown = text if target == given else f"{text} (a link to {target})"
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise NeedlesError(f"output {shown}: cannot check it ({exc.strerror})") from exc
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise NeedlesError(f"output {shown}: is a directory; give a file path")
        for test, what in _SPECIAL:
            if test(mode):
                raise NeedlesError(
                    f"output {shown}: is {what}, not a regular file; write to a file "
                    "(it is replaced atomically, so it cannot be streamed)"
                )
    parent = target.parent
    if not parent.is_dir():
        raise NeedlesError(f"output {shown}: directory {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise NeedlesError(f"output {shown}: cannot write in {parent} (permission denied)")
    return target


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO]:
    """Open a temporary file next to ``path``; rename it over ``path`` only on success.

    ``path`` is vetted by :func:`check_output` first (a link is written through). On any
    exception, ``KeyboardInterrupt`` and termination included, the temporary file is removed
    and ``path`` is left untouched.
    """
    target = check_output(path)
    parent = target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise NeedlesError(f"output {target}: cannot write in {parent} ({exc.strerror})") from exc
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as fh:
            yield fh
        # mkstemp creates 0600; give the file the permissions a plain open() would: those of
        # the file it replaces, else 0666 less the umask.
        try:
            bits = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            bits = umask_mode(0o666)
        os.chmod(tmp, bits)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
