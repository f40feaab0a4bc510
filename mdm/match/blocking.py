"""Blocking: which record pairs are worth comparing at all.

Each blocking key concatenates one or more feature values; records sharing a
key value form a block and every pair inside a block is a candidate. Keys
are unioned. Blocks larger than ``max_block_size`` (per key, or for all) are
skipped and reported by ``oversized_blocks``: a key value that common does
not discriminate.

The store keeps ``blocking_keys`` rows in an indexed table; a new record finds
its candidates with ``pairs_for`` by looking up its own key values.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pandas._libs.missing import checknull

from mdm.match import features, intkeys
from mdm.match.features import column_or_null, ensure_prepared
from mdm.match.framecols import column_array

if TYPE_CHECKING:
    from mdm.match.rules import MatchRules

KEY_SEPARATOR = "|"
# Up to this many key rows, candidate pairs come from plain Python (an
# incremental run's core): pandas' fixed costs would dominate.
SMALL_KEY_ROWS = 2000
BLOCKING_THREADS = 2


def blocking_keys(df: pd.DataFrame, rules: MatchRules) -> pd.DataFrame:
    """One row per (record_id, key_name, key_value); multi-valued features explode."""
    df = ensure_prepared(df, rules)
    if 0 < len(df) <= features.SMALL_FRAME_ROWS and df.index.is_unique and df.columns.is_unique:
        keys = _blocking_keys_small(df, rules)
        if keys is not None:
            return keys
    # Rows of different keys never repeat each other (other key names), and a key of single values
    # gives each record one row: only exploded keys can repeat a row, so only they are deduplicated
    # (a pass over every key's rows cost 5 s at a million records). Else the whole table is.
    by_key = df.index.is_unique and len({key.name for key in rules.blocking.keys}) == len(rules.blocking.keys)
    frames = []
    for key in rules.blocking.keys:
        parts = pd.DataFrame({str(i): column_or_null(df, c) for i, c in enumerate(key.columns)}, index=df.index)
        exploded = False
        for column in parts.columns:
            if _is_multi_valued(parts[column]):
                parts = parts.explode(column)
                exploded = True
        parts = parts.dropna()
        value = parts.iloc[:, 0].astype(str)
        for column in parts.columns[1:]:
            value = value + KEY_SEPARATOR + parts[column].astype(str)
        frame = pd.DataFrame({"record_id": parts.index.to_numpy(np.int64), "key_name": key.name, "key_value": value.to_numpy()})
        if by_key and exploded:
            frame = frame[~frame.duplicated(["record_id", "key_value"])]
        frames.append(frame)
    keys = pd.concat(frames, ignore_index=True) if frames else _empty_keys()
    return keys if by_key else keys.drop_duplicates(ignore_index=True)


def _blocking_keys_small(df: pd.DataFrame, rules: MatchRules) -> pd.DataFrame | None:
    """``blocking_keys`` with plain Python for small frames; None when a key column is not object dtype."""
    values: dict[str, list] = {}
    for key in rules.blocking.keys:
        for column in key.columns:
            if column not in values:
                array = column_array(df, column)
                if array is None:
                    continue
                if array.dtype != object:
                    return None
                values[column] = array.tolist()
    ids = df.index.to_numpy(np.int64).tolist()
    missing = [None] * len(ids)
    seen: set = set()
    record_ids, names, key_values = [], [], []
    for key in rules.blocking.keys:
        columns = [values.get(column, missing) for column in key.columns]
        multi = [_first_is_list(column) for column in columns]
        for record_id, combos in _key_combos(ids, columns, multi):
            for combo in combos:
                if any(part is None or checknull(part) for part in combo):
                    continue
                row = (record_id, key.name, KEY_SEPARATOR.join(_as_str(part) for part in combo))
                if row not in seen:
                    seen.add(row)
                    record_ids.append(record_id)
                    names.append(key.name)
                    key_values.append(row[2])
    return pd.DataFrame(
        {
            "record_id": np.array(record_ids, dtype=np.int64),
            "key_name": np.array(names, dtype=object),
            "key_value": np.array(key_values, dtype=object),
        }
    )


def _key_combos(ids: list, columns: list[list], multi: list[bool]):
    """(record id, the combinations of its key parts) per record, as
    ``DataFrame.explode`` would make them; single-valued keys (most) have one."""
    if not any(multi):
        for record_id, combo in zip(ids, zip(*columns)):
            yield record_id, (combo,)
        return
    for i, record_id in enumerate(ids):
        combos = [()]
        for column, is_multi in zip(columns, multi):
            parts = _exploded(column[i]) if is_multi else (column[i],)
            combos = [combo + (part,) for combo in combos for part in parts]
        yield record_id, combos


def _first_is_list(values: list) -> bool:
    """``_is_multi_valued`` on a list."""
    first = next((v for v in values if not checknull(v)), None)
    return isinstance(first, (list, tuple))


def _exploded(value: object) -> tuple:
    """What ``DataFrame.explode`` makes of one cell: each item, NaN for an empty list."""
    if pd.api.types.is_list_like(value):
        items = tuple(value)
        return items if items else (np.nan,)
    return (value,)


def _as_str(value: object) -> str:
    """``Series.astype(str)`` for one value."""
    return value if isinstance(value, str) else value.decode() if isinstance(value, bytes) else str(value)


def candidate_pairs(df: pd.DataFrame, rules: MatchRules, keys: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Candidate record-id pairs (left < right), unioned over keys, deduplicated, sorted.

    ``keys`` (``blocking_keys`` of ``df``) may be passed to avoid recomputing them.
    """
    keys = blocking_keys(df, rules) if keys is None else keys
    if len(keys) <= SMALL_KEY_ROWS:
        return _candidate_pairs_small(keys, rules)
    record_ids = keys["record_id"].to_numpy(np.int64)
    ids = _sorted_unique(record_ids)
    position = np.searchsorted(ids, record_ids)
    values = keys["key_value"].to_numpy()
    limits = rules.blocking.limits()
    n = max(len(ids), 1)

    def codes_of(name: str, rows: np.ndarray) -> np.ndarray:
        # One key's pairs as sorted unique codes (lo * n + hi over positions):
        # memory holds a key's raw pairs, not every key's at once.
        block = pd.factorize(values[rows])[0]
        sizes = np.bincount(block + 1)  # slot 0: missing values, never a block
        keep = (block >= 0) & (sizes[block + 1] <= limits[name])
        left, right = pairs_within_blocks(block[keep], position[rows][keep])
        lo, hi = np.minimum(left, right), np.maximum(left, right)
        del left, right
        codes = intkeys.unique((lo * n + hi)[lo != hi])
        codes.sort()
        return codes

    groups = keys.groupby("key_name", sort=False).indices
    # Two keys at a time: sorting, pair making and int64 hashing release the GIL.
    with ThreadPoolExecutor(BLOCKING_THREADS) as pool:
        found = list(pool.map(codes_of, groups.keys(), groups.values()))
    codes = np.concatenate(found) if found else np.empty(0, np.int64)
    codes.sort(kind="stable")  # a merge of the keys' sorted runs
    if len(codes):
        codes = codes[np.r_[True, codes[1:] != codes[:-1]]]
    return ids[codes // n], ids[codes % n]


def _candidate_pairs_small(keys: pd.DataFrame, rules: MatchRules) -> tuple[np.ndarray, np.ndarray]:
    """``candidate_pairs`` on plain Python for the few keys of a small frame."""
    limits = rules.blocking.limits()
    blocks: dict[tuple, list[int]] = {}
    for rid, name, value in zip(keys["record_id"].tolist(), keys["key_name"].tolist(), keys["key_value"].tolist()):
        blocks.setdefault((name, value), []).append(rid)
    pairs: set[tuple[int, int]] = set()
    for (name, _), rows in blocks.items():
        if len(rows) > limits[name]:
            continue
        members = sorted(set(rows))
        pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    if not pairs:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    ordered = np.array(sorted(pairs), dtype=np.int64)
    return ordered[:, 0].copy(), ordered[:, 1].copy()


def oversized_blocks(df: pd.DataFrame, rules: MatchRules, keys: pd.DataFrame | None = None) -> pd.DataFrame:
    """Blocks skipped for exceeding ``max_block_size``: key_name, key_value, size."""
    keys = blocking_keys(df, rules) if keys is None else keys
    sizes = keys.groupby(["key_name", "key_value"]).size().rename("size").reset_index()
    return sizes[sizes["size"] > _limits(sizes, rules)].sort_values("size", ascending=False, ignore_index=True)


def pairs_for(new_df: pd.DataFrame, existing_keys: pd.DataFrame, rules: MatchRules) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs for new records: against stored keys and among themselves.

    ``existing_keys`` has the columns of ``blocking_keys`` for records already
    stored; rows for ids also in ``new_df`` are ignored. Returns (left, right)
    with left < right.
    """
    new_keys = blocking_keys(new_df, rules)
    existing = existing_keys[~existing_keys["record_id"].isin(new_keys["record_id"])]
    # The new record joins the block, so the stored part must stay below the limit.
    existing = existing[_block_sizes(existing) < _limits(existing, rules)]
    found = new_keys.merge(existing, on=["key_name", "key_value"], suffixes=("_new", "_old"))
    among_left, among_right = candidate_pairs(new_df, rules)
    left = np.concatenate([found["record_id_new"].to_numpy(np.int64), among_left])
    right = np.concatenate([found["record_id_old"].to_numpy(np.int64), among_right])
    return normalize_pairs(left, right)


def shared_keys(keys: pd.DataFrame, left, right, rules: MatchRules) -> np.ndarray:
    """bool (n_pairs, n_keys): which blocking keys each pair shares a value of.

    ``keys`` is ``blocking_keys`` of a frame holding every record in the pairs.
    """
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    ids = np.unique(np.r_[left, right])
    lp, rp = np.searchsorted(ids, left), np.searchsorted(ids, right)
    out = np.zeros((len(left), len(rules.blocking.keys)), dtype=bool)
    # The rows of the pairs' records, split by key name once: comparing every row's
    # name and testing its id again per key cost 3 s at a million records' 6.7M rows.
    mine = keys.iloc[np.flatnonzero(np.isin(keys["record_id"].to_numpy(np.int64), ids))]
    by_name = mine.groupby("key_name", sort=False).indices
    for k, key in enumerate(rules.blocking.keys):
        rows = mine.iloc[by_name.get(key.name, np.empty(0, np.int64))]
        if rows["record_id"].is_unique:
            # One value per record: compare value codes pair by pair, vectorized.
            code = np.full(len(ids), -1, dtype=np.int64)
            code[np.searchsorted(ids, rows["record_id"].to_numpy())] = pd.factorize(rows["key_value"])[0]
            out[:, k] = (code[lp] >= 0) & (code[lp] == code[rp])
        else:
            pairs = pd.DataFrame({"left": left, "right": right, "pair": np.arange(len(left))})
            on_left = pairs.merge(rows, left_on="left", right_on="record_id")[["pair", "right", "key_value"]]
            both = on_left.merge(rows, left_on=["right", "key_value"], right_on=["record_id", "key_value"])
            out[both["pair"].to_numpy(), k] = True
    return out


def blocking_stats(left, right, n_records: int, true_pairs: tuple | None = None) -> dict:
    """Pair count, reduction ratio and (given the true pairs) pair completeness."""
    n_pairs = len(left)
    all_pairs = n_records * (n_records - 1) // 2
    stats = {
        "n_records": n_records,
        "n_pairs": n_pairs,
        "reduction_ratio": 1 - n_pairs / all_pairs if all_pairs else 0.0,
    }
    if true_pairs is not None:
        true_left, true_right = normalize_pairs(np.asarray(true_pairs[0]), np.asarray(true_pairs[1]))
        found = pd.MultiIndex.from_arrays([left, right])
        truth = pd.MultiIndex.from_arrays([true_left, true_right])
        hit = int(truth.isin(found).sum())
        stats["n_true_pairs"] = len(truth)
        stats["pair_completeness"] = hit / len(truth) if len(truth) else 1.0
    return stats


def pair_rows(left: np.ndarray, right: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Row of each pair (lo[i], hi[i]) among the pairs (left, right), -1 where
    absent. Pairs become int64 codes over the few ids asked about, so even
    tens of millions of pairs need no hash index of tuples."""
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    lo, hi = np.asarray(lo, np.int64), np.asarray(hi, np.int64)
    out = np.full(len(lo), -1, np.int64)
    ids = np.unique(np.r_[lo, hi])
    rows = np.flatnonzero(np.isin(left, ids) & np.isin(right, ids))
    if len(rows) == 0:
        return out
    n = len(ids)
    codes = np.searchsorted(ids, left[rows]) * n + np.searchsorted(ids, right[rows])
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    wanted = np.searchsorted(ids, lo) * n + np.searchsorted(ids, hi)
    at = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
    found = codes[at] == wanted
    out[found] = rows[order[at[found]]]
    return out


def pairs_within_blocks(block: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of ids sharing a block id, without a Python loop."""
    order = np.argsort(block, kind="stable")
    block, ids = block[order], ids[order]
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
    sizes = np.diff(np.r_[starts, len(block)])
    rank = np.arange(len(block)) - np.repeat(starts, sizes)
    later = np.repeat(sizes, sizes) - rank - 1  # partners after each element in its block
    total = int(later.sum())
    first = np.repeat(np.arange(len(block)), later)
    step = np.arange(total) - np.repeat(np.cumsum(later) - later, later) + 1
    return ids[first], ids[first + step]


def normalize_pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """left < right, self-pairs and duplicates dropped, sorted by (left, right)."""
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    ids = _sorted_unique(np.r_[left, right])
    # Ranks preserve id order, and rank pairs fit one int64 key.
    lo, hi = np.searchsorted(ids, np.minimum(left, right)), np.searchsorted(ids, np.maximum(left, right))
    keys = _sorted_unique((lo * len(ids) + hi)[lo != hi])
    return ids[keys // len(ids)], ids[keys % len(ids)]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # Hash-dedupe first, then sort the (usually much smaller) rest: faster than np.unique.
    return np.sort(pd.unique(values))


def _limits(keys: pd.DataFrame, rules: MatchRules) -> np.ndarray:
    """Each row's block-size limit, from its key."""
    return keys["key_name"].map(rules.blocking.limits()).to_numpy()


def _block_sizes(keys: pd.DataFrame) -> np.ndarray:
    return keys.groupby(["key_name", "key_value"], sort=False)["record_id"].transform("size").to_numpy()


def _is_multi_valued(series: pd.Series) -> bool:
    first = series.dropna()
    return len(first) > 0 and isinstance(first.iloc[0], (list, tuple))


def _empty_keys() -> pd.DataFrame:
    return pd.DataFrame({"record_id": np.empty(0, np.int64), "key_name": [], "key_value": []})
