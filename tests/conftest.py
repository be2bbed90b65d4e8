"""Shared fixtures: tiny tokenizers and models built once per test session."""

from __future__ import annotations

import os

import pytest
from tiny import OFFLINE_ENV

for _key, _value in OFFLINE_ENV.items():
    os.environ.setdefault(_key, _value)


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory):
    """Directory of a fast BPE tokenizer (digits split, ChatML chat template)."""
    from tiny import build_tokenizer

    path = tmp_path_factory.mktemp("tiny-tokenizer")
    build_tokenizer(path)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """Directory of a random 2-layer Llama with the tiny tokenizer (ChatML)."""
    from tiny import build_model

    return build_model(tmp_path_factory.mktemp("tiny-model"))
