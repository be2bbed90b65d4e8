"""Everything the plugin checks when Axolotl loads the config (``register``), so that a bad
config fails in ``axolotl preprocess`` / before training, with the key named:

- misspelled keys (``needles_*`` or close to ours, e.g. ``needle_eval_limit``), with a
  suggestion;
- the values of our keys (:class:`~artificial_needles.axolotl.args.NeedlesArgs`) and the
  generator config they make (:func:`~artificial_needles.axolotl.spec.validate_generator`);
- the evaluation: task names, ``needles_eval_metadata`` keys and the MDQA / FLenQA data
  (:func:`artificial_needles.eval.checks.check_tasks`, as ``artificial-needles eval`` does;
  its advice to pass ``--metadata`` is worded as the ``needles_eval_metadata`` key).

:func:`config_errors` turns those errors into :class:`NeedlesConfigError`: still a
``ValueError`` for code that loads configs, but when it reaches the top of an ``axolotl``
command it prints as one line, without the traceback through Axolotl and click.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError

from artificial_needles.axolotl.args import NeedlesArgs, check_unknown_keys
from artificial_needles.config_errors import ConfigError
from artificial_needles.errors import NeedlesError

#: lm-eval's flag as our eval messages advise it, e.g. ``--metadata '{"mdqa_data": "PATH"}'``
_METADATA_FLAG = re.compile(r"""--metadata '\{"(\w+)": "PATH"\}'""")


class NeedlesConfigError(ValueError):
    """A bad ``needles_*`` setting in an Axolotl config (the message names the key)."""


def _print_config_error(kind: type, exc: BaseException, tb: Any, previous: Any) -> None:
    if isinstance(exc, NeedlesConfigError):
        print(f"artificial-needles: error in the Axolotl config: {exc}", file=sys.stderr)
    else:
        previous(kind, exc, tb)


@contextlib.contextmanager
def config_errors() -> Iterator[None]:
    """Re-raise a ``ValueError`` of the block as :class:`NeedlesConfigError`, and make an
    uncaught one print as its one line (``sys.excepthook``; other exceptions as before)."""
    try:
        yield
    except ValueError as exc:
        hook = sys.excepthook
        if getattr(hook, "func", None) is not _print_config_error:
            from functools import partial

            sys.excepthook = partial(_print_config_error, previous=hook)
        if isinstance(exc, NeedlesConfigError):
            raise
        raise NeedlesConfigError(str(exc)) from None


def parse_args(cfg: Any) -> NeedlesArgs:
    """Our keys of ``cfg`` validated (one clean line on error)."""
    values = {k: v for k, v in cfg.items() if k in NeedlesArgs.model_fields}
    try:
        return NeedlesArgs(**values)
    except ValidationError as exc:
        error = ConfigError.from_validation(exc, "config", NeedlesArgs.model_fields, values, "key")
        raise ValueError(str(error)) from None


def check_eval(cfg: Any) -> None:
    """Raise ValueError unless every ``needles_eval_tasks`` task can run after training."""
    tasks = list(cfg.get("needles_eval_tasks") or [])
    if not tasks:
        return
    from artificial_needles.eval.checks import check_tasks
    from artificial_needles.eval.metadata import parse_metadata

    try:
        meta = parse_metadata(cfg.get("needles_eval_metadata") or {}, "needles_eval_metadata")
        meta.setdefault("chat_template", bool(cfg.get("needles_eval_chat_template", True)))
        check_tasks(tasks, meta, model_args={"pretrained": str(cfg.get("base_model"))})
    except NeedlesError as exc:
        advice = _METADATA_FLAG.sub(r"needles_eval_metadata: {\1: PATH} in the config", str(exc))
        raise ValueError(f"needles_eval_tasks {tasks}: {advice}") from None


def check_config(cfg: Any, other_keys: Iterable[str] = ()) -> NeedlesArgs | None:
    """All load-time checks of the raw config ``cfg``; returns our args, or None when the
    plugin has nothing to do (no ``needles_task`` and no evaluation)."""
    from artificial_needles.axolotl.spec import validate_generator

    check_unknown_keys(cfg, other_keys)
    args = parse_args(cfg)
    if args.needles_task is not None:
        validate_generator(cfg)
    check_eval(cfg)
    return args if args.needles_task is not None else None
