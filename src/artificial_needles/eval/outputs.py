"""Where evaluation results go, checked before any model loads, and never lost after a run.

:func:`check_output_dir` vets lm-eval's ``--output_path`` (a folder, or a ``.json`` file name)
before the model loads: a file in the way, a special file, or a place that cannot be written is
one :class:`~artificial_needles.errors.NeedlesError` line. :func:`results_file` is the file
lm-eval's ``EvaluationTracker`` writes; when it is missing after saving (lm-eval logs the error
and goes on), :func:`write_fallback` keeps the results in the working directory or the system
temporary folder and :func:`save_results` fails, naming that file.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError

_KINDS = (
    (stat.S_ISREG, "a file"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _folder_of(path: Path) -> Path:
    """The folder lm-eval writes into for ``--output_path path``."""
    return path.parent if path.suffix == ".json" else path


def check_output_dir(path: str | os.PathLike[str], what: str = "--output_path") -> Path:
    """Raise NeedlesError (one line naming ``what`` and the fix) unless results can be written
    under ``path``: its nearest existing folder must be a folder (not a file or a special file)
    in which a new folder can be made. Creates nothing; returns ``path`` expanded."""
    given = Path(os.fspath(path)).expanduser()
    if not os.fspath(path):
        raise NeedlesError(f"{what} is empty; give a folder, e.g. {what} results/")
    probe = _folder_of(given)
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    try:
        mode = os.stat(probe).st_mode
    except OSError as exc:
        raise NeedlesError(f"{what} {given}: cannot check {probe} ({exc.strerror})") from None
    if not stat.S_ISDIR(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a folder")
        raise NeedlesError(
            f"{what} {given}: {probe} is {kind}, not a folder; choose another {what} "
            "or move it away"
        )
    try:  # the only reliable test (permissions, read-only and pseudo file systems like /proc)
        os.rmdir(tempfile.mkdtemp(prefix=".needles-check-", dir=probe))
    except OSError as exc:
        raise NeedlesError(
            f"{what} {given}: cannot write in {probe} ({exc.strerror}); choose a writable folder"
        ) from None
    return given


def results_file(tracker: Any) -> Path | None:
    """The aggregated results file an lm-eval ``EvaluationTracker`` wrote last (lm-eval
    0.4.11-0.4.13 naming), or None when it has no output path or has not saved."""
    date_id = getattr(tracker, "date_id", None)
    if not tracker.output_path or not date_id:
        return None
    path = Path(tracker.output_path)
    if path.suffix == ".json":
        return path.with_name(f"{path.stem}_{date_id}.json")
    model = tracker.general_config_tracker.model_name_sanitized
    return path / str(model) / f"results_{date_id}.json"


def write_fallback(results: dict[str, Any], name: str = "results") -> Path:
    """Write ``results`` as JSON to a new file in the working directory, else in the system
    temporary folder; returns its path."""
    from lm_eval.utils import handle_non_serializable

    text = json.dumps(results, indent=2, default=handle_non_serializable, ensure_ascii=False)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80]
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        try:
            fd, tmp = tempfile.mkstemp(prefix=f"needles-{safe}-", suffix=".json", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            return Path(tmp)
        except OSError:
            continue
    raise NeedlesError("could not write the results anywhere (working directory and temp folder)")


def save_results(tracker: Any, results: dict[str, Any], log_samples: bool) -> Path:
    """Save through lm-eval's tracker; returns the results file. lm-eval logs a failed save and
    goes on: then the results go to a fallback file and NeedlesError names it."""
    samples = results.get("samples") if log_samples else None
    to_save = {k: v for k, v in results.items() if k != "samples"}
    tracker.save_results_aggregated(results=to_save, samples=samples)
    path = results_file(tracker)
    if path is None or not path.is_file():
        kept = write_fallback({**to_save, "samples": samples} if samples else to_save)
        raise NeedlesError(
            f"could not save the results under {tracker.output_path} (see lm-eval's message "
            f"above); they were written to {kept}"
        )
    if log_samples and samples:
        for task_name in results["configs"]:
            tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
    return path
