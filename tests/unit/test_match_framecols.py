"""Columns read off a frame's blocks are the columns pandas gives."""

import numpy as np
import pandas as pd
import pytest

from mdm.match.framecols import column_array, column_list, object_column


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "text": ["a", None, "c", "d"],
            "number": [1, 2, 3, 4],
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-03-01"], utc=True),
            "score": [0.5, 1.5, 2.5, 3.5],
            "tokens": [["a", "b"], None, ["c"], []],
        },
        index=pd.Index([10, 20, 30, 40], name="record_id"),
    )
    frame["late"] = ["x", "y", None, "z"]  # a block of its own, added after the others
    return frame


@pytest.mark.parametrize("shape", ["built", "taken", "concatenated", "sliced"])
def test_columns_off_the_blocks_equal_the_series(shape):
    frame = _frame()
    frame = {
        "built": frame,
        "taken": frame.take([3, 1, 0]),
        "concatenated": pd.concat([frame.iloc[:2], frame.iloc[2:]]),
        "sliced": frame.loc[[20, 40], ["late", "when", "text"]],
    }[shape]
    for column in frame.columns:
        series = frame[column]
        assert column_array(frame, column).dtype == series.dtype
        assert pd.Series(column_array(frame, column), index=frame.index, name=column).equals(series)
        expected = series.tolist()
        got = column_list(frame, column)
        assert [type(v) for v in got] == [type(v) for v in expected]
        assert got == expected or series.isna().any()  # NaN and NaT are not equal to themselves
        assert object_column(frame, column).tolist() == series.to_numpy(dtype=object).tolist() or series.isna().any()


def test_a_missing_column_is_none_or_all_null():
    frame = _frame()
    assert column_array(frame, "nope") is None and column_list(frame, "nope") is None
    assert object_column(frame, "nope").tolist() == [None] * 4


def test_a_repeated_column_name_falls_back_to_pandas():
    frame = pd.DataFrame(np.arange(6).reshape(2, 3), columns=["a", "a", "b"])
    assert column_array(frame, "a").tolist() == frame["a"].to_numpy().tolist()
