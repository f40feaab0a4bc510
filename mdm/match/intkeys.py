"""Distinct values of tens of millions of int64 keys (pairs coded as one integer).

Non-negative keys with few enough bits are sorted, each with its position in
its low bits: numpy sorts int64 with SIMD instructions, 25M keys in under
half a second, and the distinct keys then come out in order. Otherwise:

``pd.factorize`` puts every key into one hash table. With tens of millions of
keys the table is hundreds of megabytes and each probe misses the CPU caches.
Split by a few bits of a mixed copy of the key, every part gets its own small
table, and the split is one stable counting sort: 25M keys with 9M distinct
take 1.6 s instead of 3.9 s. Equal keys always land in the same part.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Below this many keys, one table: the split costs more than the cache misses.
PARTITIONED_KEYS = 2_000_000
PARTITION_BITS = 8
# An odd 64-bit constant (2^64 / golden ratio): multiplying by it moves every bit of the key
# into the top bits, so parts are even in size however the keys cluster.
_MIX = np.int64(-7046029254386353131)
_STEP = 1 << 20


def factorize(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct keys) as ``pd.factorize`` gives them for int64 ``keys``, except that
    the distinct keys (and so the codes) are numbered part by part: the same sets, another order."""
    keys = np.asarray(keys, dtype=np.int64)
    if len(keys) < PARTITIONED_KEYS:
        codes, distinct = pd.factorize(keys)
        return codes.astype(np.int64, copy=False), distinct
    grouped = sorted_groups(keys)
    if grouped is not None:
        where, group, distinct = grouped
        codes = np.empty(len(keys), dtype=np.int64)
        codes[where] = group
        return codes, distinct
    order, bounds = _parts(keys)
    ordered = keys[order]
    codes = np.empty(len(keys), dtype=np.int64)
    distinct, offset = [], 0
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        part_codes, part_distinct = pd.factorize(ordered[start:stop])
        codes[start:stop] = part_codes
        codes[start:stop] += offset
        offset += len(part_distinct)
        distinct.append(part_distinct)
    del ordered
    out = np.empty(len(keys), dtype=np.int64)
    out[order] = codes
    return out, np.concatenate(distinct) if distinct else keys[:0].copy()


def sorted_groups(keys: np.ndarray, overwrite: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``keys`` sorted, as (where, group, distinct): the position in ``keys`` of each
    key in sorted order and its distinct key's index (both int32), and the distinct
    keys ascending. None if a key is negative or a key and its position need more
    than 64 bits: they are sorted as one uint64, the position in the low bits.
    ``overwrite``: the keys' own buffer holds the sort (the caller drops them after)."""
    n = len(keys)
    if n == 0 or n >= 2**31:
        return None
    low, high = int(keys.min()), int(keys.max())
    shift = max(n - 1, 1).bit_length()
    if low < 0 or high.bit_length() + shift > 64:
        return None
    packed = keys.view(np.uint64) if overwrite and keys.dtype == np.int64 else keys.astype(np.uint64)
    mask = np.uint64((1 << shift) - 1)
    for start, stop in _blocks(n):  # a block at a time: no temporaries of n keys
        packed[start:stop] <<= np.uint64(shift)
        packed[start:stop] |= np.arange(start, stop, dtype=np.uint64)
    packed.sort()
    where = np.empty(n, dtype=np.int32)
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    for start, stop in _blocks(n):
        where[start:stop] = packed[start:stop] & mask
        packed[start:stop] >>= np.uint64(shift)  # the keys, in order
    ordered = packed.view(np.int64)
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    distinct = ordered[starts]
    del packed, ordered
    group = np.cumsum(starts, dtype=np.int32)
    group -= 1
    return where, group, distinct


def _blocks(n: int):
    return ((start, min(start + _STEP, n)) for start in range(0, n, _STEP))


def unique(keys: np.ndarray) -> np.ndarray:
    """The distinct keys (ascending when there are many), as ``pd.unique`` finds them."""
    keys = np.asarray(keys, dtype=np.int64)
    if len(keys) < PARTITIONED_KEYS:
        return pd.unique(keys)
    ordered = np.sort(keys)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def _parts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of ``keys`` part by part (stable), and where each part starts and ends."""
    with np.errstate(over="ignore"):
        mixed = keys * _MIX
    part = (mixed >> np.int64(64 - PARTITION_BITS)).astype(np.uint16) & np.uint16((1 << PARTITION_BITS) - 1)
    del mixed
    order = np.argsort(part, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(part, minlength=1 << PARTITION_BITS))))
    return order, bounds
