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


@given(st.integers(0, 2**32), st.sampled_from([0.0, 0.1, 0.5, 1.0]), st.sampled_from([0.0, 1.0]))
def test_apply_flat_replaces_in_place(seed, keys_share, values_share):
    from artificial_needles.generators.near_miss import NearMiss, neighbours

    rng = random.Random(seed)
    keys = [rng.randrange(1000, 10_000) for _ in range(200)]
    values = [rng.randrange(100, 1000) for _ in range(200)]
    before = (list(keys), list(values))
    reserved = {1234, 567, *neighbours(1234)[:5]}
    nm = NearMiss(keys_share, values_share, None, None)
    swaps = nm.apply_flat(rng, keys, values, ([1234], [567]), reserved)
    changed_keys = [i for i in range(200) if keys[i] != before[0][i]]
    assert all(one_digit_apart(keys[i], 1234) and keys[i] not in reserved for i in changed_keys)
    changed_values = [i for i in range(200) if values[i] != before[1][i]]
    assert all(one_digit_apart(values[i], 567) for i in changed_values)
    assert len(swaps) >= len(changed_keys) + len(changed_values)
    if keys_share == 1.0:
        assert all(one_digit_apart(k, 1234) for k in keys)
    if keys_share == values_share == 0.0:
        assert swaps == [] and (keys, values) == before
