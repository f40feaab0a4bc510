"""The delivery queue's claim rule on SQLite and PostgreSQL: never ahead of
an earlier pending event of the same golden record, and a record that is
held back (in flight or waiting for a retry) does not starve the others."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from receivers.harness import SECRET, add_events
from sqlalchemy import update

from mdm.publish import queue
from mdm.publish import subscribers as service
from mdm.store.publishing_tables import Delivery, Subscriber


def now() -> datetime:
    return datetime.now(timezone.utc)


def queued(store, events: list[tuple[str, int]]) -> int:
    """A subscriber with `events` (subject, how many) routed into its queue, in that order."""
    with store.session() as session:
        service.add_subscriber(session, service.SubscriberSpec(
            name="crm", target=service.WebhookTarget(url="http://127.0.0.1:9/hook", secret=SECRET), from_sequence=1,
        ), now=now())
        for i, (subject, count) in enumerate(events):
            add_events(session, count, subjects=1, start_version=1 + 100 * i)
            session.execute(update(_outbox()).where(_outbox().c.subject == "cus-00000").values(subject=subject))
            session.commit()
        sub_id = session.query(Subscriber.id).scalar()
    with store.session() as session:
        while queue.route(session, sub_id, now()):
            pass
    return sub_id


def _outbox():
    from mdm.store.tables import OutboxEvent

    return OutboxEvent.__table__


def claim(store, sub_id: int, owner: str, limit: int) -> list[tuple[str, int]]:
    with store.session() as session:
        got = queue.claim(session, sub_id, owner=owner, now=now(), lease=60, limit=limit)
    return [(c.event.subject, c.event.sequence) for c in got]


def test_a_record_waiting_for_a_retry_does_not_fill_every_claim(store):
    sub_id = queued(store, [("hot", 10), ("a", 1), ("b", 1), ("c", 1)])
    with store.session() as session:
        first = min(d.sequence for d in session.query(Delivery).filter(Delivery.subject == "hot"))
        session.execute(update(Delivery).where(Delivery.sequence == first)
                        .values(attempts=1, next_attempt_at=now() + timedelta(minutes=5)))
        session.commit()
    # The 10 events of "hot" come first, all held back by its first one.
    assert [s for s, _ in claim(store, sub_id, "one", limit=3)] == ["a", "b", "c"]


def test_claims_in_flight_hold_back_later_events_of_their_records(store):
    sub_id = queued(store, [("x", 3), ("y", 2)])
    first = claim(store, sub_id, "one", limit=1)
    assert [s for s, _ in first] == ["x"]
    # x's next events wait for the first claim; y goes.
    second = claim(store, sub_id, "two", limit=10)
    assert [s for s, _ in second] == ["y", "y"]
    assert claim(store, sub_id, "three", limit=10) == []
    with store.session() as session:
        session.execute(update(Delivery).where(Delivery.lease_owner == "one")
                        .values(lease_owner=None, lease_until=None))
        session.commit()
    # Back in the queue: the whole record goes, in order.
    assert claim(store, sub_id, "four", limit=10) == sorted(claim_all_x(store, sub_id))


def claim_all_x(store, sub_id: int) -> list[tuple[str, int]]:
    with store.session() as session:
        return [(d.subject, d.sequence) for d in session.query(Delivery).filter(Delivery.subject == "x")]
