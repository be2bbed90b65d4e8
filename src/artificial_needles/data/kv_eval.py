"""Evaluation documents of the synthetic KV retrieval tasks, sized by the evaluated model.

For each length ``L`` in ``max_seq_lengths`` and each of ``depth_buckets`` equal slices of the
dictionary list, ``num_samples`` prompts are generated with the core generators: the prompt fits
``L - margin`` tokens of the given tokenizer and the gold dictionary lies inside the slice.

Document schema (one dict per prompt)::

    {"prompt": str, "answer": str, "task": "simple-kv" | "multi-subkey-kv",
     "max_length": int, "depth": int (slice start in percent: 0, 10, ... 90),
     "gold_value": int, "gold_dict_name": int, "gold_key": str (as printed),
     "exclude": [int, ...] (numbers of the question: the key or its subkeys),
     "gold_position": int, "num_dicts": int, "num_tokens": int, "index": int}

Evaluation draws from its own seed domain: cell (length ``L``, bucket ``b`` of ``B``) uses the
generator seed :func:`cell_seed` = a 64-bit hash of ``("eval", task, seed, L, B, b)``, so the
documents are identical on every machine, do not depend on which other lengths were requested,
and cannot coincide with a training set generated with any practical seed (< 2**32; training
draws with the dataset seed itself). Version 1.0 of the tasks used ``seed * 10_000 + cell``,
which reproduced training samples 0-19 of seeds 0, 1, 2 (issue 8).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.seeding import sample_seed
from artificial_needles.tokens import TokenCounter

DEFAULT_LENGTHS = (4096,)
#: Most depth buckets (their names are whole percents, which must stay distinct).
MAX_BUCKETS = 100


def cell_seed(task: str, seed: int, length: int, buckets: int, bucket: int) -> int:
    """Generator seed of one eval cell: 64-bit, in the "eval" domain (>= 2**32 in practice)."""
    return sample_seed(seed, bucket, f"eval/{task}/{length}/{buckets}") | (1 << 63)


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
    """All documents for ``task`` (``simple-kv`` or ``multi-subkey-kv``), lengths outermost."""
    from artificial_needles.generate import make_generator

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
            gen = make_generator(task, overrides=cfg, tokenizer=counter)
            for s in gen.iter_samples():
                docs.append(_doc(s.prompt, s.answer, s.meta, length, start))
    return docs


def _doc(prompt: str, answer: str, meta: dict[str, Any], length: int, depth: int):
    key = meta["gold_key"]
    if isinstance(key, (tuple, list)):
        key_text = repr(tuple(key))
        exclude = [*key, *meta.get("query_subkeys", [])]
    else:
        key_text, exclude = str(key), [key]
    return {
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
