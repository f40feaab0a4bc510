"""One writer per domain: matching must not run twice at once on one domain."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


@contextmanager
def domain_lock(session: Session, domain: str) -> Iterator[None]:
    """One writer per domain at a time: in this process, and across workers
    through a PostgreSQL advisory lock held on its own connection."""
    with _local_guard:
        local = _local_locks.setdefault(domain, threading.Lock())
    with local:
        engine = session.get_bind()
        if engine.dialect.name != "postgresql":
            yield
            return
        key = int.from_bytes(hashlib.sha256(f"mdm-match:{domain}".encode()).digest()[:8], "big", signed=True)
        # Autocommit: a session-level advisory lock needs no transaction around it (two round trips, not four).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
