"""Near-miss numbers (issue 20, item 2): exactly one digit away, same length, never the gold
number or a reserved one, in the domain's class."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from artificial_needles.generators.near_miss import one_digit_apart, one_digit_away
from artificial_needles.seeding import number_class


@given(st.integers(0, 10**12), st.integers(0, 2**32), st.sampled_from([None, 0, 1]))
def test_one_digit_away(n, seed, cls):
    rng = random.Random(seed)
    avoid = {n + 1, n - 1}
    m = one_digit_away(rng, n, cls, avoid)
    if m is None:  # only a one-digit number can run out of candidates
        assert n < 10
        return
    assert m != n and m not in avoid
    assert one_digit_apart(m, n)
    assert len(str(m)) == len(str(n))
    assert cls is None or number_class(m) == cls


def test_every_position_and_digit_is_reached():
    rng = random.Random(0)
    seen = {one_digit_away(rng, 1234) for _ in range(3000)}
    assert len(seen) == 9 * 4 - 1  # no leading zero
    assert all(one_digit_apart(m, 1234) for m in seen)


def test_one_digit_apart():
    assert one_digit_apart(1234, 1284)
    assert not one_digit_apart(1234, 1234)
    assert not one_digit_apart(1234, 2235)
    assert not one_digit_apart(123, 1230)
