"""Pinned KV eval documents: the documents of fixed metadata hash to fixed values.

The hashes are those of the documents built with a fresh generator per cell (no caching across
cells) in the eval data domain; any change of them is a change of the eval set and must come
with a task version bump.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from artificial_needles.eval.kv_docs import build_kv_docs
from artificial_needles.tokens.counter import load_tokenizer

#: (task, lengths, depth_buckets, num_samples) -> sha256 of the docs as sorted-key JSON lines.
PINS = {
    ("simple-kv", (1024, 2048), 4, 3): (
        "683b049b53f64938b67e991e221b6d52264c6c62e8b64549c79446c371db3d7b"
    ),
    ("multi-subkey-kv", (1024, 2048), 4, 3): (
        "2b9cd313c0c68de31e169718bc82399905c2eccc19b88c543b154bd72aaa3a6f"
    ),
}


def docs_digest(docs: list[dict]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(json.dumps(d, sort_keys=True).encode() + b"\n")
    return h.hexdigest()


@pytest.mark.parametrize("key", list(PINS), ids=lambda k: f"{k[0]}-{k[2]}x{k[3]}")
def test_kv_eval_docs_pinned(key):
    task, lengths, buckets, n = key
    docs = build_kv_docs(task, load_tokenizer(None), lengths, buckets, n, seed=0, margin=100)
    assert len(docs) == len(lengths) * buckets * n
    assert docs_digest(docs) == PINS[key]


def test_small_and_large_runs_share_their_docs():
    """A cell's docs do not depend on which other lengths a run asked for (the cache too)."""
    counter = load_tokenizer(None)
    both = build_kv_docs("simple-kv", counter, (1024, 2048), 2, 2)
    alone = build_kv_docs("simple-kv", counter, (2048,), 2, 2)
    assert [d for d in both if d["max_length"] == 2048] == alone


def test_hf_backend_counts_exactly(tiny_tokenizer_dir):
    """The Rust-backend fast path of a fast HF tokenizer counts what the tokenizer call counts,
    and the KV docs it builds are those of the tokenizer call."""
    counter = load_tokenizer(str(tiny_tokenizer_dir))
    assert counter._fast is not None  # a fast tokenizer: the backend path is on
    docs = build_kv_docs("simple-kv", counter, (512,), 2, 3)
    prompts = [d["prompt"] for d in docs]
    tok = counter.tokenizer
    assert counter.count_many(prompts) == [len(x) for x in tok(prompts)["input_ids"]]
    assert [d["num_tokens"] for d in docs] == [len(tok(p)["input_ids"]) for p in prompts]
    plain = [len(x) for x in tok(prompts, add_special_tokens=False)["input_ids"]]
    assert counter.encode_len_many(prompts) == plain
    assert counter.encode_len(prompts[0]) == plain[0]
    slow = load_tokenizer(str(tiny_tokenizer_dir))
    slow._fast = None
    assert build_kv_docs("simple-kv", slow, (512,), 2, 3) == docs


def test_backend_path_steps_aside_when_truncating(tiny_tokenizer_dir):
    counter = load_tokenizer(str(tiny_tokenizer_dir))
    text = "Dictionary [1] {123: 456} " * 50
    full = counter.encode_len(text)
    counter.tokenizer.backend_tokenizer.enable_truncation(8)
    try:
        assert counter._fast([text], False) is None
        assert counter.encode_len(text) == full  # the tokenizer call resets truncation
    finally:
        counter.tokenizer.backend_tokenizer.no_truncation()


def test_caches_shared_by_tokenizer_identity(tiny_tokenizer_dir):
    """Loading the same tokenizer again reuses its number counts and fits; docs are unchanged."""
    a, b = load_tokenizer(str(tiny_tokenizer_dir)), load_tokenizer(str(tiny_tokenizer_dir))
    assert a.identity() == b.identity() is not None
    first = build_kv_docs("simple-kv", a, (512,), 2, 2)
    assert b.caches is a.caches and a.caches.numbers and a.caches.fits and a.caches.verdicts
    assert build_kv_docs("simple-kv", b, (512,), 2, 2) == first
    assert load_tokenizer(None).identity() != a.identity()


def test_disk_cache_is_exact(tmp_path, monkeypatch, tiny_tokenizer_dir):
    """Number counts and fits kept on disk give the same docs as a cold start, for both kinds
    of tokenizer; a corrupt cache file is ignored."""
    from artificial_needles.tokens import cache as token_fast

    monkeypatch.setenv(token_fast.CACHE_ENV, str(tmp_path / "cache"))
    for spec in (None, str(tiny_tokenizer_dir)):
        token_fast.clear_caches()
        cold = build_kv_docs("multi-subkey-kv", load_tokenizer(spec), (700,), 2, 2)
        token_fast.clear_caches()  # writes the file
        files = sorted((tmp_path / "cache").glob("tokens-*.json"))
        assert files
        warm = build_kv_docs("multi-subkey-kv", load_tokenizer(spec), (700,), 2, 2)
        assert warm == cold
    bad_numbers = {"format": token_fast.FORMAT, "numbers": [["7"], [3]], "number_ranges": []}
    for bad in ("{not json", json.dumps(bad_numbers), '{"format": 2, "numbers": [[7], [3]]}'):
        for f in files:
            f.write_text(bad)
        token_fast.clear_caches()
        assert build_kv_docs("multi-subkey-kv", load_tokenizer(spec), (700,), 2, 2) == cold
    monkeypatch.setenv(token_fast.CACHE_ENV, "off")
    token_fast.clear_caches()
    assert token_fast.cache_dir() is None
    assert build_kv_docs("multi-subkey-kv", load_tokenizer(spec), (700,), 2, 2) == cold
    token_fast.clear_caches()
