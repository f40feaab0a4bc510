"""The comparison stage's thread schedule and its record-id lookup."""

import threading
import time

import numpy as np
import pandas as pd
import pytest

from mdm.match import compare

CHUNKS = [(0, 10), (10, 20), (20, 25)]


def test_every_comparison_runs_its_first_chunk_then_its_rest_once():
    calls, lock = [], threading.Lock()
    between = []

    def run(k, chunks):
        with lock:
            calls.append((k, tuple(chunks)))
        return 0.01 * k  # the first chunk's time orders the rests

    compare._first_chunks_then_rest(run, 5, CHUNKS, 2, between=lambda: between.append(len(calls)))
    firsts = [k for k, chunks in calls if chunks == tuple(CHUNKS[:1])]
    rests = [k for k, chunks in calls if chunks == tuple(CHUNKS[1:])]
    assert sorted(firsts) == sorted(rests) == list(range(5))
    assert all(calls.index((k, tuple(CHUNKS[:1]))) < calls.index((k, tuple(CHUNKS[1:]))) for k in range(5))
    assert len(between) == 1 and between[0] >= 5  # once, after every first chunk


def test_a_free_thread_takes_a_rest_before_every_first_chunk_is_done():
    """Comparison 0's first chunk outlasts all the others: the other thread
    goes on with the rests of the comparisons that are done, instead of
    waiting for it (it would wait forever here, hence the timeout)."""
    rest_of_one_started = threading.Event()
    waited = []

    def run(k, chunks):
        if k == 0 and chunks == CHUNKS[:1]:
            waited.append(rest_of_one_started.wait(timeout=10))
        if k == 1 and chunks == CHUNKS[1:]:
            rest_of_one_started.set()
        return 1.0

    compare._first_chunks_then_rest(run, 3, CHUNKS, 2)
    assert waited == [True]


def test_the_longest_first_chunk_has_its_rest_taken_first():
    order = []

    def run(k, chunks):
        if chunks == CHUNKS[1:]:
            order.append(k)
        return {0: 0.1, 1: 0.3, 2: 0.2}[k]

    compare._first_chunks_then_rest(run, 3, CHUNKS, 1)
    assert order == [1, 2, 0]


def test_an_error_in_one_comparison_reaches_the_caller_and_stops_the_threads():
    started = []

    def run(k, chunks):
        started.append((k, chunks == CHUNKS[:1]))
        if k == 2:
            raise ValueError("comparison 2 failed")
        time.sleep(0.01)
        return 0.0

    with pytest.raises(ValueError, match="comparison 2 failed"):
        compare._first_chunks_then_rest(run, 6, CHUNKS, 2)
    # No comparison is started after the failure was seen (one may have been running).
    assert len(started) <= 4


@pytest.mark.parametrize("ids", [np.arange(1, 2001) * 3, np.arange(10**9, 10**9 + 2000)])
def test_positions_in_a_sorted_frame_are_those_of_the_index(monkeypatch, ids):
    """The table lookup for frames in id order (dense and sparse id spans) gives get_indexer's positions."""
    frame = pd.DataFrame({"x": np.arange(len(ids))}, index=pd.Index(ids, dtype="int64", name="record_id"))
    wanted = np.random.default_rng(5).choice(ids, 5000)
    expected = frame.index.get_indexer(wanted)
    monkeypatch.setattr(compare, "LOOKUP_IDS", 0)
    assert np.array_equal(compare.positions(frame, wanted), expected)
    with pytest.raises(KeyError, match="not in the frame"):
        compare.positions(frame, np.r_[wanted, ids[-1] + 1])
    shuffled = frame.iloc[np.random.default_rng(6).permutation(len(frame))]  # not in id order: get_indexer
    assert np.array_equal(compare.positions(shuffled, wanted), shuffled.index.get_indexer(wanted))
