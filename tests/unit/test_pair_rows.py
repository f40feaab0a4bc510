"""Pairs find their row among scored pairs by int64 codes (no hash index of every pair)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.match import pair_rows


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 300), st.integers(0, 100))
def test_positions_match_a_dictionary_lookup(seed, n_pairs, n_queries):
    rng = np.random.default_rng(seed)
    left = rng.integers(0, 80, n_pairs)
    pairs = np.unique(np.c_[left, left + rng.integers(1, 20, n_pairs)], axis=0).reshape(-1, 2)
    rng.shuffle(pairs)
    lo = rng.integers(0, 80, n_queries)
    hi = lo + rng.integers(1, 25, n_queries)
    row_of = {(a, b): i for i, (a, b) in enumerate(pairs.tolist())}
    expected = [row_of.get((a, b), -1) for a, b in zip(lo.tolist(), hi.tolist())]
    assert pair_rows(pairs[:, 0], pairs[:, 1], lo, hi).tolist() == expected
