"""Evaluation documents of the synthetic KV retrieval tasks, sized by the evaluated model.

For each length ``L`` in ``max_seq_lengths`` and each of ``depth_buckets`` equal slices of the
dictionary list, ``num_samples`` prompts are generated with the core generators: the prompt fits
``L - margin`` tokens of the given tokenizer and the gold dictionary lies inside the slice.

Document schema (one dict per prompt)::

    {"prompt": str, "answer": str, "task": str (the generator),
     "max_length": int, "depth": int (slice start in percent: 0, 10, ... 90),
     "gold_value": int, "gold_dict_name": int, "gold_key": str (as printed),
     "exclude": [int, ...] (numbers of the question: the key or its subkeys),
     "gold_position": int, "num_dicts": int, "num_tokens": int, "index": int}

plus, for ``multi-query-kv``, ``"query_keys"``, ``"query_values"``, ``"query_dict_names"`` (lists
of ints in the asked order) and, for ``multi-hop-kv``, ``"chain_keys"``, ``"chain_values"``,
``"chain_dict_names"`` (one entry per lookup; ``gold_value`` is the value at the end of the
chain): :data:`DOC_HOOKS` adds them from the sample's metadata.

Evaluation is its own data domain (:mod:`artificial_needles.seeding`). Its generators are made
with ``domain="eval"``: every key of a document is in the evaluation class of the key space,
which no training sample ever prints (training keys are all in the other class), and every value
in the evaluation value class, which no Axolotl validation sample prints. So no document's gold
pair or gold dictionary line can occur in training data of any seed, index or preset; separate
random streams alone could not promise that (ten seeds of 10,000 paper-sized training samples
print a large share of the ~10**8 pairs). Cell (length ``L``, bucket ``b`` of ``B``) uses the
generator seed :func:`cell_seed`, a 64-bit hash of ``("eval", task, seed, L, B, b)``, so the
documents are identical on every machine and do not depend on which other lengths were
requested. Version 1.0 of the tasks used ``seed * 10_000 + cell``, which reproduced training
samples 0-19 of seeds 0, 1, 2 (issue 8).

Speed: a cell differs from the next only in its seed, gold depth and length, none of which
the generator's set-up (token-cost calibration, number counts) depends on, so one generator per
(task, tokenizer, overrides) is calibrated once per process and re-pointed at each cell's config
(:func:`cell_generator`); a run of 5 docs per bucket costs about what 50 per bucket cost per doc.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from artificial_needles.errors import NeedlesError
from artificial_needles.seeding import EVAL_SEED_BIT, sample_seed
from artificial_needles.tokens.counter import TokenCounter

if TYPE_CHECKING:
    from artificial_needles.generators.builder import Generator

DEFAULT_LENGTHS = (4096,)
#: Most depth buckets (their names are whole percents, which must stay distinct).
MAX_BUCKETS = 100


def cell_seed(task: str, seed: int, length: int, buckets: int, bucket: int) -> int:
    """Generator seed of one eval cell: 64-bit, from its own hash label (with
    :data:`~artificial_needles.seeding.EVAL_SEED_BIT` set)."""
    return sample_seed(seed, bucket, f"eval/{task}/{length}/{buckets}") | EVAL_SEED_BIT


def depth_starts(buckets: int) -> list[int]:
    """Start of each depth bucket in whole percent, e.g. ``[0, 33, 66]`` for 3."""
    if not 1 <= buckets <= MAX_BUCKETS:
        raise NeedlesError(f"depth_buckets {buckets}: use 1 to {MAX_BUCKETS}")
    return [100 * b // buckets for b in range(buckets)]


def build_kv_docs(
    task: str,
    counter: TokenCounter,
    max_seq_lengths: Sequence[int] = DEFAULT_LENGTHS,
    depth_buckets: int = 10,
    num_samples: int = 20,
    seed: int = 0,
    margin: int = 100,
    overrides: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """All documents for KV ``task`` (a generator name: ``simple-kv``, ``multi-subkey-kv``,
    ``multi-query-kv``, ``multi-hop-kv``), lengths outermost; ``overrides`` are generator
    fields (e.g. ``gold_dict_size``, ``hops``)."""
    if num_samples < 1:
        raise NeedlesError(f"num_samples {num_samples}: must be at least 1")
    lengths = list(dict.fromkeys(int(x) for x in max_seq_lengths))
    bad = [x for x in lengths if x <= margin]
    if bad:
        raise NeedlesError(f"max_seq_lengths {bad}: each length must exceed margin {margin}")
    starts = depth_starts(depth_buckets)
    docs: list[dict[str, Any]] = []
    for length in lengths:
        for b, start in enumerate(starts):
            cfg = {
                "num_samples": num_samples,
                "max_tokens": length,
                "margin": margin,
                "gold_position": "depth",
                "gold_depth": (b / depth_buckets, (b + 1) / depth_buckets),
                "answer_template": True,
                "seed": cell_seed(task, seed, length, depth_buckets, b),
                **(overrides or {}),
            }
            gen = cell_generator(task, counter, cfg, overrides)
            for s in gen.iter_samples():
                docs.append(_doc(s.prompt, s.answer, s.meta, length, start))
    return docs


#: Calibrated generators per tokenizer (dropped with the counter), by task and overrides.
_GENERATORS: weakref.WeakKeyDictionary[TokenCounter, dict[tuple[str, str], Generator]] = (
    weakref.WeakKeyDictionary()
)


def cell_generator(
    task: str,
    counter: TokenCounter,
    values: dict[str, Any],
    overrides: dict[str, Any] | None = None,
) -> Generator:
    """A generator of ``task`` with config ``values``, sharing the set-up of the first one made
    for the same tokenizer and ``overrides`` (seed, depth and length never enter the
    calibration or the number counts), checked for feasibility."""
    from artificial_needles.generators.build import build_config, make_generator

    per_counter = _GENERATORS.setdefault(counter, {})
    key = (task, repr(sorted((overrides or {}).items())))
    first = per_counter.get(key)
    if first is None:
        gen = per_counter[key] = make_generator(
            task, overrides=values, tokenizer=counter, domain="eval"
        )
        return gen
    return first.with_config(build_config(task, None, values))


def _linked_names(meta: dict[str, Any]) -> list[int]:
    """The gold dictionary's name, then those of the linked dictionaries (the answer order)."""
    return [int(meta["gold_dict_name"]), *map(int, meta.get("linked_dict_names", []))]


