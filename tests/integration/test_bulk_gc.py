"""A bulk match runs with the cyclic garbage collector paused, and gives it back as it found it.

At a million records the collector's passes, set off by the allocations of
rows, tuples and dicts that reference counting frees anyway, cost seconds in
every stage; the run collects explicitly where it drops its large structures."""

from __future__ import annotations

import gc
from datetime import datetime, timezone

import pytest

import mdm.resolve.run as run
from mdm.memory import cycles_between_stages
from mdm.resolve.links import mark_for_rematch
from test_match_store import CUSTOMER_FILES, RULES, load

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    gc.enable() if was else gc.disable()


def collector_states(monkeypatch, module, name: str) -> list[bool]:
    """Whether the collector was on at each call of ``module.name`` (the real function still runs)."""
    states: list[bool] = []
    real = getattr(module, name)

    def spy(*args, **kw):
        states.append(gc.isenabled())
        return real(*args, **kw)

    monkeypatch.setattr(module, name, spy)
    return states


@pytest.mark.parametrize("enabled", [True, False])
def test_pause_restores_the_collectors_own_state(enabled):
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with cycles_between_stages():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError):
            with cycles_between_stages():
                raise RuntimeError("a stage failed")
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_bulk_match_pauses_the_collector_and_an_incremental_one_does_not(store, monkeypatch, collector_on):
    for stem in CUSTOMER_FILES[:-1]:
        load(store, stem)
    states = collector_states(monkeypatch, run, "apply_clusters")
    with store.session() as s:
        assert run.match_domain(s, "customer", RULES, now=NOW).mode == "bulk"
    assert states == [False]
    assert gc.isenabled()
    load(store, CUSTOMER_FILES[-1])
    with store.session() as s:
        assert run.match_domain(s, "customer", RULES, now=NOW).mode == "incremental"
    assert states[1:] and all(states[1:])
    assert gc.isenabled()


def test_a_failing_bulk_match_turns_the_collector_back_on(store, monkeypatch, collector_on):
    load(store, CUSTOMER_FILES[0])

    def broken(*args, **kw):
        assert not gc.isenabled()
        raise RuntimeError("write failed")

    monkeypatch.setattr(run, "apply_clusters", broken)
    with store.session() as s, pytest.raises(RuntimeError, match="write failed"):
        run.match_domain(s, "customer", RULES, now=NOW)
    assert gc.isenabled()


# --- foreign-key checks and the memory map off for the bulk run (SQLite) ---------------------------


def _foreign_keys(session) -> int:
    return session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar()


def _mmap(session) -> int:
    return session.connection().exec_driver_sql("PRAGMA mmap_size").scalar()


def test_bulk_match_writes_without_foreign_key_checks_and_leaves_every_reference_whole(sqlite_store, monkeypatch):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    store = sqlite_store
    for stem in CUSTOMER_FILES:
        load(store, stem)
    seen = []
    real = run.apply_clusters

    def spy(session, *args, **kw):
        seen.append(_foreign_keys(session))
        return real(session, *args, **kw)

    monkeypatch.setattr(run, "apply_clusters", spy)
    with store.session() as s:
        assert run.match_domain(s, "customer", RULES, now=NOW).mode == "bulk"
    assert seen == [0]
    with store.session() as s:
        assert _foreign_keys(s) == 1
        assert s.execute(text("PRAGMA foreign_key_check")).all() == []  # every xref, version and pair has its parents
        assert s.execute(text("SELECT count(*) FROM xref")).scalar() > 0
    # Every pooled connection checks again: an xref row without its golden record is refused.
    for _ in range(3):
        with store.session() as s, pytest.raises(IntegrityError):
            s.execute(text("UPDATE xref SET golden_id = 'CUS-NOPE' WHERE record_id = (SELECT min(record_id) FROM xref)"))


