"""Small pieces of the command line: argument types, ``--version``, exit statuses.

:func:`run_guarded` runs a sub-command and turns its ending into one line on stderr and the
conventional exit status: a :class:`NeedlesError` is 2, Ctrl-C (SIGINT) is 130 and SIGTERM is
143. Both signals raise inside the command, so ``finally`` blocks and
:func:`artificial_needles.io.atomic_write` remove temporary files before the process ends.

Where the signal lands does not matter: the handler records it before raising, and whatever
error the command ends with after that (a lazy import that turned the raised exception into an
``ImportError``, a library that wrapped it, or none at all when something swallowed it) is
reported as the termination, with its one line and exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
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


#: Loggers whose import-time warnings tell a user of our commands nothing they can act on: with
#: the axolotl extra, loading transformers imports torchao, which warns that its GPU kernels do
#: not load, and torch then warns (``torch.utils._pytree``) about torchao's enums.
QUIET_LOGGERS = ("torchao", "torch.utils._pytree")


def quiet_library_logs() -> None:
    """Show only errors from :data:`QUIET_LOGGERS` (call before transformers is imported)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM."""


#: The line and exit status for each signal the command line handles.
_SIGNAL_ENDINGS = {
    signal.SIGINT: ("interrupted (SIGINT)", 130),
    signal.SIGTERM: ("terminated (SIGTERM)", 143),
}


@contextlib.contextmanager
def _signals_raise(received: list[int]) -> Iterator[None]:
    """SIGINT raises ``KeyboardInterrupt`` and SIGTERM :class:`Terminated`, after appending the
    signal number to ``received``; a second signal during the clean-up is ignored. Previous
    handlers come back on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        received.append(signum)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt if signum == signal.SIGINT else Terminated

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _signal_ending(signum: int) -> int:
    line, status = _SIGNAL_ENDINGS[signal.Signals(signum)]
    print(f"{PROG}: {line}", file=sys.stderr)
    return status


def run_guarded(command: Callable[[], int]) -> int:
    """Run ``command``; errors and signals end in one line on stderr and an exit status.

    Once a signal has arrived, the command's ending, whatever exception it is, is that
    signal's ending (see the module docstring).
    """
    received: list[int] = []
    try:
        with _signals_raise(received):
            status = command()
    except BaseException as exc:
        if received:
            return _signal_ending(received[0])
        if isinstance(exc, NeedlesError):
            print(f"{PROG}: error: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, KeyboardInterrupt):
            return _signal_ending(signal.SIGINT)
        if isinstance(exc, Terminated):
            return _signal_ending(signal.SIGTERM)
        raise
    return _signal_ending(received[0]) if received else status
