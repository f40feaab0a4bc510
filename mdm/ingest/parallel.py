"""Standardization of a large table in forked worker processes.

Mapping, standardizing and validating rows is pure per-row Python, so a
large load spends most of its time in it on one core. The rows are split
into contiguous chunks; forked workers prepare the chunks (they inherit the
table by fork, nothing is pickled on the way in) and the parent collects the
results in chunk order, so the concatenation is what one process gives.
Writing to the store stays in the parent. Small tables (an API upsert, a
seed file) never start a process.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from mdm.ingest.errors import IngestError
from mdm.memory import cycles_between_stages

T = TypeVar("T")

ENV_WORKERS = "MDM_LOAD_WORKERS"
# Below this many rows, starting workers costs more than it saves.
PARALLEL_MIN_ROWS = 20000
# Chunks per worker: a few, so a worker slowed by a busy core does not hold
# the others up; not many, since each chunk standardizes its repeated values
# again. Large tables get more, so the parent can store finished chunks while
# workers prepare the next ones.
CHUNKS_PER_WORKER = 2
CHUNK_ROWS = 10000

# job id -> chunk function; workers find theirs here after the fork.
_JOBS: dict[int, Callable[[int, int], Any]] = {}
_job_ids = itertools.count()


def configured_workers() -> int:
    """Worker count from MDM_LOAD_WORKERS (default: min(2, CPUs)); 1 = in-process."""
    configured = os.environ.get(ENV_WORKERS)
    if configured is None or not configured.strip():
        return min(2, os.cpu_count() or 1)
    try:
        workers = int(configured.strip())
    except ValueError:
        workers = 0
    if workers < 1:
        raise IngestError(
            f"{ENV_WORKERS} must be a whole number of worker processes, 1 or more "
            f"(1 = standardize in the loading process), got {configured!r}"
        )
    return workers


def load_workers(n_rows: int) -> int:
    """Processes to standardize a table of ``n_rows`` rows with (1 = in-process).

    A bad MDM_LOAD_WORKERS is an error whatever the table's size."""
    workers = configured_workers()
    if n_rows < PARALLEL_MIN_ROWS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return workers


def chunk_bounds(n: int, chunks: int) -> list[tuple[int, int]]:
    """``chunks`` contiguous [start, stop) ranges covering 0..n, sizes differing by at most one."""
    chunks = max(1, min(chunks, n))
    size, extra = divmod(n, chunks)
    bounds, start = [], 0
    for k in range(chunks):
        stop = start + size + (1 if k < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def chunk_count(n: int, workers: int) -> int:
    """Chunks for ``n`` rows: a few per worker, and none much over CHUNK_ROWS rows."""
    return 1 if workers <= 1 else max(workers * CHUNKS_PER_WORKER, -(-n // CHUNK_ROWS))


def map_chunks(fn: Callable[[int, int], T], n: int, workers: int) -> Iterator[T]:
    """``fn(start, stop)`` for each chunk of ``range(n)``, in order, each as soon as
    it (and every chunk before it) is done. With ``workers`` > 1 the calls run in
    that many forked processes (``fn`` and what it refers to reach them by
    fork; only results travel back); with 1, one call in this process."""
    bounds = chunk_bounds(n, chunk_count(n, workers))
    if workers <= 1 or len(bounds) <= 1:
        for start, stop in bounds:
            yield fn(start, stop)
        return
    job = next(_job_ids)
    _JOBS[job] = fn
    # Frozen objects are never visited by a collection in the workers, so
    # pages the workers only read stay shared with the parent (copy-on-write).
    gc.freeze()
    # The cyclic collector is paused here while the results are gathered (every chunk's
    # records stay alive until stored, and each pass walked all of them), and in the workers,
    # which collect once per chunk instead (``_run_chunk``): at 1M rows its passes cost about
    # 30 s of the load's 140 s CPU on 2 cores.
    pool = ProcessPoolExecutor(min(workers, len(bounds)), mp_context=multiprocessing.get_context("fork"),
                               initializer=gc.disable)
    try:
        with cycles_between_stages():
            # Every worker is forked at the first submit, before the caller goes on.
            futures = [pool.submit(_run_chunk, job, start, stop) for start, stop in bounds]
            for future in futures:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _JOBS.pop(job, None)
        gc.unfreeze()


def _run_chunk(job: int, start: int, stop: int) -> Any:
    # Cycles the previous chunk left (standardizers may make some) go before the next starts:
    # cheap, since what the worker inherited is frozen and never visited.
    gc.collect()
    return _JOBS[job](start, stop)
