"""Give freed heap memory back to the operating system between the large
stages of a bulk match. glibc keeps freed small and medium blocks in its
arenas; at a million records that is gigabytes of resident memory that no
object uses any more."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None


def release_free_heap() -> None:
    trim = _trim()
    if trim is not None:
        trim(0)