def multiquery_fields(meta: dict[str, Any]) -> dict[str, Any]:
    """The doc fields of a ``multi-query-kv`` sample: the asked keys, values and dictionaries."""
    return {
        "query_keys": [int(k) for k in meta["query_keys"]],
        "query_values": [int(v) for v in meta["query_values"]],
        "query_dict_names": _linked_names(meta),
        "exclude": [int(k) for k in meta["query_keys"]],
    }


def multihop_fields(meta: dict[str, Any]) -> dict[str, Any]:
    """The doc fields of a ``multi-hop-kv`` sample: each lookup's key, value and dictionary."""
    return {
        "chain_keys": [int(k) for k in meta["chain_keys"]],
        "chain_values": [int(v) for v in meta["chain_values"]],
        "chain_dict_names": _linked_names(meta),
    }


#: Extra doc fields of a task's documents, from a sample's metadata (by generator name).
DOC_HOOKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "multi-query-kv": multiquery_fields,
    "multi-hop-kv": multihop_fields,
}


def _doc(prompt: str, answer: str, meta: dict[str, Any], length: int, depth: int):
    key = meta["gold_key"]
    if isinstance(key, (tuple, list)):
        key_text = repr(tuple(key))
        exclude = [*key, *meta.get("query_subkeys", [])]
    else:
        key_text, exclude = str(key), [key]
    doc = {
        "prompt": prompt,
        "answer": answer,
        "task": meta["task"],
        "max_length": length,
        "depth": depth,
        "gold_value": int(meta["gold_value"]),
        "gold_dict_name": int(meta["gold_dict_name"]),
        "gold_key": key_text,
        "exclude": [int(x) for x in exclude],
        "gold_position": int(meta["gold_position"]),
        "num_dicts": int(meta["num_dicts"]),
        "num_tokens": int(meta["num_tokens"]),
        "index": int(meta["index"]),
    }
    hook = DOC_HOOKS.get(meta["task"])
    return doc if hook is None else {**doc, **hook(meta)}
