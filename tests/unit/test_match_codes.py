"""Column codes: the plain-Python path for small frames equals pandas' factorize."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(float("nan")), st.sampled_from(["a", "b", "Ab", " "]), st.integers(0, 3)),
                min_size=0, max_size=30))
def test_small_column_codes_match_factorize(values):
    """Small frames are coded on plain Python exactly as pandas factorizes big ones."""
    from mdm.match import compare

    frame = pd.DataFrame({"x": pd.Series(values, dtype=object)}, index=pd.RangeIndex(len(values)))
    small = compare.ColumnCodes(frame)["x"]
    original, compare.SMALL_ROWS = compare.SMALL_ROWS, -1
    try:
        big = compare.ColumnCodes(frame)["x"]
    finally:
        compare.SMALL_ROWS = original
    assert small[0].tolist() == big[0].tolist() and small[1].tolist() == big[1].tolist()
    assert compare.ColumnCodes(frame)["absent"][0].tolist() == [-1] * len(values)
