"""Compare candidate pairs: the level each pair hits in each comparison.

Every column is factorized to integer codes once; each *distinct* pair of
codes is then tested once per level (string similarity in rapidfuzz across
all cores) and the result mapped back to every pair that shares it. Names,
cities and postal codes repeat a lot, so the distinct pairs are usually far
fewer than the pairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mdm.match.features import column_or_null, ensure_prepared
from mdm.match.registry import level_kinds
from mdm.match.rules import ELSE, NULL

if TYPE_CHECKING:
    from mdm.match.rules import ComparisonSpec, MatchRules


def positions(df: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    """Row positions of record ids in ``df``; an unknown id is an error."""
    pos = df.index.get_indexer(np.asarray(ids))
    if len(pos) and pos.min() < 0:
        missing = np.asarray(ids)[pos < 0][:5].tolist()
        raise KeyError(f"record ids not in the frame: {missing}")
    return pos


class ColumnCodes:
    """A frame's columns factorized once: codes per row, distinct values as str."""

    def __init__(self, df: pd.DataFrame):
        self.df = df
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __getitem__(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in self._cache:
            values = column_or_null(self.df, column).to_numpy(dtype=object)
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            text = np.array([" ".join(v) if isinstance(v, list) else str(v) for v in uniques], dtype=object)
            self._cache[column] = (codes.astype(np.int64), text)
        return self._cache[column]


class DistinctPairs:
    """Distinct unordered (code, code) pairs of one column across the pairs."""

    def __init__(self, codes: np.ndarray, n_values: int, lp: np.ndarray, rp: np.ndarray):
        a, b = codes[lp], codes[rp]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        radix = n_values + 1
        inverse, keys = pd.factorize((lo + 1) * radix + (hi + 1))
        self.inverse = inverse
        self.left = keys // radix - 1
        self.right = keys % radix - 1


def comparison_levels(df: pd.DataFrame, left_ids, right_ids, rules: MatchRules) -> np.ndarray:
    """Level index hit per pair and comparison: int8 array (n_pairs, n_comparisons).

    ``df`` is indexed by record id; features are computed if not yet present.
    """
    df = ensure_prepared(df, rules)
    lp, rp = positions(df, left_ids), positions(df, right_ids)
    columns = ColumnCodes(df)
    distinct: dict[str, DistinctPairs] = {}

    def pairs_of(column: str) -> DistinctPairs:
        if column not in distinct:
            codes, values = columns[column]
            distinct[column] = DistinctPairs(codes, len(values), lp, rp)
        return distinct[column]

    out = np.empty((len(lp), len(rules.comparisons)), dtype=np.int8)
    for k, comparison in enumerate(rules.comparisons):
        out[:, k] = _levels_of(comparison, columns, pairs_of, lp, rp)
    return out


def _levels_of(comparison: ComparisonSpec, columns: ColumnCodes, pairs_of, lp, rp) -> np.ndarray:
    level = np.full(len(lp), len(comparison.levels) - 1, dtype=np.int8)
    unassigned = np.ones(len(lp), dtype=bool)
    scores: dict[tuple[str, str], np.ndarray] = {}
    for i, spec in enumerate(comparison.levels):
        if not unassigned.any():
            break
        column = spec.column or comparison.field
        codes, values = columns[column]
        if spec.kind == NULL:
            hit = (codes[lp] < 0) | (codes[rp] < 0)
        elif spec.kind == ELSE:
            hit = unassigned
        elif spec.kind == "exact":
            # Equal codes are equal values: no need to look at distinct pairs.
            cl = codes[lp]
            hit = unassigned & (cl >= 0) & (cl == codes[rp])
        else:
            hit = unassigned & _distinct_hits(spec, values, pairs_of(column), unassigned, scores)
        level[hit] = i
        unassigned &= ~hit
    return level


def _distinct_hits(spec, values: np.ndarray, pairs: DistinctPairs, unassigned: np.ndarray, scores: dict) -> np.ndarray:
    """Evaluate one level once per distinct value pair still unassigned.

    Score-based kinds keep their scores, so the next threshold level of the
    same kind on the same column reuses them (pairs left unassigned by a
    level are a subset of those it was evaluated on).
    """
    fn = level_kinds[spec.kind]
    score_fn = getattr(fn, "score", None)
    key = (spec.kind, spec.column or "")
    if score_fn is not None and key in scores:
        score = scores[key]
    else:
        need = np.zeros(len(pairs.left), dtype=bool)
        need[pairs.inverse[unassigned]] = True
        need &= (pairs.left >= 0) & (pairs.right >= 0)
        todo = np.flatnonzero(need)
        if score_fn is None:
            result = np.zeros(len(pairs.left), dtype=bool)
            if len(todo):
                result[todo] = fn(values, pairs.left[todo], pairs.right[todo], spec.threshold)
            return result[pairs.inverse]
        score = np.full(len(pairs.left), np.nan, dtype=np.float32)
        if len(todo):
            score[todo] = score_fn(values, pairs.left[todo], pairs.right[todo])
        scores[key] = score
    with np.errstate(invalid="ignore"):
        result = score >= spec.threshold - 1e-6 if fn.at_least else score <= spec.threshold + 1e-6
    return result[pairs.inverse]


def term_frequencies(df: pd.DataFrame, rules: MatchRules) -> dict[str, pd.Series]:
    """Relative frequency of each value, per term-frequency comparison.

    The store may pass tables computed over all its records instead, so that
    incremental matching weighs "Smith" by its frequency in the whole hub.
    """
    df = ensure_prepared(df, rules)
    tables = {}
    for comparison in rules.comparisons:
        if comparison.term_frequency:
            values = column_or_null(df, comparison.field).dropna().astype(str)
            tables[comparison.name] = values.value_counts(normalize=True)
    return tables


def tf_values(df: pd.DataFrame, left_ids, rules: MatchRules, tables: dict[str, pd.Series] | None = None) -> np.ndarray:
    """Frequency of the left record's value per pair and comparison (NaN if not TF).

    Term frequencies only matter on exact agreement, where left and right
    values are equal, so the left value suffices.
    """
    df = ensure_prepared(df, rules)
    tables = term_frequencies(df, rules) if tables is None else tables
    lp = positions(df, left_ids)
    out = np.full((len(lp), len(rules.comparisons)), np.nan)
    columns = ColumnCodes(df)
    for k, comparison in enumerate(rules.comparisons):
        if not comparison.term_frequency or comparison.name not in tables:
            continue
        codes, values = columns[comparison.field]
        per_value = tables[comparison.name].reindex(values).to_numpy(dtype=float)
        per_value = np.append(per_value, np.nan)  # code -1 (null) -> NaN
        out[:, k] = per_value[codes[lp]]
    return out
