"""The interval index against a brute-force overlap (hypothesis) and its edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from varkg.errors import InputError
from varkg.intervals import IntervalIndex, point_intervals

ivs = st.lists(st.tuples(st.sampled_from(["1", "2"]), st.integers(0, 200), st.integers(0, 60)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(ivs, ivs, st.integers(1, 50))
def test_overlaps_match_brute_force(a, b, chunk):
    idx = IntervalIndex([c for c, _, _ in a], [s for _, s, _ in a], [s + n for _, s, n in a])
    q, i = idx.overlaps([c for c, _, _ in b], [s for _, s, _ in b], [s + n for _, s, n in b], max_candidates=chunk)
    got = sorted(zip(q.tolist(), i.tolist(), strict=False))
    want = sorted(
        (qi, ii) for qi, (qc, qs, qn) in enumerate(b) for ii, (c, s, n) in enumerate(a) if qc == c and qs < s + n and s < qs + qn
    )
    assert got == want


def test_long_interval_does_not_hide_later_ones():
    idx = IntervalIndex(["1"] * 3, [0, 10, 500], [1000, 20, 510])
    q, i = idx.overlaps(["1"], [505], [506])
    assert sorted(i.tolist()) == [0, 2]


def test_points_and_lengths():
    s, e = point_intervals([1, 10], [1, 3])
    assert s.tolist() == [0, 9] and e.tolist() == [1, 12]
    idx = IntervalIndex(["X"], [9], [10])
    q, i = idx.overlaps(["X", "X"], s, e)
    assert q.tolist() == [1] and i.tolist() == [0]


def test_bad_interval_is_an_input_error():
    with pytest.raises(InputError, match="end 5 < start 9"):
        IntervalIndex(["1"], [9], [5])


def test_vectorised_scale():
    rng = np.random.default_rng(0)
    s = np.sort(rng.integers(0, 10_000_000, 200_000))
    idx = IntervalIndex(np.full(len(s), "1"), s, s + rng.integers(1, 2000, len(s)))
    p = rng.integers(0, 10_000_000, 100_000)
    q, i = idx.overlaps(np.full(len(p), "1"), p, p + 1)
    assert len(q) > 0 and np.all(s[i] <= p[q])
