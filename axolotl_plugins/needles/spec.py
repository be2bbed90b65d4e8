"""What to generate: a JSON *spec* per split, written to a small file that a dataset entry loads.

Axolotl keys its prepared-dataset cache on a few fields of each ``datasets:`` entry (``path``,
``type``, ``split``...) and drops unknown keys inside an entry. The plugin therefore writes the
full generation parameters to ``<dataset_prepared_path>/needles/<fingerprint>.jsonl`` (one row:
``{"spec": "<json>"}``) and points the entry's ``path`` at it. The fingerprint hashes every
parameter and the package version, so changing any ``needles_*`` key changes ``path`` and
with it Axolotl's cache key: stale prepared data is never reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from artificial_needles.axolotl.args import (
    DATASET_TYPE,
    generator_overrides,
    key_for_field,
)
from artificial_needles.errors import NeedlesError
from artificial_needles.io import atomic_write
from artificial_needles.seeding import EVAL_SEED_BIT

#: Axolotl's default of ``dataset_prepared_path``.
DEFAULT_PREPARED_PATH = "last_run_prepared"
# The eval split's seeds have EVAL_SEED_BIT set, as the lm-eval KV eval's do
# (:func:`artificial_needles.eval.kv_docs.cell_seed`), from their own hash label, so its random
# streams are not a training set's. Streams alone cannot keep the data apart (chance repeats of
# (key, value) pairs are certain over many training samples): see :data:`SPLIT_DOMAINS`.
#: Data domain of each split (:mod:`artificial_needles.seeding`). The eval split is generated in
#: the "validation" domain: its keys are in the class no training key is ever drawn from, and
#: its values in the class no lm-eval KV document's value is drawn from, so no eval-split prompt
#: shares a key with training data nor a (key, value) pair with the lm-eval KV documents.
SPLIT_DOMAINS = {"train": "train", "eval": "validation"}


def eval_seed(task: str, seed: int) -> int:
    """The generator seed of the eval split of a training run with ``seed``."""
    from artificial_needles.seeding import sample_seed

    return sample_seed(seed, 0, f"axolotl-eval/{task}") | EVAL_SEED_BIT


def split_domain(spec: dict[str, Any]) -> str:
    """The data domain a spec's generator draws in (specs written before domains: by split)."""
    return spec.get("domain") or SPLIT_DOMAINS[spec["split"]]


def validate_generator(cfg: Any) -> None:
    """Raise ``ValueError`` naming the ``needles_*`` key(s) when the generator config made of
    ``cfg``'s keys is bad (:func:`artificial_needles.generators.options.build_config` decides)."""
    from artificial_needles.config_errors import ConfigError
    from artificial_needles.generators.options import build_config
    from artificial_needles.plugins.manager import get_generator, get_generators

    task = cfg.get("needles_task")
    known = sorted(get_generators())
    if task not in known:
        raise ValueError(f"needles_task: unknown task {task!r}; use one of {', '.join(known)}")
    overrides = generator_overrides(cfg)
    try:
        config = build_config(task, cfg.get("needles_preset"), overrides)
    except ConfigError as exc:
        mine = set(cfg.get("needles_overrides") or {})
        fields = set(get_generator(task).config_cls.model_fields) | set(overrides)
        lines = []
        for problem in exc.problems:
            if problem.field is not None:
                named = [problem.field]
            else:  # a check across fields: its message names them
                named = [f for f in sorted(fields) if re.search(rf"\b{f}\b", problem.message)]
            keys = [key_for_field(f, mine) for f in named]
            lines.append(f"{', '.join(keys) or 'needles_*'}: {problem}")
        raise ValueError("; ".join(lines)) from None
    except NeedlesError as exc:  # an unknown preset
        raise ValueError(f"needles_preset: {exc}") from None
    seq = cfg.get("sequence_len")
    if config.is_mixture and seq and max(config.max_tokens_choices) > int(seq):
        raise ValueError(
            f"needles_max_tokens: the length mixture {list(config.max_tokens_choices)} has "
            f"budgets over sequence_len {seq}, whose rows Axolotl would cut; keep every budget "
            "at or below sequence_len"
        )


def spec_generator(spec: dict[str, Any], tokenizer: Any, name: str) -> Any:
    """The generator of ``spec``, counting through ``tokenizer``'s chat template (the plugin's
    rows and ``axolotl needles-generate`` size prompts the same way)."""
    from artificial_needles.generators.build import make_generator
    from artificial_needles.tokens.counter import HFTokenCounter

    counter = HFTokenCounter(tokenizer, name, chat_template=True)
    return make_generator(
        spec["task"],
        spec["preset"],
        spec["overrides"],
        tokenizer=counter,
        domain=split_domain(spec),
    )


