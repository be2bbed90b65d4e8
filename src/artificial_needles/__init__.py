"""artificial-needles: synthetic key-value retrieval data for long-context finetuning.

Implements the data, evaluation and finetuning tools of *From Artificial Needles to Real
Haystacks* (Xiong et al., 2024). The core never imports lm-eval or Axolotl; the two
integrations live in ``artificial_needles.lm_eval_tasks`` and ``artificial_needles.axolotl``.

The plugin-facing API is importable from here (loaded on first use, so ``import
artificial_needles`` stays cheap)::

    from artificial_needles import Gold, KVConfig, KVTask, hookimpl

A plugin subclasses :class:`KVTask` (and :class:`KVConfig` for extra parameters) and registers
the class in a ``register_generators`` function marked with :data:`hookimpl`
(:mod:`artificial_needles.generators.task` says which methods to define). ``KVGenerator`` is
the deprecated name of :class:`KVTask`.
"""

from __future__ import annotations

from importlib import import_module

from artificial_needles.errors import NeedlesError

__version__ = "0.1.0"

#: Public name -> module that defines it (imported on first attribute access).
_LAZY = {
    "hookimpl": "artificial_needles.plugins.hookspecs",
    "KVTask": "artificial_needles.generators.task",
    "KVGenerator": "artificial_needles.generators.task",
    "Generator": "artificial_needles.generators.builder",
    "LineCosts": "artificial_needles.generators.budget",
    "KVConfig": "artificial_needles.generators.config",
    "IntRange": "artificial_needles.generators.config",
    "Sample": "artificial_needles.generators.sample",
    "Gold": "artificial_needles.generators.sample",
    "DictBlock": "artificial_needles.generators.sample",
    "number_drawer": "artificial_needles.generators.draw",
    "digits_number": "artificial_needles.generators.draw",
    "draw_int": "artificial_needles.generators.draw",
    "parse_dictionaries": "artificial_needles.generators.parse",
    "TokenCounter": "artificial_needles.tokens.counter",
    "load_tokenizer": "artificial_needles.tokens.counter",
    "make_generator": "artificial_needles.generators.build",
    "build_config": "artificial_needles.generators.options",
    "generator_params": "artificial_needles.generators.options",
    "ParamSpec": "artificial_needles.generators.options",
    "get_generator": "artificial_needles.plugins.manager",
    "get_generators": "artificial_needles.plugins.manager",
}

__all__ = [
    "DictBlock",
    "Gold",
    "IntRange",
    "KVConfig",
    "Generator",
    "KVGenerator",
    "KVTask",
    "LineCosts",
    "NeedlesError",
    "ParamSpec",
    "Sample",
    "TokenCounter",
    "__version__",
    "build_config",
    "digits_number",
    "draw_int",
    "generator_params",
    "get_generator",
    "get_generators",
    "hookimpl",
    "load_tokenizer",
    "make_generator",
    "number_drawer",
    "parse_dictionaries",
]

TYPE_CHECKING = False  # without importing typing (it costs more than this package)
if TYPE_CHECKING:  # static tools see the real names
    from artificial_needles.generators.budget import LineCosts
    from artificial_needles.generators.build import make_generator
    from artificial_needles.generators.builder import Generator
    from artificial_needles.generators.config import IntRange, KVConfig
    from artificial_needles.generators.draw import digits_number, draw_int, number_drawer
    from artificial_needles.generators.options import ParamSpec, build_config, generator_params
    from artificial_needles.generators.parse import parse_dictionaries
    from artificial_needles.generators.sample import DictBlock, Gold, Sample
    from artificial_needles.generators.task import KVGenerator, KVTask
    from artificial_needles.plugins.hookspecs import hookimpl
    from artificial_needles.plugins.manager import get_generator, get_generators
    from artificial_needles.tokens.counter import TokenCounter, load_tokenizer


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'artificial_needles' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
