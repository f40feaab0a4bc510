"""How each record of a multi-member cluster was decided: the small (dict) path gives what the
reindex path gives, also for pairs naming records without a label."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

import mdm.resolve.run as run


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_decided_by_small_path_equals_the_reindex_path(data):
    ids = data.draw(st.lists(st.integers(1, 40), min_size=1, max_size=20, unique=True))
    labels = pd.Series([data.draw(st.sampled_from(ids)) for _ in ids], index=pd.Index(ids, name="record_id"),
                       name="cluster", dtype="int64")
    n = data.draw(st.integers(0, 30))
    pick = st.integers(1, 45)  # some ids have no label
    pairs = pd.DataFrame({
        "left": np.array([data.draw(pick) for _ in range(n)], dtype=np.int64),
        "right": np.array([data.draw(pick) for _ in range(n)], dtype=np.int64),
        "match_weight": np.zeros(n),
        "match_probability": np.array([data.draw(st.sampled_from([0.5, 0.9, 0.99])) for _ in range(n)]),
    })
    small = run._decided_by(pairs, labels)
    original = run.SMALL_LABELS
    try:
        run.SMALL_LABELS = -1
        large = run._decided_by(pairs, labels)
    finally:
        run.SMALL_LABELS = original
    assert small == large
