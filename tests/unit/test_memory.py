"""The bulk match's heap policy: big temporaries reuse heap memory instead of fresh mappings."""

import resource
import sys
from pathlib import Path

import numpy as np
import pytest

from mdm import memory

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or memory._libc() is None,
    reason="the heap policy uses glibc's mallopt; elsewhere it does nothing",
)

SIZE = 64 << 20  # above glibc's largest dynamic mmap threshold (32 MiB)


def faults_of_a_reused_allocation() -> int:
    """Page faults of filling a 64 MiB block right after one was freed."""
    block = np.ones(SIZE, dtype=np.uint8)
    del block
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = np.ones(SIZE, dtype=np.uint8)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    del block
    return faults


def test_large_blocks_reuse_freed_heap_inside_and_fault_in_afresh_outside():
    memory.release_free_heap()
    usual = faults_of_a_reused_allocation()
    with memory.large_heap():
        inside = faults_of_a_reused_allocation()
    after = faults_of_a_reused_allocation()
    assert usual >= 16  # a fresh mapping each time: every page (or huge page) faults in
    assert inside * 10 < usual  # the freed block is reused, already in memory
    assert after >= 16  # the usual policy is back afterwards


def test_large_heap_gives_memory_back_when_it_ends():
    def rss_mib() -> float:
        line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    memory.release_free_heap()
    start = rss_mib()
    with memory.large_heap():
        block = np.ones(256 << 20, dtype=np.uint8)
        del block
        kept = rss_mib()
    after = rss_mib()
    assert kept - start > 200  # freed inside: kept for reuse
    assert after - start < 64  # returned at the end
