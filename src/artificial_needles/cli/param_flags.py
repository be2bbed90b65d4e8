"""Command-line flags of the generator parameters, built from :mod:`~.generators.options`.

Every parameter of the shared config (:func:`~.options.generator_params`) is
a flag named by its ``cli_flag``: booleans get ``--x/--no-x``, ``Literal`` fields their choices,
``[min, max]`` fields two numbers (``--dict-size 2 3``); task-specific fields and anything
else are set with ``--set FIELD=JSON``. The flags are added the first time the ``generate``
sub-parser parses or prints its help, so other commands never import pydantic.
"""

from __future__ import annotations

import argparse
import json
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any

from artificial_needles.errors import NeedlesError

if typing.TYPE_CHECKING:
    from artificial_needles.generators.options import ParamSpec


def _plain(annotation: Any) -> Any:
    """``X`` of ``X | None`` and of ``Annotated[X, ...]``."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _plain(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _plain(args[0])
    return annotation


def _union_args(annotation: Any) -> list[Any]:
    """The plain members of a union (``[annotation]`` when it is not one)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [_plain(a) for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def int_or_words(words: tuple[str, ...]) -> Callable[[str], int | str]:
    """An argparse ``type``: an integer, or one of ``words`` (``--gold-dict-size match``)."""

    def convert(text: str) -> int | str:
        if text in words:
            return text
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is neither an integer nor one of {', '.join(words)}"
            ) from None

    convert.__name__ = "int or " + "/".join(words)
    return convert


def _numbers_kwargs(plain: Any) -> dict[str, Any] | None:
    """Keywords of a ``[min, max]`` pair (two numbers) or a list of numbers (one or more)."""
    items = typing.get_args(plain)
    if len(items) == 2 and items[0] is items[1] and items[0] in (int, float):
        return {"type": items[0], "nargs": 2, "metavar": ("MIN", "MAX")}
    if len(items) == 2 and items[1] is Ellipsis and items[0] in (int, float):
        return {"type": items[0], "nargs": "+"}
    return None


def flag_kwargs(spec: ParamSpec) -> dict[str, Any] | None:
    """``add_argument`` keywords for one parameter, or None when only ``--set`` can set it."""
    default = "null" if spec.default is None else json.dumps(spec.default, default=list)
    kw: dict[str, Any] = {"dest": spec.name, "default": None}
    kw["help"] = f"{spec.help} (default {default})".replace("%", "%%")
    plain = _plain(spec.annotation)
    members = _union_args(plain)
    if spec.choices is not None and int in members:  # a number or a word: 3 or "match"
        return {**kw, "type": int_or_words(tuple(map(str, spec.choices)))}
    if spec.choices is not None:
        return {**kw, "choices": list(spec.choices)}
    if plain is bool:
        return {**kw, "action": argparse.BooleanOptionalAction}
    if plain in (int, float):
        return {**kw, "type": plain}
    if typing.get_origin(plain) is tuple:
        found = _numbers_kwargs(plain)
        return None if found is None else {**kw, **found}
    tuples = [m for m in members if typing.get_origin(m) is tuple]
    if len(members) == 2 and len(tuples) == 1:
        # ``int | tuple[int, ...]`` (max_tokens): one number or several
        scalar = next(m for m in members if m is not tuples[0])
        found = _numbers_kwargs(tuples[0])
        if found is not None and found["nargs"] == "+" and found["type"] is scalar:
            return {**kw, **found}
    return None


def add_param_flags(parser: argparse.ArgumentParser, params: Iterable[ParamSpec]) -> list[str]:
    """Add a flag per parameter (skipping names the parser already has); returns the fields
    that got one."""
    added = []
    for spec in params:
        kw = flag_kwargs(spec)
        if kw is None:
            continue
        try:
            parser.add_argument(spec.cli_flag, **kw)
        except argparse.ArgumentError:  # the parser has this flag already
            continue
        added.append(spec.name)
    return added


def param_overrides(args: argparse.Namespace, names: Iterable[str]) -> dict[str, Any]:
    """The parameters given on the command line (lists of numbers become tuples)."""
    out = {}
    for name in names:
        value = getattr(args, name, None)
        if value is not None:
            out[name] = tuple(value) if isinstance(value, list) else value
    return out


def parse_set(items: Iterable[str]) -> dict[str, Any]:
    """``--set FIELD=VALUE`` items as a dict. A value is JSON; a bare word that is not JSON
    (``gold_position=paper``) is taken as a string, but a value that starts like JSON
    (a digit, ``-``, ``[``, ``{`` or ``"``) must parse, and its JSON error is shown."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise NeedlesError(f"--set {item!r}: write it as FIELD=VALUE, e.g. dict_size=[2,3]")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError as exc:
            if raw.strip()[:1] in tuple('0123456789-[{"'):
                raise NeedlesError(
                    f"--set {item!r}: the value is not valid JSON ({exc.msg} at character "
                    f"{exc.pos + 1}); write e.g. {key}=[2,3], {key}=5 or {key}=true"
                ) from None
            out[key] = raw
    return out


class DeferredFlagsParser(argparse.ArgumentParser):
    """An argument parser that can be given flags to add later: :meth:`defer` stores a
    function that adds them, run once before the parser's first parse or help text (so that
    building the parser imports nothing the flags need). ``build_parser`` makes every
    subcommand's parser one (``add_subparsers(parser_class=...)``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deferred: Callable[[argparse.ArgumentParser], None] | None = None

    def defer(self, add: Callable[[argparse.ArgumentParser], None]) -> None:
        """Run ``add(self)`` before the first parse or help text."""
        self.deferred = add

    def _ensure_flags(self) -> None:
        add, self.deferred = self.deferred, None
        if add is not None:
            add(self)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._ensure_flags()
        return super().parse_known_args(args, namespace)

    def _parse_known_args(self, *args: Any, **kwargs: Any) -> Any:  # any Python's inner entry
        self._ensure_flags()
        return super()._parse_known_args(*args, **kwargs)  # type: ignore[misc]

    def format_help(self) -> str:
        self._ensure_flags()
        return super().format_help()

    def format_usage(self) -> str:
        self._ensure_flags()
        return super().format_usage()


def defer_generator_flags(parser: DeferredFlagsParser) -> None:
    """Give ``parser`` the generator parameter flags when it is first used."""

    def add(p: argparse.ArgumentParser) -> None:
        from artificial_needles.generators.options import generator_params

        group = p.add_argument_group("generator parameters (also: --set FIELD=JSON)")
        names = add_param_flags(group, generator_params().values())  # type: ignore[arg-type]
        p.set_defaults(param_names=names)

    parser.defer(add)
