"""Fixtures of the packaging tests: our wheel and a rival wheel, built once per session."""

from __future__ import annotations

import pytest
from wheels import build_dummy_wheel, build_our_wheel


@pytest.fixture(scope="session")
def our_wheel(tmp_path_factory):
    """The artificial-needles wheel built from the working tree."""
    return build_our_wheel(tmp_path_factory.mktemp("our-wheel"))


@pytest.fixture(scope="session")
def dummy_wheel(tmp_path_factory):
    """A wheel of another project that ships top-level lm_eval_tasks and axolotl_plugins."""
    return build_dummy_wheel(tmp_path_factory.mktemp("dummy-wheel"))
