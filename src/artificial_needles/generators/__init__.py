"""Synthetic retrieval task generators: the plugin-facing base API, the built-in tasks, output.

A plugin author reads :mod:`~artificial_needles.generators.task` (the methods a task defines)
and imports the names from ``artificial_needles`` itself. The rest of this package:

- :mod:`~.builder`: :class:`Generator`, a task plus a tokenizer: the sample loop (budget, fill,
  layout, exact count); it composes :mod:`~.budget` (line costs, calibration, probes),
  :mod:`~.exact_count` (counts from the structure) and :mod:`~.distractors`;
- :mod:`~.config`: :class:`KVConfig`, the shared pydantic parameters;
  :mod:`~.options`: the user-settable parameters derived from it (CLI flags, Axolotl keys);
- :mod:`~.sample`: :class:`Sample`, :class:`Gold`, :class:`DictBlock`, the metadata keys;
- :mod:`~.templates`: the exact prompt and answer strings (docs/formats.md);
- :mod:`~.draw`, :mod:`~.pair_batch`: random draws;
- :mod:`~.parse`, :mod:`~.validate`: parsing a prompt back and re-checking a file;
- :mod:`~.simple_kv`, :mod:`~.multi_subkey_kv`: the built-in tasks;
- :mod:`~.build`: generators from a task name and preset, datasets, JSONL files, summaries;
  :mod:`~.records`: the chat records written per sample.

``make_generator`` and ``to_dataset`` are importable from here (loaded on first use).
"""

from __future__ import annotations

from importlib import import_module

_LAZY = {"make_generator": "build", "to_dataset": "build", "KVTask": "task", "Generator": "builder"}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
