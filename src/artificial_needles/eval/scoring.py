"""Every scorer of the evaluation tasks, usable without lm-eval (docs/formats.md).

The rule: answer parsing and per-document scores of every benchmark family live here; the
``data`` modules build documents and the lm-eval adapters only call these.

* :func:`best_subspan_em` - MDQA ("Lost in the Middle"): 1.0 if any normalized gold answer is a
  substring of the normalized first line of the output.
* :func:`flenqa_answer` - FLenQA ("Same Task, More Tokens"): ``"true"``, ``"false"`` or ``None``
  (other/refused), whichever of true/false occurs last after normalization.
* :func:`parse_kv_answer` - synthetic dictionary retrieval: the value and dictionary name stated in
  free text; :func:`parse_kv_key` - the tuple key a multi-subkey answer reports.
* :func:`read_key_answers` - what a multi-query / multi-hop answer states about each key.
* :func:`score_mdqa`, :func:`score_flenqa`, :func:`score_kv`, :func:`score_multiquery`,
  :func:`score_multihop` - one document's metrics.
* :func:`bucket_metrics`, :func:`bucket_mean` - per-bucket metrics (per length, depth...).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """Lowercase, delete ASCII punctuation, replace a/an/the with a space, collapse whitespace."""
    text = text.lower().translate(_PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def best_subspan_em(prediction: str, answers: Iterable[str]) -> float:
    """MDQA score: the output up to its first newline, stripped and normalized, contains a
    normalized gold answer (1.0) or not (0.0). A leading newline therefore scores 0."""
    first_line = prediction.split("\n", 1)[0].strip()
    norm = normalize_answer(first_line)
    return 1.0 if any(normalize_answer(a) in norm for a in answers) else 0.0


def flenqa_answer(output: str) -> str | None:
    """FLenQA answer of a model output: ``"true"``, ``"false"`` or ``None`` (neither found).

    Lowercase; replace the words a/an/the with a space; collapse whitespace; replace
    ``not true`` with ``false``; the answer is whichever of ``true``/``false`` occurs last, as a
    substring (so, as in the reference, ``untrue`` counts as ``true``).
    """
    text = _ARTICLES.sub(" ", output.lower())
    text = " ".join(text.split()).replace("not true", "false")
    last_true, last_false = text.rfind("true"), text.rfind("false")
    if last_true < 0 and last_false < 0:
        return None
    return "true" if last_true > last_false else "false"


def flenqa_label(label: str | bool) -> str:
    """The lowercased gold label (``"true"``/``"false"``) of a record's ``label`` field."""
    if isinstance(label, bool):
        return "true" if label else "false"
    return str(label).strip().lower()


@dataclass(frozen=True)
class KVAnswer:
    """Value and dictionary name read from a free-text KV retrieval answer (None: not found)."""

    value: int | None
    dict_name: int | None


_DICT = re.compile(r"dictionary\s*\[?\s*(-?\d+)\s*\]?", re.IGNORECASE)
_VALUE = re.compile(
    r"value(?:\s+of\s+(?:the\s+)?key\s+(?:\([^)]*\)|\S+))?\s+is\s*:?\s*(-?\d+)", re.IGNORECASE
)
_INT = re.compile(r"-?\d+")


def parse_kv_answer(output: str, exclude: Iterable[int] = ()) -> KVAnswer:
    """Read the value and the dictionary from a model's answer to a KV retrieval question.

    Dictionary: the first ``Dictionary [N]`` (brackets optional). Value: the number after
    ``value ... is`` (as in the answer template); failing that, the first integer of the output
    that is neither in ``exclude`` (the queried key or subkeys) nor the dictionary mention.
    """
    d = _DICT.search(output)
    dict_name = int(d.group(1)) if d else None
    v = _VALUE.search(output)
    if v:
        return KVAnswer(int(v.group(1)), dict_name)
    skip = set(exclude)
    for m in _INT.finditer(output):
        if d and d.start() <= m.start() < d.end():
            continue
        n = int(m.group(0))
        if n not in skip:
            return KVAnswer(n, dict_name)
    return KVAnswer(None, dict_name)


