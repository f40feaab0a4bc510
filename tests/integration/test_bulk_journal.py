"""A bulk match on a SQLite store nobody else has open writes straight into the database file
(rollback journal) instead of through the WAL and its checkpoint; beside any other connection it
keeps the WAL, without waiting for locks; either way the store is in WAL mode after it."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

import mdm.resolve.run as run
from mdm.store.bulk import rollback_journal
from test_match_store import CUSTOMER_FILES, RULES, load

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def _pragma(session, name: str):
    return session.connection().exec_driver_sql(f"PRAGMA {name}").scalar()


def _file_mode(store) -> str:
    """The journal mode the database file itself records, read by a connection without the engine's hooks."""
    raw = sqlite3.connect(store.engine.url.database)
    try:
        return raw.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        raw.close()


@pytest.fixture
def any_size(monkeypatch):
    """Bulk runs of the seed data's size take the store too (the default is 100,000 records)."""
    monkeypatch.setattr(run, "ROLLBACK_JOURNAL_RECORDS", 0)


def _spy_bulk(monkeypatch) -> dict:
    seen: dict = {}
    real = run._match_bulk

    def bulk(session, *args, **kw):
        seen["journal"], seen["synchronous"] = _pragma(session, "journal_mode"), _pragma(session, "synchronous")
        return real(session, *args, **kw)

    monkeypatch.setattr(run, "_match_bulk", bulk)
    return seen


def _load_all(store) -> None:
    for stem in CUSTOMER_FILES:
        load(store, stem)


def _bulk_match(store, **kwargs) -> None:
    with store.session() as s:
        assert run.match_domain(s, "customer", RULES, now=NOW, **kwargs).mode == "bulk"


def test_a_bulk_match_alone_on_the_store_writes_without_the_wal_and_leaves_it_in_wal(sqlite_store, monkeypatch,
                                                                                     any_size):
    store = sqlite_store
    _load_all(store)
    seen = _spy_bulk(monkeypatch)
    with store.session() as s:
        assert run.match_domain(s, "customer", RULES, now=NOW).mode == "bulk"
        assert _pragma(s, "journal_mode") == "wal" and _pragma(s, "synchronous") == 1  # NORMAL again
    assert seen == {"journal": "delete", "synchronous": 2}  # FULL: what a rollback journal needs
    assert _file_mode(store) == "wal"
    with store.session() as s:
        assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert s.execute(text("SELECT count(*) FROM xref")).scalar() == s.execute(
            text("SELECT count(*) FROM source_record")).scalar()


def test_beside_another_connection_a_bulk_match_keeps_the_wal_without_waiting(sqlite_store, monkeypatch, any_size):
    store = sqlite_store
    _load_all(store)
    reader = sqlite3.connect(store.engine.url.database)  # as `mdm serve` would hold it
    try:
        assert reader.execute("SELECT count(*) FROM source_record").fetchone()[0] > 0
        with store.session() as s:
            began = time.perf_counter()
            with rollback_journal(s) as switched:
                waited = time.perf_counter() - began
                assert not switched and _pragma(s, "journal_mode") == "wal"
        assert waited < 1.0  # the engine's busy timeout is 30 s: the attempt must not wait for it
        seen = _spy_bulk(monkeypatch)
        _bulk_match(store)
        assert seen == {"journal": "wal", "synchronous": 1}
        # The reader went on reading beside the writer, and sees its commit.
        assert reader.execute("SELECT count(*) FROM xref").fetchone()[0] > 0
    finally:
        reader.close()
    assert _file_mode(store) == "wal"


def test_a_bulk_match_that_fails_midway_gives_the_store_back_in_wal(sqlite_store, monkeypatch, any_size):
    store = sqlite_store
    load(store, CUSTOMER_FILES[0])

    def broken(session, *args, **kw):
        assert _pragma(session, "journal_mode") == "delete"
        session.execute(text("UPDATE source_record SET version = version + 100"))
        assert session.connection().connection.dbapi_connection.in_transaction
        raise RuntimeError("write failed")  # inside the transaction: the mode cannot change before the rollback

    monkeypatch.setattr(run, "apply_clusters", broken)
    with store.session() as s, pytest.raises(RuntimeError, match="write failed"):
        run.match_domain(s, "customer", RULES, now=NOW)
    assert _file_mode(store) == "wal"  # the pool set it back when it took the connection
    for _ in range(3):  # whichever pooled connection comes next
        with store.session() as s:
            assert _pragma(s, "journal_mode") == "wal" and _pragma(s, "synchronous") == 1
            assert s.execute(text("SELECT max(version) FROM source_record")).scalar() < 100  # rolled back


def test_a_small_bulk_match_keeps_the_wal_even_alone(sqlite_store, monkeypatch):
    store = sqlite_store
    _load_all(store)
    seen = _spy_bulk(monkeypatch)
    _bulk_match(store)
    assert seen == {"journal": "wal", "synchronous": 1}


def test_a_retrain_counts_the_records_it_re_matches_not_the_pending_ones(sqlite_store, monkeypatch):
    store = sqlite_store
    _load_all(store)
    with store.session() as s:
        live = s.execute(text("SELECT count(*) FROM source_record WHERE domain = 'customer'")).scalar()
    monkeypatch.setattr(run, "ROLLBACK_JOURNAL_RECORDS", live)
    seen = _spy_bulk(monkeypatch)
    _bulk_match(store)
    assert seen["journal"] == "delete"
    seen.clear()
    _bulk_match(store, retrain=True)  # nothing pending: the retrain re-matches every live record all the same
    assert seen["journal"] == "delete"
    monkeypatch.setattr(run, "ROLLBACK_JOURNAL_RECORDS", live + 1)
    seen.clear()
    _bulk_match(store, retrain=True)
    assert seen["journal"] == "wal"
    assert _file_mode(store) == "wal"
