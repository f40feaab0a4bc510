"""Partitioned factorize of many int64 keys gives pandas' answer, in another numbering."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.match import intkeys


@pytest.fixture
def partitioned(monkeypatch):
    monkeypatch.setattr(intkeys, "PARTITIONED_KEYS", 0)  # every size takes the partitioned path


def _same_as_pandas(keys: np.ndarray) -> None:
    codes, distinct = intkeys.factorize(keys)
    expected_codes, expected = pd.factorize(keys)
    assert codes.dtype == np.int64 and len(codes) == len(keys)
    assert np.array_equal(distinct[codes], keys)  # every key maps back to itself
    assert sorted(distinct.tolist()) == sorted(expected.tolist())  # each distinct key once
    # Two keys share a code exactly when pandas gives them one.
    assert len(set(zip(codes.tolist(), expected_codes.tolist()))) == len(expected)
    assert sorted(intkeys.unique(keys).tolist()) == sorted(pd.unique(keys).tolist())


@contextmanager
def _every_size_partitioned():
    """``partitioned`` for hypothesis tests, which cannot take function-scoped fixtures."""
    saved = intkeys.PARTITIONED_KEYS
    intkeys.PARTITIONED_KEYS = 0
    try:
        yield
    finally:
        intkeys.PARTITIONED_KEYS = saved


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=300), st.integers(1, 40))
def test_partitioned_factorize_matches_pandas(values, repeat):
    with _every_size_partitioned():
        _same_as_pandas(np.array(values * 2, dtype=np.int64)[: len(values) + repeat])


def test_many_keys_spread_over_parts_and_match_pandas(partitioned):
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2**40, 20_000) * 1_000_003  # clustered low bits: the mix must spread them
    keys = base[rng.integers(0, len(base), 100_000)]
    order, bounds = intkeys._parts(keys)
    sizes = np.diff(bounds)
    assert len(sizes) == 1 << intkeys.PARTITION_BITS and sizes.sum() == len(keys)
    assert sizes.max() < 3 * len(keys) / len(sizes)  # no part holds much more than its share
    _same_as_pandas(keys)


def test_empty_and_small_inputs(partitioned):
    codes, distinct = intkeys.factorize(np.empty(0, np.int64))
    assert len(codes) == 0 and len(distinct) == 0
    _same_as_pandas(np.array([5, 5, -1, 2**62, 5], dtype=np.int64))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**40), max_size=300), st.integers(1, 40))
def test_sorted_factorize_of_non_negative_keys_matches_pandas(values, repeat):
    keys = np.array(values * 2, dtype=np.int64)[: len(values) + repeat]
    with _every_size_partitioned():
        _same_as_pandas(keys)
    grouped = intkeys.sorted_groups(keys)
    if len(keys):  # the sorted path: distinct keys ascending, positions a permutation
        where, group, distinct = grouped
        assert np.all(np.diff(distinct) > 0)
        assert sorted(where.tolist()) == list(range(len(keys)))
        assert np.array_equal(distinct[group], keys[where])
    # Sorting in the keys' own buffer gives the same groups.
    if len(keys):
        again = intkeys.sorted_groups(keys.copy(), overwrite=True)
        assert all(np.array_equal(x, y) for x, y in zip(again, grouped))


def test_keys_too_wide_to_sort_with_their_positions_fall_back_to_hashing(partitioned):
    keys = np.array([2**62, 5, 2**62, 7], dtype=np.int64)  # 63 bits and 2 of position: over 64
    assert intkeys.sorted_groups(keys) is None
    assert intkeys.sorted_groups(np.array([-1, 3], dtype=np.int64)) is None
    assert intkeys.sorted_groups(np.array([2**61, 3], dtype=np.int64)) is not None  # 62 + 1 bits
    _same_as_pandas(keys)
