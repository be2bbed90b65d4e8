"""One definition of gold depth (issue 19, papercut 8): the summary histogram counts a sample at
the depths the sampler would pick it for, so ``--gold-depth 0.4 0.5`` fills the 40-50% bar."""

from __future__ import annotations

import random
import re

from hypothesis import given
from hypothesis import strategies as st

from artificial_needles.cli.main import main
from artificial_needles.generators.build import Summary
from artificial_needles.generators.draw import choose_position, depth_indices
from artificial_needles.generators.options import build_config


def _bars(err: str) -> dict[int, int]:
    rows = re.findall(r"^\s*(\d+)-\s*\d+%\s+(\d+)", err, re.MULTILINE)
    return {int(start): int(count) for start, count in rows}


def test_requested_depth_fills_its_bar(tmp_path, capsys):
    args = ["generate", "simple-kv", "--gold-position", "depth", "--gold-depth", "0.4", "0.5"]
    args += ["--max-tokens", "1024", "--num-samples", "20", "-o", str(tmp_path / "d.jsonl")]
    assert main(args) == 0
    bars = _bars(capsys.readouterr().err)
    assert sorted(bars) == list(range(0, 100, 10))
    assert bars[40] == 20  # every sample is at the depth it was drawn for


@given(n=st.integers(1, 80), decile=st.integers(0, 9), seed=st.integers(0, 2**32))
def test_sampler_and_histogram_agree(n, decile, seed):
    lo, hi = decile / 10, (decile + 1) / 10
    cfg = build_config("simple-kv", overrides={"gold_position": "depth", "gold_depth": (lo, hi)})
    index = choose_position(cfg, n, random.Random(seed))
    assert index in depth_indices(lo, hi, n)
    summary = Summary(budget=1)
    summary.add({"num_tokens": 1, "gold_position": index + 1, "num_dicts": n})
    assert summary.depths[decile] == 1
