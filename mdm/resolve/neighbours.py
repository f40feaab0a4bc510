"""Find the stored records that share a block with pending records.

The incremental run's candidate pairs, found through the indexed
blocking-key table instead of re-blocking the domain."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mdm.match.blocking import normalize_pairs, pairs_within_blocks
from mdm.match.keyhash import key_hashes
from mdm.match.rules import MatchRules
from mdm.store.tables import BlockingKey

# Up to this many distinct pending key values, each block is looked up on its
# own with a LIMIT, so an oversized block is never read in full.
LIMITED_LOOKUPS = 256
# Blocks per statement: one round trip for a record's handful of blocks,
# well under SQLite's limit on compound SELECT terms (500).
BLOCKS_PER_STATEMENT = 64
CHUNK = 900


def pending_pairs(
    session: Session, domain: str, rules: MatchRules, keys: pd.DataFrame | None, pending: list[int],
) -> tuple[np.ndarray, np.ndarray, int]:
    """Candidate pairs of the pending records (left < right): with the stored
    records sharing a block, and with each other; blocks over their size limit
    (counting the pending records joining them) are skipped, as in bulk.
    Also returns how many blocks were looked up."""
    empty = np.empty(0, np.int64)
    if keys is None or keys.empty:
        return empty, empty, 0
    limits = rules.blocking.limits()
    blocks: dict[tuple[str, str], list[int]] = {}
    for rid, name, value in zip(keys["record_id"].tolist(), keys["key_name"].tolist(), keys["key_value"].tolist()):
        blocks.setdefault((name, str(value)), []).append(rid)
    own = set(pending)
    stored = stored_blocks(session, domain, blocks, limits, own)
    # Members of each admitted block, as arrays: pairs are then made without a Python loop per pair.
    block_of, member = [], []
    for code, (block, ids) in enumerate(blocks.items()):
        others = stored.get(block)
        if others is None:
            continue
        ids = sorted(set(ids))
        if len(ids) + len(others) > limits[block[0]]:
            continue
        block_of += [code] * (len(ids) + len(others))
        member += ids + others
    if not member:
        return empty, empty, len(blocks)
    left, right = pairs_within_blocks(np.array(block_of, np.int64), np.array(member, np.int64))
    # Only pairs with a pending record are new; stored pairs were scored before.
    mine = np.fromiter(own, np.int64, len(own))
    keep = np.isin(left, mine) | np.isin(right, mine)
    if not keep.any():
        return empty, empty, len(blocks)
    left, right = normalize_pairs(left[keep], right[keep])
    return left, right, len(blocks)


def stored_blocks(session: Session, domain: str, blocks: dict, limits: dict[str, int], own: set[int]) -> dict[tuple[str, str], list[int]]:
    """Stored members (not pending) of each block; a block already over its limit is left out."""
    names = [name for name, _ in blocks]
    hashes = dict(zip(blocks, key_hashes(domain, names, [value for _, value in blocks]).tolist()))
    if len(blocks) <= LIMITED_LOOKUPS:
        found = _limited_lookup(session, hashes, {name: limits[name] + len(own) + 1 for name in limits})
    else:
        found = _full_lookup(session, hashes)
    out: dict[tuple[str, str], list[int]] = {}
    for block, ids in blocks.items():
        rows = found.get(block, [])
        others = sorted({r for r in rows if r not in own})
        # A limited read that came back full: the block is over its limit.
        full = len(blocks) <= LIMITED_LOOKUPS and len(rows) >= limits[block[0]] + len(own) + 1
        if not full and len(others) + len(set(ids)) <= limits[block[0]]:
            out[block] = others
    return out


def _limited_lookup(session: Session, hashes: dict[tuple[str, str], int], caps: dict[str, int]) -> dict:
    """Record ids per block (``hashes``: block -> its stored key hash), at most ``caps[key name]``
    rows each: enough to tell whether the block, with the pending records, exceeds its limit."""
    found: dict[tuple[str, str], list[int]] = {}
    blocks = list(hashes)
    conn = session.connection()
    # sqlite3 takes the statement's named parameters as they are: the hundreds of ids of a few
    # full blocks come back as plain tuples, not as SQLAlchemy rows.
    raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
    for start in range(0, len(blocks), BLOCKS_PER_STATEMENT):
        part = blocks[start : start + BLOCKS_PER_STATEMENT]
        params: dict[str, object] = {}
        for i, block in enumerate(part):
            params.update({f"h{i}": hashes[block], f"c{i}": caps[block[0]]})
        statement = _union_of_limited(len(part))
        rows = raw.execute(statement.text, params).fetchall() if raw is not None else conn.execute(statement, params).all()
        for i, rid in rows:
            found.setdefault(part[i], []).append(rid)
    return found


@lru_cache(maxsize=BLOCKS_PER_STATEMENT)
def _union_of_limited(n: int):
    # Plain SQL, built once per block count: building the same statement with
    # the expression language costs more than running it.
    table = BlockingKey.__tablename__
    parts = [
        f"SELECT {i} AS block, record_id FROM (SELECT record_id FROM {table} WHERE key_hash = :h{i} "
        f"LIMIT :c{i}) AS b{i}"
        for i in range(n)
    ]
    return text(" UNION ALL ".join(parts))


def _full_lookup(session: Session, hashes: dict[tuple[str, str], int]) -> dict:
    """Record ids per block, every row (many pending records)."""
    blocks_of: dict[int, list[tuple[str, str]]] = {}
    for block, value in hashes.items():
        blocks_of.setdefault(value, []).append(block)
    values = sorted(blocks_of)
    found: dict[tuple[str, str], list[int]] = {}
    for start in range(0, len(values), CHUNK):
        for value, rid in session.connection().execute(
            select(BlockingKey.key_hash, BlockingKey.record_id).where(BlockingKey.key_hash.in_(values[start : start + CHUNK]))
        ):
            for block in blocks_of[value]:
                found.setdefault(block, []).append(rid)
    return found
