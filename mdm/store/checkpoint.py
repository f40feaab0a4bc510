"""Background WAL checkpoints for a SQLite store that takes writes in real time.

SQLite checkpoints the WAL inside the commit that takes it past
``wal_autocheckpoint`` pages (1,000 by default): that commit copies the pages
into the database file and syncs it, 13-16 ms on a 1M-record store, so one
upsert in a few pays for the others' writes. The server instead checkpoints
from a thread of its own, on its own connection, while requests go on
(sqlite3 releases the GIL). A PASSIVE checkpoint never waits for readers or
the writer; the connections' own threshold stays as it is, as a backstop
when the thread falls behind."""

from __future__ import annotations

import logging
import sqlite3
import threading

from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)

# Often enough that the writes between two rounds stay well under the
# connections' 1,000-page threshold. At 0.25 s, twenty-odd upserts of ~40
# pages each came close to it, and one commit in twenty still checkpointed
# inline (15-20 ms, the upsert's p95 at 1M). A round with no new frames
# costs microseconds.
INTERVAL_SECONDS = 0.05


def sqlite_file(url: str | URL) -> str | None:
    """The database file of a SQLite URL; None for other databases and in-memory ones."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


class WalCheckpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` every ``interval`` seconds until stopped."""

    def __init__(self, path: str, interval: float = INTERVAL_SECONDS):
        self.path, self.interval = path, interval
        self.checkpoints = 0  # checkpoints that moved at least one frame
        self.frames = 0  # frames copied into the database file
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> WalCheckpointer:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="mdm-wal-checkpoint", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=0, check_same_thread=False)
        try:
            while not self._stop.wait(self.interval):
                try:
                    _busy, _log, moved = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # a locked or busy file: the next round tries again
                    log.debug("wal checkpoint skipped: %s", exc)
                    continue
                if moved > 0:
                    self.checkpoints += 1
                    self.frames += moved
        finally:
            conn.close()
