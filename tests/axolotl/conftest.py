"""Axolotl tests: configs whose ``base_model`` is a relative placeholder get a local tokenizer."""

from __future__ import annotations

import axolotl_cfg
import pytest


@pytest.fixture(autouse=True)
def _local_base_model(tiny_tokenizer_dir):
    axolotl_cfg.LOCAL_BASE = str(tiny_tokenizer_dir)
    yield
    axolotl_cfg.LOCAL_BASE = None
