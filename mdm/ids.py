"""Golden ids: a domain prefix plus a time-ordered random part (ULID-like),
so ids sort by creation and several workers can mint them without a lock."""

from __future__ import annotations

import os
import time

PREFIX = {"customer": "CUS", "item": "ITM", "price": "PRC"}
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


def _base32(number: int, length: int) -> str:
    out = []
    for _ in range(length):
        number, rem = divmod(number, 32)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def new_golden_id(domain: str, *, now_ms: int | None = None) -> str:
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    return f"{PREFIX[domain]}-{_base32(ms, 10)}{_base32(rand, 16)}"
