"""A frame's columns read off its blocks, without a Series per column.

``df[column]`` builds a Series (about 20 µs whatever the length). An
incremental run reads a hundred-row frame's columns a hundred times over
(codes, blocking keys, frequencies, golden records): there that is most of
the cost, and the values alone are what is wanted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def column_array(df: pd.DataFrame, column: str):
    """``df[column].array``'s values (a numpy array, or an extension array such as
    tz-aware timestamps) without building the Series; None when ``df`` lacks it."""
    try:
        at = df.columns.get_loc(column)
    except KeyError:
        return None
    if not isinstance(at, int):  # a repeated column name: pandas' own answer
        return df[column].to_numpy()
    return df._mgr.iget_values(at)


def column_list(df: pd.DataFrame, column: str) -> list | None:
    """``df[column].tolist()``; None when ``df`` lacks the column."""
    values = column_array(df, column)
    return None if values is None else values.tolist()


def object_column(df: pd.DataFrame, column: str) -> np.ndarray:
    """``column_or_null(df, column).to_numpy(dtype=object)``: all None when ``df`` lacks the column."""
    values = column_array(df, column)
    if values is None:
        return np.full(len(df), None, dtype=object)
    return np.asarray(values, dtype=object)
