"""Blocking keys as the store keeps them: one signed 64-bit hash per (domain, key name, value).

The store's key table only answers "which records share this block", so it
keeps (hash, record id) pairs instead of the key texts: a third of the rows'
size, one integer index instead of a text one, and a bulk run's 6.7M rows
(at a million records) written in hash order. Two blocks that hash alike
(about one pair in 10^7 at a million records' keys) only add candidate
pairs, which are compared and scored like any other.

The hash is SipHash-2-4 as pandas' ``hash_array`` computes it, with a fixed
key, over the value's UTF-8 bytes, mixed with the hash of "<domain>\\x1f<key
name>". Stored hashes must never change meaning:
``tests/unit/test_match_keyhash.py`` pins values, so a pandas release that
changed them would fail there before a store was written with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd
from pandas.util import hash_array

KEY_LENGTH = 255  # values are hashed cut to this many characters (the text column's width, before hashes)
HASH_KEY = "mdm.blocking.key"  # SipHash key: exactly 16 bytes
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplying by it is a bijection of 64-bit words


def key_hashes(domain: str, names: Sequence[str] | np.ndarray, values: Sequence[str] | np.ndarray) -> np.ndarray:
    """The stored hash (int64) of each (key name, key value) of ``domain``."""
    values = np.asarray(values, dtype=object)
    names = np.asarray(names, dtype=object)
    if len(values) != len(names):
        raise ValueError(f"{len(names)} key names for {len(values)} key values")
    if not len(values):
        return np.empty(0, np.int64)
    try:
        long = np.fromiter(map(len, values), np.int64, len(values)) > KEY_LENGTH
    except TypeError:  # a value that is not text (a number from a custom key column): keyed by its text
        values = np.array([v if isinstance(v, str) else str(v) for v in values], dtype=object)
        long = np.fromiter(map(len, values), np.int64, len(values)) > KEY_LENGTH
    if long.any():
        values = values.copy()
        values[long] = [value[:KEY_LENGTH] for value in values[long]]
    codes, distinct = pd.factorize(names)
    prefixes = np.array([f"{domain}\x1f{name}" for name in distinct], dtype=object)
    name_hash = hash_array(prefixes, encoding="utf8", hash_key=HASH_KEY, categorize=False)[codes]
    value_hash = hash_array(values, encoding="utf8", hash_key=HASH_KEY, categorize=False)
    with np.errstate(over="ignore"):
        mixed = value_hash ^ (name_hash * _MIX)
    return mixed.view(np.int64)


def key_rows(domain: str, keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, record ids) of ``blocking_keys`` rows, without repeats, in (hash, record id) order:
    the order of the key table's primary key, so a bulk insert appends."""
    hashes = key_hashes(domain, keys["key_name"].to_numpy(object), keys["key_value"].to_numpy(object))
    return unique_pairs(hashes, keys["record_id"].to_numpy(np.int64))


def key_rows_ahead(domain: str, keys: pd.DataFrame) -> Future:
    """``key_rows(domain, keys)`` on a thread of its own; the returned future gives them.

    A bulk run starts it once its stages that keep both cores busy are done (``match_frame``):
    SipHash and the sort run without the GIL, so the hashing overlaps the single-threaded
    stages after instead of adding to the write stage, where both cores are taken."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="key-rows")
    try:
        return pool.submit(key_rows, domain, keys)
    finally:
        pool.shutdown(wait=False)


def unique_pairs(hashes: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hash, record id) pairs sorted, each once: a record whose two keys hash alike (or a pair
    given twice) stores it once, as the primary key requires."""
    order = np.lexsort((ids, hashes))
    hashes, ids = hashes[order], ids[order]
    if len(hashes) > 1:
        keep = np.ones(len(hashes), bool)
        keep[1:] = (hashes[1:] != hashes[:-1]) | (ids[1:] != ids[:-1])
        hashes, ids = hashes[keep], ids[keep]
    return hashes, ids
