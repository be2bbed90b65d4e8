"""The user-settable generator parameters, derived once from the pydantic config fields.

Everything that names a generator parameter reads it from here: the ``generate`` command's
flags (``cli_flag``), the Axolotl plugin's ``needles_*`` keys (``axolotl_key``), the choices
of ``gold_position``, the metadata keys ``validate`` requires, and the one preset-then-validate
step (:func:`build_config`). Adding a field to :class:`~.config.KVConfig`
is the only edit a new parameter needs; a field of a task's own config subclass is set with
``--set FIELD=JSON`` or ``needles_overrides``.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from artificial_needles.config_errors import ConfigError
from artificial_needles.errors import NeedlesError
from artificial_needles.generators.config import KVConfig
from artificial_needles.generators.sample import SAMPLE_META_KEYS

#: The config class whose fields every task accepts (the CLI flags and Axolotl keys).
BASE_CONFIG: type[KVConfig] = KVConfig

#: The meta keys every written sample record carries (the sample's own plus ``format``).
META_KEYS: tuple[str, ...] = (*SAMPLE_META_KEYS, "format")


@dataclass(frozen=True)
class ParamSpec:
    """One generator parameter: its pydantic field and the names users set it by."""

    name: str
    annotation: Any
    default: Any
    help: str
    choices: tuple[Any, ...] | None
    cli_flag: str
    axolotl_key: str

    @property
    def required(self) -> bool:
        """Whether the field has no default (then a preset or override must set it)."""
        return self.default is ...


def literal_choices(annotation: Any) -> tuple[Any, ...] | None:
    """The values of a ``Literal[...]`` annotation (also inside ``X | None``), else None."""
    if typing.get_origin(annotation) is Literal:
        return tuple(typing.get_args(annotation))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = literal_choices(arg)
            if found is not None:
                return found
    return None


def _spec(name: str, info: FieldInfo) -> ParamSpec:
    default = info.get_default(call_default_factory=True)
    return ParamSpec(
        name=name,
        annotation=info.annotation,
        default=default,
        help=info.description or name.replace("_", " "),
        choices=literal_choices(info.annotation),
        cli_flag="--" + name.replace("_", "-"),
        axolotl_key="needles_" + name,
    )


def config_class(task: str | None = None) -> type[KVConfig]:
    """The config class of ``task`` (the shared :data:`BASE_CONFIG` when ``task`` is None)."""
    if task is None:
        return BASE_CONFIG
    from artificial_needles.plugins.manager import get_generator

    return get_generator(task).config_cls


def generator_params(task: str | None = None) -> dict[str, ParamSpec]:
    """The parameters of ``task`` by field name, or those every task shares (``task=None``)."""
    return {name: _spec(name, info) for name, info in config_class(task).model_fields.items()}


#: The gold position policies (the ``Literal`` of :attr:`KVConfig.gold_position`).
GOLD_POSITIONS: tuple[str, ...] = (
    literal_choices(KVConfig.model_fields["gold_position"].annotation) or ()
)


def build_config(
    task: str, preset: str | None = None, overrides: dict[str, Any] | None = None
) -> KVConfig:
    """Validated config of ``task``: preset values, then ``overrides`` applied as given (a
    ``None`` override is kept: ``num_dicts=None`` switches a preset to fill-to-budget).

    Raises :class:`~artificial_needles.config_errors.ConfigError` (a :class:`NeedlesError`)
    with one line per problem, naming the field and the fix; an unknown preset or task is a
    :class:`NeedlesError` listing the known ones.
    """
    from artificial_needles.plugins.manager import get_generator

    cls = get_generator(task)
    values: dict[str, Any] = {}
    if preset is not None:
        if preset not in cls.presets:
            known = ", ".join(sorted(cls.presets)) or "none"
            raise NeedlesError(f"unknown preset {preset!r} for task {task!r}; presets: {known}")
        values.update(cls.presets[preset])
    values.update(overrides or {})
    try:
        return cls.config_cls(**values)
    except ValidationError as exc:
        raise ConfigError.from_validation(exc, task, cls.config_cls.model_fields, values) from None
