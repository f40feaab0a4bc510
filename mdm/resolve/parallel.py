"""Golden records of a large bulk run built in worker processes.

Survivorship is pure Python, so a bulk run spends most of its write stage
in it on one core. Forked workers build slices of clusters (attributes and
encoded JSON) while the parent writes the slices already built, in order.
Each slice's member records travel to a worker as a small frame, and the
finished slice travels back. Workers are forked, but they never read the
parent's records: a forked worker that did would copy every page it touched
(reference counts are writes): a gigabyte or more per worker at a million
records, more when the parent's heap is fragmented.
Building makes no reference cycles, so it runs with the cyclic garbage
collector off (in the workers, and paused around each slice in one process)."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Hashable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pandas as pd

from mdm.resolve.golden import Encoded, NewRecord, build_encoded, member_ids
from mdm.survivorship import Override, SurvivorshipRules

# Below this many clusters, starting workers costs more than it saves.
PARALLEL_MIN_CLUSTERS = 20000

_JOB: tuple | None = None


def build_workers(n_clusters: int) -> int:
    """Worker processes for a bulk build of ``n_clusters`` (MDM_BUILD_WORKERS overrides; 1 = none)."""
    configured = os.environ.get("MDM_BUILD_WORKERS")
    if configured:
        try:
            return max(int(configured), 1)
        except ValueError:
            raise ValueError(f"MDM_BUILD_WORKERS must be a whole number of processes, got {configured!r}") from None
    if n_clusters < PARALLEL_MIN_CLUSTERS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(os.cpu_count() or 1, 4)


@contextmanager
def building(
    rules: SurvivorshipRules,
    domain: str,
    frame: pd.DataFrame,
    slices: list[dict[Hashable, list[int]]],
    *,
    now: datetime,
    overrides: Mapping[Hashable, Mapping[str, Override]],
    workers: int = 1,
    new: Mapping[Hashable, NewRecord] | None = None,
    stamp: Any = None,
) -> Iterator[Iterator[Encoded]]:
    """Each slice's golden records, in slice order (``new``: the clusters that become new golden
    records, whose rows are made with them, with ``stamp`` as the write's timestamp).

    With workers, building starts on entry, so the caller's own preparation
    overlaps the first slices; leaving the block shuts the workers down."""
    new = new or {}
    if workers <= 1 or len(slices) <= 1:
        yield (_without_gc(rules, domain, frame, part, now, overrides, new, stamp) for part in slices)
        return
    global _JOB
    _JOB = (rules, domain, now, stamp)
    # Frozen objects are never visited by a collection in the workers, so
    # the parent's pages stay shared with them (copy-on-write).
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=gc.disable) as pool:
            queued: deque = deque()
            following = 0

            def submit(index: int):
                part = slices[index]
                members = frame.loc[member_ids(part)]
                pinned = {label: overrides[label] for label in part if label in overrides}
                fresh = {label: new[label] for label in part if label in new}
                return pool.submit(_build_slice, members, part, pinned, fresh)

            # A window of slices ahead of the writer: enough to keep workers busy,
            # few enough that built slices never pile up in memory.
            while following < len(slices) and len(queued) < workers + 1:
                queued.append(submit(following))
                following += 1

            def results() -> Iterator[Encoded]:
                nonlocal following
                while queued:
                    done = queued.popleft().result()
                    if following < len(slices):
                        queued.append(submit(following))
                        following += 1
                    yield done

            try:
                yield results()
            except BaseException:
                # The caller failed: drop the slices not started yet rather than build them.
                for future in queued:
                    future.cancel()
                raise
    finally:
        _JOB = None
        gc.unfreeze()


def _build_slice(members: pd.DataFrame, part: dict[Hashable, list[int]],
                 overrides: Mapping[Hashable, Mapping[str, Override]], new: Mapping[Hashable, NewRecord]) -> Encoded:
    # Workers run with the cyclic garbage collector off (``initializer``; see ``_without_gc``).
    # Whatever cycles a custom strategy may leave are collected between slices (cheap: what
    # the parent held when the pool started is frozen, so only this worker's leftovers are seen).
    gc.collect()
    rules, domain, now, stamp = _JOB
    return build_encoded(rules, domain, members, part, now=now, overrides=overrides, new=new, stamp=stamp)


def _without_gc(rules, domain, frame, part, now, overrides, new, stamp) -> Encoded:
    """One slice built with the cyclic garbage collector paused.

    Survivorship allocates many small containers (candidates, decisions, lineage dicts) and
    makes no reference cycles, so reference counting frees all of it; the collector's passes
    over everything alive (a bulk run's frames, the golden ids of the domain) only cost time,
    about a fifth of the build."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return build_encoded(rules, domain, frame, part, now=now, overrides=overrides, new=new, stamp=stamp)
    finally:
        if paused:
            gc.enable()
