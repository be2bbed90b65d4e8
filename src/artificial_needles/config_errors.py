"""Pydantic validation errors as the one-line messages users see.

pydantic's own words ("Value error, ...", "Input should be ...", "Extra inputs are not
permitted") name neither the fix nor the valid choices. :class:`ConfigError` carries one
:class:`Problem` per bad field: ``field: must be >= 1, got 0``, ``field: must be one of 'a',
'b'; got 'c'``, ``unknown field 'num_dict' (did you mean 'num_dicts'?); valid fields: ...``;
model-level checks keep their own message (they name the fields). Callers that speak other
names for the fields (the Axolotl ``needles_*`` keys) map ``Problem.field``. This is the one
formatter of pydantic errors: the generator configs, the lm-eval task metadata
(:mod:`artificial_needles.eval.metadata`) and the Axolotl plugin's keys all use it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from artificial_needles.errors import NeedlesError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config: the field (None for a check across fields) and what."""

    field: str | None
    message: str
    unknown: bool = False

    def __str__(self) -> str:
        if self.field is None or self.unknown:
            return self.message
        return f"{self.field}: {self.message}"


_BOUNDS = {
    "greater_than_equal": (">=", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("<=", "le"),
    "less_than": ("<", "lt"),
}
_KINDS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "string": "a string",
    "tuple": "a list of two numbers [min, max]",
    "list": "a list",
    "dict": "a mapping",
}


def _problem(err: Any, value: Any) -> str:
    """What is wrong with one field, as ``must be ...; got ...`` where pydantic's words are
    generic (its "Value error, " prefix dropped)."""
    kind, ctx = err["type"], err.get("ctx") or {}
    got = f"got {value!r}"
    if kind in _BOUNDS:
        op, key = _BOUNDS[kind]
        return f"must be {op} {ctx.get(key)}, {got}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}; {got}"
    if kind == "int_from_float":
        return f"must be a whole number, {got}"
    if kind in ("too_long", "too_short") or (kind == "missing" and len(err["loc"]) > 1):
        return f"must be a list of two numbers [min, max], {got}"
    for prefix, words in _KINDS.items():
        if kind.startswith(prefix + "_"):
            return f"must be {words}, {got}"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg if kind == "value_error" else f"{msg[:1].lower()}{msg[1:]}, {got}"


def validation_problems(
    exc: ValidationError,
    fields: Iterable[str] = (),
    values: Mapping[str, Any] | None = None,
    noun: str = "field",
) -> list[Problem]:
    """The problems of a pydantic error, one per bad field (duplicates dropped). ``fields``
    are the valid field names (for "did you mean"); ``values`` (the input) lets a message show
    the whole value of a field when one element of it was wrong; ``noun`` is what the user
    calls a field ("key" for a metadata key or a config file's key)."""
    valid = sorted(fields)
    values = values or {}
    out: dict[Problem, None] = {}
    for err in exc.errors():
        loc = err["loc"]
        field = str(loc[0]) if loc else None
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(field), valid, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            msg = f"unknown {noun} {field!r}{hint}; valid {noun}s: {', '.join(valid)}"
            out[Problem(field, msg, unknown=True)] = None
            continue
        value = values.get(field, err.get("input")) if field is not None else err.get("input")
        out[Problem(field, _problem(err, value))] = None
    return list(out)


class ConfigError(NeedlesError):
    """A config that failed validation: one line per problem, ``where: field: message``."""

    def __init__(self, where: str, problems: Sequence[Problem]):
        self.where = where
        self.problems = list(problems)
        super().__init__("\n".join(f"{where}: {p}" for p in self.problems))

    @classmethod
    def from_validation(
        cls,
        exc: ValidationError,
        where: str,
        fields: Iterable[str] = (),
        values: Mapping[str, Any] | None = None,
        noun: str = "field",
    ) -> ConfigError:
        """The error of a pydantic :class:`ValidationError` (see :func:`validation_problems`)."""
        return cls(where, validation_problems(exc, fields, values, noun))

