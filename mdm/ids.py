"""Golden ids: a domain prefix plus a time-ordered random part (ULID-like),
so ids sort by creation and several workers can mint them without a lock.
The 26 characters are Crockford base32 of 130 bits: the time in milliseconds
(50 bits, 10 characters) and 80 random bits (16 characters).

Outbox event ids (``new_event_ids``) are time-ordered UUIDs (version 7)."""

from __future__ import annotations

import os
import time

import numpy as np

PREFIX = {"customer": "CUS", "item": "ITM", "price": "PRC"}
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_DIGITS = np.frombuffer(_ALPHABET.encode(), dtype=np.uint8)
_TIME_BITS, _RANDOM_BYTES = 50, 10


def new_golden_id(domain: str, *, now_ms: int | None = None) -> str:
    return new_golden_ids(domain, 1, now_ms=now_ms)[0]


def new_golden_ids(domain: str, n: int, *, now_ms: int | None = None) -> list[str]:
    """``n`` new ids minted at one moment, in ascending order (one encoding for one id and many).
    A bulk run mints hundreds of thousands: the random bits come from one system call and the
    digits from numpy. Ascending, because the caller writes them in that order: the tables keyed
    by golden id then take their rows in key order (appends), not at random places in their indexes."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    random = np.frombuffer(os.urandom(_RANDOM_BYTES * n), dtype=f"S{_RANDOM_BYTES}").copy()
    random.sort()
    # Per id 20 bytes (160 bits, 32 digits): the time in 10 bytes, then the 10 random bytes. The
    # first 30 bits are zero (6 digits "0"); the other 26 digits are the id's.
    blocks = np.empty((n, 20), dtype=np.uint8)
    blocks[:, :10] = np.frombuffer((ms % (1 << _TIME_BITS)).to_bytes(10, "big"), dtype=np.uint8)
    blocks[:, 10:] = random.view(np.uint8).reshape(n, _RANDOM_BYTES)
    bits = np.unpackbits(blocks, axis=1).reshape(n, 32, 5)[:, 6:, :]
    values = bits @ np.array([16, 8, 4, 2, 1], dtype=np.uint8)
    digits = _DIGITS[values].tobytes().decode()
    prefix = f"{PREFIX[domain]}-"
    return [prefix + digits[start : start + 26] for start in range(0, 26 * n, 26)]


def new_event_ids(n: int, *, now_ms: int | None = None) -> list[str]:
    """``n`` outbox event ids minted at one moment: UUIDs of version 7 (RFC 9562: the time in
    milliseconds, then random bits), in ascending order, so a bulk run's events go into the
    event id index in key order rather than at random places (as version 4 UUIDs would)."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    blocks = np.empty((n, 16), dtype=np.uint8)
    blocks[:, :6] = np.frombuffer((ms % (1 << 48)).to_bytes(6, "big"), dtype=np.uint8)
    random = np.frombuffer(os.urandom(10 * n), dtype=np.uint8).reshape(n, 10).copy()
    random[:, 0] = (random[:, 0] & 0x0F) | 0x70  # version 7
    random[:, 2] = (random[:, 2] & 0x3F) | 0x80  # the RFC's variant
    blocks[:, 6:] = np.sort(random.view("S10").ravel()).view(np.uint8).reshape(n, 10)
    h = blocks.tobytes().hex()
    return [f"{h[s:s + 8]}-{h[s + 8:s + 12]}-{h[s + 12:s + 16]}-{h[s + 16:s + 20]}-{h[s + 20:s + 32]}"
            for s in range(0, 32 * n, 32)]
