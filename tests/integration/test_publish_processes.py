"""Dispatcher processes: one killed mid-batch loses nothing; two against
PostgreSQL share the work without sending an event twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from receivers.harness import SECRET, WebhookReceiver, add_events, out_of_order

from mdm.publish import subscribers as service
from mdm.publish.dispatcher import DispatcherConfig, run_dispatcher

MDM = str(Path(sys.executable).parent / "mdm")


@pytest.fixture
def receiver(tmp_path):
    with WebhookReceiver(tmp_path / "received.jsonl") as r:
        yield r


def subscribe(store, url: str) -> None:
    with store.session() as session:
        service.add_subscriber(session, service.SubscriberSpec(
            name="crm", target=service.WebhookTarget(url=url, secret=SECRET), from_sequence=1,
        ), now=datetime.now(timezone.utc))


def dispatcher_process(db_url: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "MDM_DATABASE_URL": db_url}
    return subprocess.Popen([MDM, "publish", "--poll-interval", "0.05", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_dispatcher_killed_mid_batch_loses_nothing_and_resends_with_the_same_ids(store, db_url, receiver):
    subscribe(store, receiver.url("/slow/20"))
    with store.session() as session:
        rows = add_events(session, 200, subjects=20)
    process = dispatcher_process(db_url, "--lease-seconds", "1", "--batch-size", "40", "--concurrency", "4")
    try:
        deadline = time.monotonic() + 30
        while len(receiver.delivered()) < 30 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        process.kill()
    before = len(receiver.delivered())
    assert 30 <= before < 200, "the kill must land mid-way"

    async def resume():
        stop = asyncio.Event()
        task = asyncio.create_task(run_dispatcher(store, stop=stop, config=DispatcherConfig(poll_interval=0.05)))
        deadline = time.monotonic() + 20
        while len({r["id"] for r in receiver.delivered()}) < 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        stop.set()
        await task

    asyncio.run(resume())
    got = receiver.delivered()
    assert {r["id"] for r in got} == {r["event_id"] for r in rows}
    by_id = {r["event_id"]: r for r in rows}
    # A duplicate is the same event again: same id, same record, same version.
    assert all((r["subject"], r["version"]) == (by_id[r["id"]]["subject"], by_id[r["id"]]["version"]) for r in got)
    assert out_of_order(got) == []


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_dispatchers_share_the_work_without_sending_twice(store, db_url, receiver):
    subscribe(store, receiver.url("/slow/20"))
    with store.session() as session:
        rows = add_events(session, 300, subjects=60)
    # Long-running, as deployed: with --once, a process that looks while the
    # other holds the routing lock finds nothing due and exits, as it should.
    processes = [dispatcher_process(db_url, "--batch-size", "10", "--concurrency", "4") for _ in range(2)]
    try:
        receiver.wait_for(300, timeout=60)
    finally:
        for p in processes:
            p.send_signal(signal.SIGTERM)
        for p in processes:
            assert p.wait(30) == 0
    got = receiver.delivered()
    counts = Counter(r["id"] for r in got)
    assert set(counts) == {r["event_id"] for r in rows}
    assert max(counts.values()) == 1
    workers = Counter(r["agent"] for r in got)
    assert len(workers) == 2 and min(workers.values()) > 0
    assert out_of_order(got) == []
