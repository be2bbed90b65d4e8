"""Axolotl dataset type: synthetic KV retrieval rows generated for the training tokenizer.

The plugin fills in ``path`` (a spec file it writes, see :mod:`artificial_needles.axolotl.spec`);
parameters come from the top-level ``needles_*`` keys. Used alone (no ``datasets:`` key at all)
or mixed with your own data::

    plugins:
      - artificial_needles.axolotl.NeedlesPlugin
    needles_task: simple-kv
    needles_mix_ratio: 0.1        # 10% synthetic rows in the mix
    datasets:
      - path: my_instructions.jsonl
        type: chat_template
      - path: needles             # replaced by the plugin
        type: artificial_needles.axolotl.dataset

Rows: ``input_ids``, ``attention_mask``, ``labels`` (see :mod:`artificial_needles.axolotl.rows`).
Prompts are sized with the training tokenizer through its chat template to fit
``needles_max_tokens`` (default ``sequence_len``) minus the margin.
"""

from __future__ import annotations

import logging
from typing import Any

from axolotl.prompt_tokenizers import DatasetWrappingStrategy

from artificial_needles.axolotl.args import DATASET_TYPE
from artificial_needles.axolotl.rows import build_row
from artificial_needles.axolotl.spec import iter_split, read_spec, spec_generator

# A child of Axolotl's logger, so that its handlers show our messages.
LOG = logging.getLogger("axolotl.needles." + __name__.rsplit(".", 1)[-1])


def generate_rows(tokenizer: Any, spec: dict[str, Any], count: int, eot_tokens=()) -> Any:
    """A ``datasets.Dataset`` of ``count`` rows for ``spec`` (same inputs, same rows)."""
    import datasets

    from artificial_needles.errors import NeedlesError
    from artificial_needles.generators.build import Summary

    name = getattr(tokenizer, "name_or_path", "") or "axolotl-tokenizer"
    try:
        gen = spec_generator(spec, tokenizer, name)
    except NeedlesError as exc:
        raise ValueError(
            f"needles_* keys: {exc} (max_tokens is needles_max_tokens or sequence_len, margin "
            "is needles_margin, other fields are needles_overrides)"
        ) from exc
    summary = Summary(gen.cfg.budget)
    columns: dict[str, list[list[int]]] = {"input_ids": [], "attention_mask": [], "labels": []}
    for sample in iter_split(gen, spec, count):
        row = build_row(
            tokenizer, sample.prompt, sample.answer, sample.meta, spec["train_on"], eot_tokens
        )
        limit = sample.meta["max_tokens"]  # the sample's own budget (length mixtures)
        if len(row.input_ids) > limit:
            raise ValueError(
                f"needles_margin: sample {sample.meta['index']} has {len(row.input_ids)} tokens "
                f"with its answer, over needles_max_tokens/sequence_len {limit}; raise "
                f"needles_margin (now {gen.cfg.margin})"
            )
        for key, value in row.as_dict().items():
            columns[key].append(value)
        summary.add(sample.meta)
    LOG.info("needles %s split (%s):\n%s", spec["split"], spec["task"], summary.render())
    return datasets.Dataset.from_dict(columns)


def mix_count(cfg: Any, ratio: float) -> int:
    """Synthetic rows so that they make ``ratio`` of the mix with the other train datasets."""
    from axolotl.utils.data.shared import load_dataset_with_config

    others = 0
    for entry in cfg.datasets or []:
        if entry.get("type") == DATASET_TYPE:
            continue
        ds = load_dataset_with_config(entry, cfg.hf_use_auth_token)
        if hasattr(ds, "keys"):
            ds = ds[entry.get("split") or "train"]
        others += len(ds)
    return max(1, round(ratio / (1 - ratio) * others))


class NeedlesDatasetStrategy(DatasetWrappingStrategy):
    """Ignores the loaded rows but the spec in the first one; generates the split."""

    def __init__(self, tokenizer: Any, cfg: Any) -> None:
        self.tokenizer = tokenizer
        self.cfg = cfg

    def wrap_dataset(
        self, dataset, process_count: int | None = None, keep_in_memory: bool | None = False, **kw
    ):
        spec = read_spec(dataset[0])
        count = spec["count"]
        if spec.get("mix_ratio") is not None:
            count = mix_count(self.cfg, spec["mix_ratio"])
            LOG.info("needles_mix_ratio %s: %d synthetic rows", spec["mix_ratio"], count)
        eot = list(self.cfg.get("eot_tokens") or []) if self.cfg is not None else []
        return generate_rows(self.tokenizer, spec, int(count), eot)


def load(tokenizer: Any, cfg: Any, ds_cfg: dict[str, Any] | None = None) -> NeedlesDatasetStrategy:
    """Axolotl's entry point for ``type: artificial_needles.axolotl.dataset``."""
    return NeedlesDatasetStrategy(tokenizer, cfg)
