"""The batch draw of simple-kv pairs gives the same numbers in pure Python and in numpy.

A short run draws in pure Python (no numpy import at start-up) and a long one switches to numpy
after a few batches (``tasks/pair_batch.py``): the switch must change nothing in the data, so
the two backends are compared number for number, float for float, and RNG state for RNG state,
and a fresh process that switches midway writes the pinned file.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_output_pins import FILE_PINS

from artificial_needles.generators.draw import digit_spans
from artificial_needles.generators.pair_batch import PURE_PYTHON_BATCHES, PairBatch
from artificial_needles.seeding import number_class

digits = st.tuples(st.integers(1, 4), st.integers(1, 4)).map(sorted).map(tuple)
sizes = st.tuples(st.integers(1, 6), st.integers(1, 6)).map(sorted).map(tuple)
classes = st.sampled_from([None, 0, 1])


def _batch(kd, vd, kc, vc, ds) -> PairBatch:
    top = 10 ** max(kd[1], vd[1])
    ntok = {n: 1 + len(str(n)) // 2 for n in range(top)}  # any exact counts will do
    return PairBatch(kd, vd, kc, vc, ds, ntok, (0.5, 1.25, 0.375))


@settings(max_examples=150, deadline=None)
@given(
    kd=digits,
    vd=digits,
    kc=classes,
    vc=classes,
    ds=sizes,
    count=st.integers(1, 40),
    seed=st.integers(0, 2**32),
    reserved=st.sets(st.integers(0, 99), max_size=6),
)
def test_python_and_numpy_draw_the_same(kd, vd, kc, vc, ds, count, seed, reserved):
    batch = _batch(kd, vd, kc, vc, ds)
    batch._np = batch._numpy_tables()
    r1, r2 = random.Random(seed), random.Random(seed)
    py = batch._draw_python(r1, reserved, count)
    np_ = batch._draw_numpy(r2, reserved, count)
    assert py == np_
    assert all(type(x) is float for x in py[3]) and all(type(x) is float for x in np_[3])
    assert r1.getstate() == r2.getstate()  # the sample's later draws are unchanged too
    keys, values, got_sizes, ests, raws = py
    assert all(type(x) is int for x in py[4]) and all(type(x) is int for x in np_[4])
    ntok = batch._ntok
    at = 0
    for size, raw in zip(got_sizes, raws, strict=True):  # the exact tokens of the numbers
        pairs = zip(keys[at : at + size], values[at : at + size], strict=True)
        assert raw == sum(ntok[k] + ntok[v] for k, v in pairs)
        at += size
    assert len(got_sizes) == count and sum(got_sizes) == len(keys) == len(values)
    assert all(ds[0] <= s <= ds[1] for s in got_sizes)
    assert not (set(keys) | set(values)) & reserved
    for nums, (lo, hi), cls in ((keys, kd, kc), (values, vd, vc)):
        assert all(lo <= len(str(n)) <= hi for n in nums)
        assert cls is None or all(number_class(n) == cls for n in nums)


def test_redraws_happen_and_agree():
    """One-digit keys and values with most of them reserved: many rounds of redraws."""
    batch = _batch((1, 1), (1, 1), None, None, (3, 4))
    batch._np = batch._numpy_tables()
    reserved = set(range(7))
    py = batch._draw_python(random.Random(5), reserved, 30)
    assert py == batch._draw_numpy(random.Random(5), reserved, 30)
    assert set(py[0]) | set(py[1]) <= {7, 8, 9}


def test_switches_to_numpy_after_the_pure_python_batches(monkeypatch):
    monkeypatch.delitem(sys.modules, "numpy", raising=False)  # numpy not imported "yet"
    batch = _batch((3, 4), (3, 4), 0, None, (3, 4))
    calls = []
    monkeypatch.setattr(batch, "_draw_python", lambda *a: calls.append("py") or ([],) * 5)
    monkeypatch.setattr(batch, "_draw_numpy", lambda *a: calls.append("np") or ([],) * 5)
    monkeypatch.setattr(batch, "_numpy_tables", lambda: {})
    for _ in range(PURE_PYTHON_BATCHES + 2):
        batch.draw(random.Random(0), set(), 3)
    assert calls == ["py"] * PURE_PYTHON_BATCHES + ["np", "np"]


def test_numpy_already_imported_is_used_at_once():
    import numpy  # noqa: F401  (imported: the first batch already goes to numpy)

    batch = _batch((3, 4), (3, 4), 0, None, (3, 4))
    batch.draw(random.Random(0), set(), 3)
    assert batch._np is not None


def _fresh_generate(tmp_path, n: int) -> tuple[bytes, bool]:
    """``generate`` in a new process: the file and whether numpy was ever imported."""
    out = tmp_path / f"fresh{n}.jsonl"
    code = (
        "import sys; from artificial_needles.cli.main import main\n"
        f"rc = main(['generate', 'simple-kv', '--preset', 'paper-mistral', '--num-samples', "
        f"'{n}', '--quiet', '-o', {str(out)!r}])\n"
        "print('numpy' in sys.modules); sys.exit(rc)"
    )
    # Its own on-disk cache: the first run fills it, as a user's first run would.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ARTIFICIAL_NEEDLES_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return out.read_bytes(), done.stdout.strip() == "True"


def test_fresh_process_switching_midway_writes_the_pinned_file(tmp_path):
    """60 samples: the first 16 drawn in pure Python, the rest in numpy; same bytes."""
    data, numpy_used = _fresh_generate(tmp_path, 60)
    assert numpy_used
    assert hashlib.sha256(data).hexdigest() == FILE_PINS[("simple-kv", "paper-mistral", 60)]


def test_short_run_never_imports_numpy(tmp_path):
    """A warm second run of a few samples starts without numpy and writes the same samples
    as the numpy path (the first lines of the pinned 60-sample file)."""
    _fresh_generate(tmp_path, 5)  # fills the on-disk caches, as a user's first run would
    data, numpy_used = _fresh_generate(tmp_path, 5)
    assert not numpy_used
    from artificial_needles.generators.build import generate_file

    ref = tmp_path / "ref.jsonl"
    generate_file("simple-kv", ref, preset="paper-mistral", overrides={"num_samples": 60})
    first = ref.read_bytes().splitlines(keepends=True)[:5]
    assert data == b"".join(first)
    assert [json.loads(line)["meta"]["index"] for line in data.splitlines()] == list(range(5))


@pytest.mark.parametrize("value_cls", [None, 1])
def test_tables_match_the_class_function(value_cls):
    batch = _batch((1, 4), (1, 4), 1, value_cls, (3, 4))
    tables = batch._numpy_tables()
    starts, widths, flip = tables["key"]
    assert starts.tolist() == [0, 10, 100, 1000] and widths.tolist() == [10, 90, 900, 9000]
    assert [int(flip[n]) ^ n for n in range(0, 10**4, 37)] == [
        n ^ number_class(n) ^ 1 for n in range(0, 10**4, 37)
    ]
    assert (tables["value"][2] is None) == (value_cls is None)
    assert digit_spans((2, 3)) == ([10, 100], [90, 900])