def test_a_failed_bulk_match_gives_its_connection_back_with_foreign_key_checks_and_mapped(sqlite_store, monkeypatch):
    from sqlalchemy import text

    store = sqlite_store
    load(store, CUSTOMER_FILES[0])
    with store.session() as s:
        mapped = _mmap(s)

    def broken(session, *args, **kw):
        assert _foreign_keys(session) == 0 and _mmap(session) == 0
        # Fails in the middle of its transaction: the pragma cannot be set back before the rollback.
        session.execute(text("UPDATE source_record SET matched_version = NULL"))
        assert session.connection().connection.dbapi_connection.in_transaction
        raise RuntimeError("write failed")

    monkeypatch.setattr(run, "apply_clusters", broken)
    with store.session() as s, pytest.raises(RuntimeError, match="write failed"):
        run.match_domain(s, "customer", RULES, now=NOW)
    for _ in range(3):  # whichever pooled connection comes next
        with store.session() as s:
            assert _foreign_keys(s) == 1 and _mmap(s) == mapped


def test_an_open_transaction_keeps_its_foreign_key_checks(sqlite_store):
    from sqlalchemy import text

    from mdm.store.bulk import foreign_keys_unchecked

    with sqlite_store.session() as s:
        s.execute(text("UPDATE source_record SET matched_version = NULL WHERE 0"))  # opens the transaction
        with foreign_keys_unchecked(s):
            assert _foreign_keys(s) == 1
        with foreign_keys_unchecked(s):
            pass
        s.commit()
        with foreign_keys_unchecked(s):
            assert _foreign_keys(s) == 0
        assert _foreign_keys(s) == 1


# --- memory-mapped reads: on for every connection, off for a bulk run (SQLite) ----------------------


def test_connections_read_through_a_memory_map_but_a_bulk_match_does_not(sqlite_store, monkeypatch):
    """An incremental run's scattered reads go through the map; a bulk run reads its whole domain
    unmapped (its pages would stay mapped and count in its memory), and every connection has
    the map again after it, the one that matched included."""
    store = sqlite_store
    for stem in CUSTOMER_FILES:
        load(store, stem)
    with store.session() as s:
        mapped = _mmap(s)
    assert mapped > 0
    seen = {}
    real_bulk, real_incremental = run._match_bulk, run._match_incremental

    def bulk(session, *args, **kw):
        seen["bulk"] = _mmap(session)
        return real_bulk(session, *args, **kw)

    def incremental(session, *args, **kw):
        seen["incremental"] = _mmap(session)
        return real_incremental(session, *args, **kw)

    monkeypatch.setattr(run, "_match_bulk", bulk)
    monkeypatch.setattr(run, "_match_incremental", incremental)
    with store.session() as s:
        assert run.match_domain(s, "customer", RULES, now=NOW).mode == "bulk"
        assert _mmap(s) == mapped  # after its commit, on the session that matched
    with store.session() as s:
        mark_for_rematch(s, [1])
        s.commit()
        assert run.match_domain(s, "customer", RULES, now=NOW).mode == "incremental"
    assert seen == {"bulk": 0, "incremental": mapped}
    for _ in range(3):
        with store.session() as s:
            assert _mmap(s) == mapped


# --- a large load ---------------------------------------------------------------------------------


def _collector_state(start: int, stop: int) -> tuple[int, bool]:
    return start, gc.isenabled()


def test_load_workers_and_their_parent_pause_the_collector_and_restore_it(collector_on):
    from mdm.ingest.parallel import map_chunks

    seen_in_parent = []
    results = []
    for result in map_chunks(_collector_state, 50000, 2):
        seen_in_parent.append(gc.isenabled())
        results.append(result)
    assert [start for start, _ in results] == sorted(start for start, _ in results) and len(results) >= 4
    assert not any(enabled for _, enabled in results)  # in the workers
    assert not any(seen_in_parent)  # while the parent gathers
    assert gc.isenabled()


def test_load_file_stores_with_the_collector_paused(store, monkeypatch, collector_on):
    import mdm.ingest.loader as loader

    states = collector_states(monkeypatch, loader, "store_records")
    load(store, CUSTOMER_FILES[0])
    assert states and not any(states)
    assert gc.isenabled()