#: Per-bucket metric value of a document outside the bucket (lm-eval needs every metric of a
#: task reported for every document, or it miscounts the task's size).
MISSING = -1.0


def bucket_metrics(score: float, own: Iterable[str], all_keys: Iterable[str]) -> dict[str, float]:
    """``score`` under each key in ``own`` and :data:`MISSING` under the other ``all_keys``."""
    mine = set(own)
    return {k: (score if k in mine else MISSING) for k in all_keys}


def bucket_mean(values: Iterable[float]) -> float:
    """Mean of the values that are not :data:`MISSING`; :data:`MISSING` if there are none
    (the bucket had no documents in this run)."""
    kept = [v for v in values if v != MISSING]
    return sum(kept) / len(kept) if kept else MISSING


def bucket_keys(own_keys: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """The distinct bucket keys of a run, in first-seen order (``own_keys``: one per doc)."""
    return tuple(dict.fromkeys(k for keys in own_keys for k in keys))


def _with_buckets(
    base: dict[str, float], score: float, own: Iterable[str], all_keys: Iterable[str] | None
) -> dict[str, float]:
    own = tuple(own)
    return {**base, **bucket_metrics(score, own, own if all_keys is None else all_keys)}


def score_mdqa(doc: dict, output: str) -> dict[str, float]:
    """``best_subspan_em`` of one MDQA document."""
    return {"best_subspan_em": best_subspan_em(output, doc["answers"])}


def flenqa_buckets(doc: dict) -> tuple[str, ...]:
    """A FLenQA doc's own buckets: ``acc_ctx_<n>``, ``acc_dispersion_<d>``, ``acc_padding_<p>``."""
    return (
        f"acc_ctx_{doc['ctx_size']}",
        f"acc_dispersion_{doc['dispersion']}",
        f"acc_padding_{doc['padding_type']}",
    )


def score_flenqa(doc: dict, output: str, all_keys: Iterable[str] | None = None) -> dict[str, float]:
    """``acc`` and accuracy under the doc's own buckets; with ``all_keys`` (the run's buckets),
    :data:`MISSING` under the others."""
    acc = float(flenqa_answer(output) == doc["label"])
    return _with_buckets({"acc": acc}, acc, flenqa_buckets(doc), all_keys)


def kv_buckets(doc: dict) -> tuple[str, ...]:
    """A KV doc's own buckets: ``acc_<max_length>`` and ``acc_depth_<percent>``."""
    return (f"acc_{doc['max_length']}", f"acc_depth_{doc['depth']}")


_TUPLE = re.compile(r"\(\s*(-?\d+(?:\s*,\s*-?\d+)*)\s*,?\s*\)")


def parse_kv_key(output: str) -> tuple[int, ...] | None:
    """The first parenthesised tuple of integers in ``output`` (a multi-subkey answer's key)."""
    m = _TUPLE.search(output)
    return tuple(int(x) for x in m.group(1).split(",")) if m else None


def score_kv(doc: dict, output: str, all_keys: Iterable[str] | None = None) -> dict[str, float]:
    """``acc`` (value and dictionary right), ``value_acc``, ``dict_acc``; for multi-subkey also
    ``key_acc`` (the reported tuple key is the gold key, as printed); and ``acc`` under the
    doc's own length and depth bucket (with ``all_keys``: :data:`MISSING` under the others)."""
    got = parse_kv_answer(output, doc["exclude"])
    value_ok = float(got.value == doc["gold_value"])
    dict_ok = float(got.dict_name == doc["gold_dict_name"])
    acc = value_ok * dict_ok
    base = {"acc": acc, "value_acc": value_ok, "dict_acc": dict_ok}
    if doc.get("task") == "multi-subkey-kv":
        key = parse_kv_key(output)
        base["key_acc"] = float(key is not None and repr(key) == doc["gold_key"])
    return _with_buckets(base, acc, kv_buckets(doc), all_keys)


_KEY_MENTION = re.compile(r"\bkey\s+(-?\d+)", re.IGNORECASE)
_CHAIN_END = re.compile(r"end\s+of\s+the\s+chain\s+is\s*:?\s*(-?\d+)", re.IGNORECASE)


def read_key_answers(output: str, keys: list[int]) -> list[KVAnswer]:
    """What ``output`` states about each of ``keys``: the value and dictionary read
    (:func:`parse_kv_answer`, the keys excluded) from the text after the first ``key <k>``
    mention up to the next key mention; for a key never mentioned, from the output's line at
    the key's place when that line mentions no key (the template asks one line per key, in
    order), else nothing (both None)."""
    mentions = list(_KEY_MENTION.finditer(output))
    after: dict[int, str] = {}
    ends = [m.start() for m in mentions[1:]] + [len(output)] * bool(mentions)
    for m, end in zip(mentions, ends, strict=True):
        after.setdefault(int(m.group(1)), output[m.end() : end])
    lines = [line for line in output.split("\n") if line.strip()]
    out = []
    for i, key in enumerate(keys):
        text = after.get(key, lines[i] if i < len(lines) else "")
        if key not in after and _KEY_MENTION.search(text):
            text = ""  # that line is about another key
        out.append(parse_kv_answer(text, keys))
    return out


def _step_scores(prefix: str, got: list[KVAnswer], values, names) -> tuple[list[float], dict]:
    oks = [
        float(g.value == v and g.dict_name == n) for g, v, n in zip(got, values, names, strict=True)
    ]
    return oks, {f"{prefix}_{i}": ok for i, ok in enumerate(oks, 1)}


def multiquery_steps(doc: dict) -> tuple[str, ...]:
    """The per-query metrics of a multi-query doc: ``query_acc_<i>`` (i-th asked key right)."""
    return tuple(f"query_acc_{i}" for i in range(1, len(doc["query_keys"]) + 1))


def multihop_steps(doc: dict) -> tuple[str, ...]:
    """The per-hop metrics of a multi-hop doc: ``hop_acc_<i>`` (lookup i right)."""
    return tuple(f"hop_acc_{i}" for i in range(1, len(doc["chain_keys"]) + 1))


def score_multiquery(
    doc: dict, output: str, all_keys: Iterable[str] | None = None
) -> dict[str, float]:
    """``acc`` (every queried key's value and dictionary right), ``query_acc`` (share of the
    keys right), ``value_acc`` / ``dict_acc`` (share of values / dictionaries right) and
    ``query_acc_<i>`` per asked key; ``acc`` under the doc's length and depth bucket."""
    keys = doc["query_keys"]
    got = read_key_answers(output, keys)
    oks, steps = _step_scores("query_acc", got, doc["query_values"], doc["query_dict_names"])
    n = len(keys)
    base = {
        "acc": float(all(oks)),
        "query_acc": sum(oks) / n,
        "value_acc": sum(g.value == v for g, v in zip(got, doc["query_values"], strict=True)) / n,
        "dict_acc": sum(
            g.dict_name == d for g, d in zip(got, doc["query_dict_names"], strict=True)
        )
        / n,
        **steps,
    }
    return _with_buckets(base, base["acc"], kv_buckets(doc), all_keys)


def score_multihop(
    doc: dict, output: str, all_keys: Iterable[str] | None = None
) -> dict[str, float]:
    """``acc`` (the value at the end of the chain: the ``end of the chain is`` line, else what
    the answer states for the last key of the chain), ``chain_acc`` (every lookup right) and
    ``hop_acc_<i>`` (lookup i: the dictionary holding the i-th key of the chain and its
    value); ``acc`` under the doc's length and depth bucket."""
    keys = doc["chain_keys"]
    got = read_key_answers(output, keys)
    oks, steps = _step_scores("hop_acc", got, doc["chain_values"], doc["chain_dict_names"])
    end = _CHAIN_END.search(output)
    final = int(end.group(1)) if end else got[-1].value
    acc = float(final == doc["gold_value"])
    base = {"acc": acc, "chain_acc": float(all(oks)), **steps}
    return _with_buckets(base, acc, kv_buckets(doc), all_keys)
