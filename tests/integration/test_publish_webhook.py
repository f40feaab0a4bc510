"""Delivering change events to a real webhook receiver process, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from receivers.harness import SECRET, WebhookReceiver, add_events, free_port, out_of_order
from sqlalchemy import select

from mdm.ingest import load_file, load_mapping
from mdm.publish import subscribers as service
from mdm.publish.dispatcher import DispatcherConfig, run_dispatcher
from mdm.publish.policy import RetryPolicy
from mdm.resolve.run import match_domain
from mdm.rules import load_match_rules
from mdm.store.publishing_tables import Delivery
from mdm.store.tables import OutboxEvent

ROOT = Path(__file__).resolve().parents[2]
FAST = DispatcherConfig(poll_interval=0.02, retry=RetryPolicy(base=0.05, cap=0.2), batch_size=100)


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def shared_receiver(tmp_path_factory):
    with WebhookReceiver(tmp_path_factory.mktemp("receiver") / "received.jsonl") as r:
        yield r


@pytest.fixture
def receiver(shared_receiver):
    """One receiver process for the module, with an empty log per test."""
    shared_receiver.log_path.write_text("")
    return shared_receiver


def subscribe(store, name: str, url: str, **spec) -> None:
    with store.session() as session:
        service.add_subscriber(
            session,
            service.SubscriberSpec(name=name, target=service.WebhookTarget(url=url, secret=SECRET), from_sequence=1, **spec),
            now=now(),
        )


def drain(store, config: DispatcherConfig = FAST):
    return asyncio.run(run_dispatcher(store, stop=asyncio.Event(), config=config, once=True))


def run_until(store, done, *, timeout: float = 20, config: DispatcherConfig = FAST) -> None:
    """Run the dispatcher loop until `done()` holds (checked off the event loop)."""

    async def main():
        stop = asyncio.Event()
        task = asyncio.create_task(run_dispatcher(store, stop=stop, config=config))
        deadline = time.monotonic() + timeout
        while not await asyncio.to_thread(done) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        stop.set()
        await task

    asyncio.run(main())


def deliveries(store, name: str) -> list[Delivery]:
    with store.session() as session:
        sub = service.get_subscriber(session, name)
        return session.execute(
            select(Delivery).join_from(Delivery, service.Subscriber).where(service.Subscriber.name == sub.name)
            .order_by(Delivery.sequence)
        ).scalars().all()


def test_every_event_arrives_signed_once_and_in_order_per_record(store, receiver):
    subscribe(store, "crm", receiver.url("/ok"))
    with store.session() as session:
        rows = add_events(session, 300, subjects=7)
    stats = drain(store)
    got = receiver.delivered()
    assert stats.delivered == 300
    assert [r["webhook_id"] for r in got] == [r["id"] for r in got]
    assert sorted(r["id"] for r in got) == sorted(r["event_id"] for r in rows)
    assert out_of_order(got) == []
    assert all(r["verified"] for r in receiver.log())


def test_the_event_is_a_cloudevent_with_version_sequence_and_correlation(sqlite_store, receiver):
    subscribe(sqlite_store, "crm", receiver.url("/ok"))
    with sqlite_store.session() as session:
        add_events(session, 1, subjects=1)
        row = session.execute(select(OutboxEvent)).scalar_one()
    drain(sqlite_store)
    [got] = receiver.delivered()
    assert got["id"] == row.event_id
    assert got["type"] == "mdm.customer.updated"
    assert got["subject"] == row.subject
    assert (got["sequence"], got["version"]) == (row.sequence, row.version)


def test_golden_changes_from_a_real_match_run_are_delivered(store, receiver, tmp_path):
    subscribe(store, "crm", receiver.url("/ok"), domains=["customer"])
    data = tmp_path / "crm.csv"
    data.write_text(
        "Id,FirstName,LastName,Email\n"
        "C1,Robert,Smith,bob@example.com\nC2,Bob,Smith,bob@example.com\nC3,Ann,Lee,ann@example.com\n"
    )
    mapping = tmp_path / "crm.mapping.yaml"
    mapping.write_text(
        "source: CRM\ndomain: customer\nkey: Id\n"
        "fields: {given_name: FirstName, family_name: LastName, email: Email}\n"
    )
    with store.session() as session:
        load_file(session, data, load_mapping(mapping))
        match_domain(session, "customer", load_match_rules(ROOT / "rules", "customer"), now=now())
        events = session.execute(select(OutboxEvent).order_by(OutboxEvent.sequence)).scalars().all()
    assert events
    drain(store)
    got = receiver.delivered()
    assert [r["id"] for r in got if r["id"]] and {r["id"] for r in got} == {e.event_id for e in events}
    assert {r["type"] for r in got} <= {f"mdm.customer.{c}" for c in ("created", "updated", "merged", "split", "deleted")}


def test_a_receiver_that_goes_down_and_comes_back_gets_everything_in_order(store, tmp_path):
    receiver = WebhookReceiver(tmp_path / "received.jsonl").start()
    try:
        subscribe(store, "crm", receiver.url("/ok"))
        with store.session() as session:
            add_events(session, 100, subjects=5)
        drain(store)
        receiver.stop()
        with store.session() as session:
            rows = add_events(session, 100, subjects=5, start_version=100)

        def back_and_done():
            if receiver.process is None and any(d.attempts for d in deliveries(store, "crm")):
                receiver.start()
            return len({r["id"] for r in receiver.delivered()}) >= 200

        # The receiver restarts and retries back off: allow for a loaded CI machine.
        run_until(store, back_and_done, timeout=90)
        got = receiver.delivered()
        assert {r["event_id"] for r in rows} <= {r["id"] for r in got}
        assert len({r["id"] for r in got}) == 200
        assert out_of_order(got) == []
    finally:
        receiver.stop()


def test_5xx_is_retried_with_backoff_until_it_succeeds(store, receiver):
    subscribe(store, "crm", receiver.url("/flaky/2"))
    with store.session() as session:
        add_events(session, 10, subjects=2)
    run_until(store, lambda: len(receiver.delivered()) >= 10)
    log = receiver.log()
    assert len(receiver.delivered()) == 10
    assert sum(r["status"] == 503 for r in log) == 20
    assert out_of_order(receiver.delivered()) == []


def test_5xx_that_never_ends_is_dead_lettered_after_max_attempts_and_can_be_redriven(store, receiver):
    subscribe(store, "crm", receiver.url("/status/500"), max_attempts=3)
    with store.session() as session:
        add_events(session, 2, subjects=2)
    run_until(store, lambda: [d.status for d in deliveries(store, "crm")] == ["dead", "dead"])
    with store.session() as session:
        dead = service.dead_letters(session, "crm")
        assert [d.attempts for d in dead] == [3, 3]
        assert all("gave up after 3 attempts: HTTP 500" in d.reason for d in dead)
        assert service.redrive(session, "crm", now=now()) == 2
    assert [d.status for d in deliveries(store, "crm")] == ["pending", "pending"]


def test_4xx_is_dead_lettered_at_once_and_does_not_block_the_record(sqlite_store, receiver):
    subscribe(sqlite_store, "crm", receiver.url("/status/422"))
    with sqlite_store.session() as session:
        add_events(session, 3, subjects=1)
    drain(sqlite_store)
    assert [(d.status, d.attempts) for d in deliveries(sqlite_store, "crm")] == [("dead", 1)] * 3
    with sqlite_store.session() as session:
        assert service.dead_letters(session, "crm")[0].reason == "HTTP 422: rejected by the receiver"


def test_429_waits_as_long_as_retry_after_says(sqlite_store, receiver):
    subscribe(sqlite_store, "crm", receiver.url("/status/429?retry_after=120"))
    with sqlite_store.session() as session:
        add_events(session, 1, subjects=1)
    before = now()
    drain(sqlite_store)
    [d] = deliveries(sqlite_store, "crm")
    wait = (d.next_attempt_at.replace(tzinfo=timezone.utc) - before).total_seconds()
    assert d.status == "pending" and d.attempts == 1 and 119 <= wait <= 125


def test_410_gone_pauses_the_subscriber_and_keeps_the_event(sqlite_store, receiver):
    subscribe(sqlite_store, "crm", receiver.url("/status/410"))
    with sqlite_store.session() as session:
        add_events(session, 2, subjects=1)
    drain(sqlite_store)
    with sqlite_store.session() as session:
        info = service.get_subscriber(session, "crm")
    assert info.status == "paused" and "410" in info.status_reason
    assert [(d.status, d.attempts) for d in deliveries(sqlite_store, "crm")] == [("pending", 0), ("pending", 0)]


def test_an_unreachable_url_is_retried_then_dead_lettered(sqlite_store):
    subscribe(sqlite_store, "crm", f"http://127.0.0.1:{free_port()}/hook", max_attempts=2)
    with sqlite_store.session() as session:
        add_events(session, 1, subjects=1)
    run_until(sqlite_store, lambda: [d.status for d in deliveries(sqlite_store, "crm")] == ["dead"])
    [d] = deliveries(sqlite_store, "crm")
    assert d.attempts == 2 and "cannot reach" in d.last_error


def test_a_failing_subscriber_does_not_hold_back_another(store, receiver):
    subscribe(store, "broken", receiver.url("/status/503"), max_attempts=100)
    subscribe(store, "healthy", receiver.url("/ok"))
    with store.session() as session:
        add_events(session, 50, subjects=5)
    run_until(store, lambda: len([r for r in receiver.delivered() if r["path"] == "/ok"]) >= 50, timeout=10)
    assert len([r for r in receiver.delivered() if r["path"] == "/ok"]) == 50


def test_filters_pick_domains_changes_and_changed_attributes(sqlite_store, receiver):
    subscribe(sqlite_store, "emails", receiver.url("/ok"), domains=["customer"], attributes=["email"])
    with sqlite_store.session() as session:
        add_events(session, 4, subjects=2, attribute="email")
        add_events(session, 4, subjects=2, attribute="phone")
        add_events(session, 4, subjects=2, attribute="phone", change="created")
        add_events(session, 4, subjects=2, domain="item", attribute="email")
    drain(sqlite_store)
    got = receiver.delivered()
    assert len(got) == 8
    assert {r["type"] for r in got} == {"mdm.customer.updated", "mdm.customer.created"}


def test_replay_from_a_sequence_or_a_time_sends_the_same_events_again(store, receiver):
    subscribe(store, "crm", receiver.url("/ok"))
    with store.session() as session:
        rows = add_events(session, 10, subjects=2)
    drain(store)
    with store.session() as session:
        assert service.replay(session, "crm", from_sequence=6, now=now()) == 6
    drain(store)
    with store.session() as session:
        service.replay(session, "crm", since=now() - timedelta(hours=1), now=now())
    drain(store)
    ids = [r["id"] for r in receiver.delivered()]
    assert len(ids) == 10 + 5 + 10
    assert set(ids) == {r["event_id"] for r in rows}
