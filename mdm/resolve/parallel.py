"""Golden records of a large bulk run built in worker processes.

Survivorship is pure Python, so a bulk run spends most of its write stage
in it on one core. Forked workers build slices of clusters (attributes and
encoded JSON) while the parent writes the slices already built, in order.
Workers inherit the frame by fork; only finished slices travel back."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Hashable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import Any

import pandas as pd

from mdm.resolve.golden import build_clusters
from mdm.store.jsonenc import EncodedJSON, encode
from mdm.survivorship import Override, SurvivorshipRules

# label -> (attributes, attributes as JSON, lineage as JSON)
Encoded = dict[Hashable, tuple[dict[str, Any], EncodedJSON, EncodedJSON]]

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


def built_slices(
    rules: SurvivorshipRules,
    domain: str,
    frame: pd.DataFrame,
    slices: list[dict[Hashable, list[int]]],
    *,
    now: datetime,
    overrides: Mapping[Hashable, Mapping[str, Override]],
    workers: int = 1,
) -> Iterator[Encoded]:
    """Each slice's golden records, in slice order."""
    if workers <= 1 or len(slices) <= 1:
        for part in slices:
            yield _encoded(build_clusters(rules, domain, frame, part, now=now, overrides=overrides))
        return
    global _JOB
    _JOB = (rules, domain, frame, slices, now, overrides)
    # Frozen objects are never visited by a collection in the workers, so
    # pages the workers only read stay shared with the parent (copy-on-write).
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            queued: deque = deque()
            following = 0
            # A window of slices ahead of the writer: enough to keep workers busy,
            # few enough that built slices never pile up in memory.
            while following < len(slices) and len(queued) < workers + 1:
                queued.append(pool.submit(_build_slice, following))
                following += 1
            while queued:
                done = queued.popleft().result()
                if following < len(slices):
                    queued.append(pool.submit(_build_slice, following))
                    following += 1
                yield done
    finally:
        _JOB = None
        gc.unfreeze()


def _build_slice(index: int) -> Encoded:
    rules, domain, frame, slices, now, overrides = _JOB
    return _encoded(build_clusters(rules, domain, frame, slices[index], now=now, overrides=overrides))


def _encoded(built) -> Encoded:
    return {label: (attributes, encode(attributes), encode(lineage)) for label, (attributes, lineage) in built.items()}
