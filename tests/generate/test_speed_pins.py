"""Generated data stays byte-identical through speed work (issue 10).

The hashes were taken before the speed changes (cached calibration and number counts, worker
pool, additive counting): the samples themselves (prompt, answer, token count, gold fields) and
the paper-preset JSONL file. A change of them is a change of the datasets for the same seed.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from artificial_needles.generate import generate_file, make_generator

SAMPLE_FIELDS = ("num_tokens", "num_dicts", "gold_key", "gold_value", "gold_position")

#: (task, preset, overrides) -> sha256 of the samples (embedded tokenizer); fill mode included.
SAMPLE_PINS = {
    ("simple-kv", "paper-mistral", (("num_samples", 60),)): (
        "d5cbb0b02c67b5f1334948091835329ba06e1091466b73d405f28db76fd5f685"
    ),
    ("multi-subkey-kv", "paper-gpt35", (("num_samples", 30),)): (
        "c40356b8c585d8c9b329235ad9ba6352b50c5b9ae08aa58719f1190399cc4a65"
    ),
    ("simple-kv", None, (("num_samples", 40), ("max_tokens", 8192))): (
        "f4ce80e4c3bd0818abb7d5eafafded9cab7e10cb8c3979e59348874564d05116"
    ),
    ("multi-subkey-kv", None, (("num_samples", 30), ("max_tokens", 8192))): (
        "a3b0be22edc945ffc3c2b152b3467129955aed04d0632cd679d959c60a21cf72"
    ),
    (
        "simple-kv",
        "paper-mistral",
        (("num_samples", 30), ("num_dicts", None), ("max_tokens", 16384)),
    ): "950183c99b5f7ef2e8d554a32fad89d3690021cfc694a6c33620fc1cd3020896",
}

#: (task, preset, num_samples) -> sha256 of the JSONL file (embedded tokenizer, default format).
FILE_PINS = {
    ("simple-kv", "paper-mistral", 60): (
        "44e31b01fa850098dba69cbdbeb4601ecb9930769f1df462695d6bc819eb41e2"
    ),
    ("multi-subkey-kv", "paper-gpt35", 30): (
        "b54d9789196ba0d5895202e4edf709887edaff73bf4688bc7aa4549fb7d3bdac"
    ),
}


def samples_digest(task: str, preset: str | None, overrides: dict, tokenizer=None) -> str:
    h = hashlib.sha256()
    gen = make_generator(task, preset=preset, overrides=overrides, tokenizer=tokenizer)
    for s in gen.iter_samples():
        fields = [s.prompt, s.answer, *(repr(s.meta[k]) for k in SAMPLE_FIELDS)]
        h.update(json.dumps(fields).encode() + b"\n")
    return h.hexdigest()


@pytest.mark.parametrize("key", list(SAMPLE_PINS), ids=lambda k: f"{k[0]}-{k[1]}-{len(k[2])}")
def test_samples_pinned(key):
    task, preset, overrides = key
    assert samples_digest(task, preset, dict(overrides)) == SAMPLE_PINS[key]


@pytest.mark.parametrize("key", list(FILE_PINS), ids=lambda k: k[1])
def test_paper_preset_file_pinned(tmp_path, key):
    task, preset, n = key
    out = tmp_path / "out.jsonl"
    generate_file(task, out, preset=preset, overrides={"num_samples": n})
    assert hashlib.sha256(out.read_bytes()).hexdigest() == FILE_PINS[key]
