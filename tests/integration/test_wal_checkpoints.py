"""WAL checkpoints off the request path: a SQLite store that takes real-time
upserts checkpoints from a background thread, not inside a commit."""

from __future__ import annotations

import sqlite3
import time

import pytest
from starlette.testclient import TestClient

from mdm.api.app import create_app
from mdm.store import Store
from mdm.store.checkpoint import WalCheckpointer, sqlite_file
from mdm.store.migrate import upgrade


def _wal_frames(path) -> int:
    wal = path.with_name(path.name + "-wal")
    return (wal.stat().st_size - 32) // (4096 + 24) if wal.exists() and wal.stat().st_size > 32 else 0


def test_the_thread_moves_what_writers_leave_in_the_wal(tmp_path):
    path = tmp_path / "hub.db"
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # only the thread may checkpoint
    writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    writer.commit()
    checkpointer = WalCheckpointer(str(path), interval=0.02).start()
    try:
        for _ in range(50):
            writer.execute("INSERT INTO t (body) VALUES (?)", ("x" * 3000,))
            writer.commit()
        deadline = time.monotonic() + 10
        while checkpointer.frames < 50 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpointer.running
    finally:
        checkpointer.stop()
    # Every insert wrote at least one page, and the thread copied them into the database file.
    assert checkpointer.checkpoints >= 1 and checkpointer.frames >= 50
    assert _wal_frames(path) >= 50  # the writer never checkpointed (the WAL is reused, not truncated)
    assert not checkpointer.running
    reader = sqlite3.connect(path)
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (50,)
    reader.close()
    writer.close()


def test_without_the_thread_nothing_is_checkpointed(tmp_path):
    # The control: the same writes with no checkpointer leave every frame in the WAL.
    path = tmp_path / "hub.db"
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    writer.commit()
    for _ in range(50):
        writer.execute("INSERT INTO t (body) VALUES (?)", ("x" * 3000,))
        writer.commit()
    busy, log, moved = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, moved) == (0, log) and log >= 50  # all of them were still waiting
    writer.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [("sqlite:////var/lib/mdm/hub.db", "/var/lib/mdm/hub.db"), ("sqlite:///mdm.db", "mdm.db"),
     ("sqlite://", None), ("sqlite:///:memory:", None),
     ("postgresql+psycopg://postgres@127.0.0.1:5432/test", None)],
)
def test_only_sqlite_files_get_a_checkpointer(url, expected):
    assert sqlite_file(url) == expected


def test_the_server_checkpoints_while_it_is_up_and_stops_after(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(store.engine)
    try:
        with TestClient(create_app(store, steward_dir=None)) as client:
            assert client.get("/healthz").status_code == 200
            assert store.checkpointer is not None and store.checkpointer.running
            assert store.checkpointer.path == str(tmp_path / "hub.db")
        assert store.checkpointer is None
    finally:
        store.close()


def test_a_store_the_caller_started_keeps_its_checkpointer(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(store.engine)
    mine = store.start_checkpoints()
    try:
        with TestClient(create_app(store, steward_dir=None)):
            assert store.checkpointer is mine
        assert store.checkpointer is mine and mine.running
    finally:
        store.close()
    assert store.checkpointer is None and not mine.running
