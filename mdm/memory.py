"""Heap policy for the large stages of a bulk match.

glibc keeps freed small and medium blocks in its arenas; at a million records
that is gigabytes of resident memory that no object uses any more, so the
stages give it back between them (``release_free_heap``). Within a stage the
opposite holds: numpy's temporaries of tens of millions of pairs are above
glibc's mmap threshold (at most 32 MiB), so each one is a fresh mapping whose
pages fault in one by one, and is unmapped again when freed. ``large_heap``
keeps them in the heap for reuse while a bulk match runs."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from contextlib import contextmanager

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# What glibc's dynamic thresholds reach after large blocks were freed: the
# closest to its defaults that can be set back (setting them stops the dynamics).
_USUAL_MMAP_THRESHOLD = 32 << 20
_USUAL_TRIM_THRESHOLD = 64 << 20
LARGE_MMAP_THRESHOLD = 1 << 30


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:  # not glibc: nothing to do
        return None


def release_free_heap() -> None:
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@contextmanager
def large_heap():
    """Blocks up to 1 GiB come from the heap, and freeing never trims it:
    a freed temporary is reused by the next one without page faults. Freed
    memory still goes back to the system at ``release_free_heap`` and on exit."""
    libc = _libc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, LARGE_MMAP_THRESHOLD)
    libc.mallopt(_M_TRIM_THRESHOLD, LARGE_MMAP_THRESHOLD)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _USUAL_MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _USUAL_TRIM_THRESHOLD)
        libc.malloc_trim(0)


@contextmanager
def cycles_between_stages():
    """The cyclic garbage collector paused for the block: a bulk stage allocates
    millions of rows, tuples and dicts that reference counting frees, and the
    collector's passes over them (triggered by the allocations alone) cost a
    tenth of the run. The stages call ``gc.collect()`` where they drop their
    large structures; the collector runs as usual again after the block."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
