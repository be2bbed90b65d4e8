"""Pinned outputs: the samples and files of fixed configs and seeds hash to fixed values.

The hashes cover the samples themselves (prompt, answer, token count, gold fields) and the
paper-preset JSONL file, as the generators write them with the train/eval data domains. A
change of them is a change of the datasets for the same seed: a refactor or a speed-up of the
generators must leave them byte-identical.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from artificial_needles.generators.build import generate_file, make_generator

SAMPLE_FIELDS = ("num_tokens", "num_dicts", "gold_key", "gold_value", "gold_position")

#: (task, preset, overrides) -> sha256 of the samples (embedded tokenizer); fill mode included.
SAMPLE_PINS = {
    ("simple-kv", "paper-mistral", (("num_samples", 60),)): (
        "bbda181923823501d48a47b770cadf268e309cb74e7bff82dff676268d120fb7"
    ),
    ("multi-subkey-kv", "paper-gpt35", (("num_samples", 30),)): (
        "7cbda5fce7cb2696b8cde48943242e303ab3157dd36a979e49821635238e2019"
    ),
    ("simple-kv", None, (("num_samples", 40), ("max_tokens", 8192))): (
        "2c27078404c15602c0c16b1e21317465c2cea3bcc4774e75690189575e0d963a"
    ),
    ("multi-subkey-kv", None, (("num_samples", 30), ("max_tokens", 8192))): (
        "61f12e88bb9d6d04bcd734a83a794d9fbca934b6828edfdeead90cba9e1a9bbf"
    ),
    (
        "simple-kv",
        "paper-mistral",
        (("num_samples", 30), ("num_dicts", None), ("max_tokens", 16384)),
    ): "b6172fb515d2d9a3d937143af7381c88a60d552e9d16a27d60d5bff04038fdfc",
}

#: (task, preset, num_samples) -> sha256 of the JSONL file (embedded tokenizer, default format).
FILE_PINS = {
    ("simple-kv", "paper-mistral", 60): (
        "305033f7e99a9841f05be5cb8044bc15bf1489d5be1189bdc7276f68ee08e658"
    ),
    ("multi-subkey-kv", "paper-gpt35", 30): (
        "25d61e02521a79ae1240decdf38025de1bb2303cbf1fa4af36eed2997fcdda1f"
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


@pytest.mark.parametrize("tokenizer", ["embedded", "hf"])
def test_workers_write_the_same_bytes(tmp_path, tiny_tokenizer_dir, tokenizer):
    """Forked (Linux) or spawned workers: the file is the one process's, byte for byte."""
    tok = None if tokenizer == "embedded" else str(tiny_tokenizer_dir)
    over = {"num_samples": 70, "max_tokens": 1024}
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    generate_file("simple-kv", one, overrides=over, tokenizer=tok, num_workers=1)
    generate_file("simple-kv", two, overrides=over, tokenizer=tok, num_workers=2)
    assert one.read_bytes() == two.read_bytes()


def test_spawned_workers_write_the_same_bytes(tmp_path, monkeypatch):
    """The start method used where fork is not safe (macOS, Windows) builds its own generator."""
    from artificial_needles.generators import build as generate

    monkeypatch.setattr(generate, "pool_start_method", lambda: "spawn")
    over = {"num_samples": 40, "max_tokens": 1024}
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    generate_file("multi-subkey-kv", one, overrides=over, num_workers=1)
    generate_file("multi-subkey-kv", two, overrides=over, num_workers=2)
    assert one.read_bytes() == two.read_bytes()
