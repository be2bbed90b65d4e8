"""Small pieces of the command line: argument types, ``--version``, exit statuses.

:func:`run_guarded` runs a sub-command and turns its ending into one line on stderr and the
conventional exit status: a :class:`NeedlesError` is 2, Ctrl-C (SIGINT) is 130 and SIGTERM is
143. Both signals raise inside the command, so ``finally`` blocks and
:func:`artificial_needles.io.atomic_write` remove temporary files before the process ends.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from artificial_needles.errors import NeedlesError

PROG = "artificial-needles"


def positive_int(text: str) -> int:
    """``argparse`` type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer (1 or more), got {text!r}")
    return value


def package_version() -> str:
    """The installed distribution's version, else the package's ``__version__``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PROG)
    except PackageNotFoundError:
        from artificial_needles import __version__

        return __version__


class VersionAction(argparse.Action):
    """``--version``: print ``artificial-needles X.Y.Z`` and exit (looked up only when used)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kw: Any):
        kw.setdefault("help", "print the version and exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"{PROG} {package_version()}")
        parser.exit()


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM."""


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGINT raises ``KeyboardInterrupt`` and SIGTERM :class:`Terminated`; a second signal
    during the clean-up is ignored. Previous handlers come back on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt if signum == signal.SIGINT else Terminated

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def run_guarded(command: Callable[[], int]) -> int:
    """Run ``command``; errors and signals end in one line on stderr and an exit status."""
    try:
        with _signals_raise():
            return command()
    except NeedlesError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted (SIGINT)", file=sys.stderr)
        return 130
    except Terminated:
        print(f"{PROG}: terminated (SIGTERM)", file=sys.stderr)
        return 143