def iter_split(gen: Any, spec: dict[str, Any], count: int) -> Iterator[Any]:
    """The samples of a split: indices ``start .. start + count`` (the split's seed is in the
    spec's overrides)."""
    start = int(spec["start"])
    return gen.iter_samples(start, start + count)


def build_spec(cfg: Any, split: str) -> dict[str, Any]:
    """The generation spec of ``split`` ("train" or "eval") from the ``needles_*`` keys."""
    from artificial_needles import __version__

    overrides = generator_overrides(cfg)
    if split == "train":
        count = cfg.get("needles_num_samples")
    else:
        count = cfg.get("needles_eval_samples")
        overrides["seed"] = eval_seed(cfg["needles_task"], int(overrides.get("seed") or 0))
    return {
        "task": cfg["needles_task"],
        "preset": cfg.get("needles_preset"),
        "overrides": overrides,
        "split": split,
        "domain": SPLIT_DOMAINS[split],
        "start": 0,
        "count": count,
        "mix_ratio": cfg.get("needles_mix_ratio") if split == "train" else None,
        "train_on": cfg.get("needles_train_on") or "answer",
        "version": __version__,
    }


def fingerprint(spec: dict[str, Any]) -> str:
    """Stable short hash of a spec."""
    blob = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=list)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def write_spec(spec: dict[str, Any], prepared_path: str | os.PathLike[str]) -> Path:
    """Write ``spec`` as a one-row JSONL file named by its fingerprint; returns its path."""
    folder = Path(prepared_path) / "needles"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{spec['split']}-{fingerprint(spec)}.jsonl"
    line = json.dumps({"spec": json.dumps(spec, sort_keys=True)}) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != line:
        with atomic_write(path) as fh:
            fh.write(line)
    return path.resolve()


def read_spec(row: dict[str, Any]) -> dict[str, Any]:
    """The spec stored in the first row of a spec file."""
    if "spec" not in row:
        raise ValueError(
            f"a `type: {DATASET_TYPE}` dataset entry must be generated by the needles plugin; "
            "add `plugins: [artificial_needles.axolotl.NeedlesPlugin]` and `needles_task:` to the "
            "config instead of pointing `path:` at your own file"
        )
    return json.loads(row["spec"])


def _entry_type(entry: Any) -> Any:
    return entry.get("type") if hasattr(entry, "get") else getattr(entry, "type", None)


def inject_datasets(cfg: Any) -> None:
    """Point our ``datasets:`` entries at fresh spec files, or add one if there is none.

    ``cfg`` is the raw config (before validation); it is changed in place.
    """
    prepared = cfg.get("dataset_prepared_path") or DEFAULT_PREPARED_PATH
    entries = list(cfg.get("datasets") or [])
    ours = [i for i, e in enumerate(entries) if _entry_type(e) == DATASET_TYPE]
    if cfg.get("needles_mix_ratio") is not None and len(ours) == len(entries):
        raise ValueError(
            "needles_mix_ratio: mixing needs at least one other `datasets:` entry (your own "
            "instruction data); drop needles_mix_ratio or add a dataset"
        )
    if cfg.get("needles_mix_ratio") is None and cfg.get("needles_num_samples") is None:
        raise ValueError(
            "needles_num_samples: set the number of synthetic training samples "
            "(e.g. needles_num_samples: 350) or needles_mix_ratio when mixing with your data"
        )
    train_path = str(write_spec(build_spec(cfg, "train"), prepared))
    if not entries:
        entries = [{"path": train_path, "type": DATASET_TYPE}]
    for i in ours:
        entry = dict(entries[i])
        entry["path"] = train_path
        entry.pop("data_files", None)
        entries[i] = entry
    cfg["datasets"] = entries
    if cfg.get("needles_eval_samples"):
        if cfg.get("test_datasets") or cfg.get("val_set_size"):
            raise ValueError(
                "needles_eval_samples: the config already has test_datasets or val_set_size; "
                "use only one way of making the eval split"
            )
        eval_path = str(write_spec(build_spec(cfg, "eval"), prepared))
        cfg["test_datasets"] = [{"path": eval_path, "type": DATASET_TYPE, "split": "train"}]
