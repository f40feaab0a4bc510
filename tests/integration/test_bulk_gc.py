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
from test_match_store import CUSTOMER_FILES, RULES, load

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    gc.enable() if was else gc.disable()


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
    states = []
    real = run.apply_clusters

    def spy(*args, **kw):
        states.append(gc.isenabled())
        return real(*args, **kw)

    monkeypatch.setattr(run, "apply_clusters", spy)
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
