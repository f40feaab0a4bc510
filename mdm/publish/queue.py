"""Each subscriber's delivery queue in the store: routing outbox events into
it, claiming what may be sent next, and settling attempts.

Claims are leases (owner + expiry) taken under `FOR UPDATE SKIP LOCKED`, so
several dispatchers share a queue without sending the same event twice, and
a dispatcher that dies only delays its claimed events until the lease ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mdm.publish.changelog import stable_through
from mdm.publish.events import OutgoingEvent
from mdm.publish.policy import EventFilter, Queued, change_of, sendable
from mdm.store.publishing_tables import Delivery, Subscriber
from mdm.store.tables import OutboxEvent

# SQLite allows 999 bound parameters per statement.
IN_CHUNK = 900


def event_filter(sub: Subscriber) -> EventFilter:
    return EventFilter.of(sub.domains, sub.changes, sub.attributes)


def _insert_ignoring_duplicates(session: Session):
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    return make(Delivery).on_conflict_do_nothing(index_elements=["subscriber_id", "sequence"])


def route(session: Session, subscriber_id: int, now: datetime, limit: int = 5000) -> int:
    """Move new outbox events this subscriber wants into its queue and advance
    its cursor; returns how many outbox rows it read (0: caught up). One
    router per subscriber at a time; others skip it. Commits."""
    sub = session.execute(
        select(Subscriber).where(Subscriber.id == subscriber_id).with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if sub is None:
        session.rollback()
        return 0
    through = stable_through(session, sub.cursor, scan=limit)
    if through == sub.cursor:
        session.rollback()
        return 0
    wanted = event_filter(sub)
    columns = [OutboxEvent.sequence, OutboxEvent.domain, OutboxEvent.type, OutboxEvent.subject]
    if wanted.attributes is not None:
        columns.append(OutboxEvent.data)
    rows = session.execute(
        select(*columns)
        .where(OutboxEvent.sequence > sub.cursor, OutboxEvent.sequence <= through)
        .order_by(OutboxEvent.sequence)
        .limit(limit)
    ).all()
    queued = [
        {"subscriber_id": sub.id, "sequence": r.sequence, "subject": r.subject, "status": "pending",
         "attempts": 0, "next_attempt_at": now, "created_at": now}
        for r in rows
        if wanted.matches(r.domain, change_of(r.type), r.data.get("changed", {}) if wanted.attributes is not None else ())
    ]
    if queued:
        session.execute(_insert_ignoring_duplicates(session), queued)
    sub.cursor = rows[-1].sequence if len(rows) == limit else through
    session.commit()
    return max(len(rows), 1)


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    attempts: int  # attempts made before this one
    event: OutgoingEvent


def claim(
    session: Session, subscriber_id: int, *, owner: str, now: datetime, lease: float, limit: int,
) -> list[Claimed]:
    """Lease up to `limit` due deliveries that may go now, oldest first and
    never ahead of an earlier pending event of the same golden record. Commits."""
    candidates = session.execute(
        select(Delivery.id, Delivery.subject, Delivery.sequence, Delivery.attempts)
        .where(
            Delivery.subscriber_id == subscriber_id,
            # A paused subscriber (by an operator, or by a 410) claims nothing.
            Delivery.subscriber_id.in_(
                select(Subscriber.id).where(Subscriber.id == subscriber_id, Subscriber.status == "active")
            ),
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
            or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
        )
        .order_by(Delivery.sequence)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        session.rollback()
        return []
    attempts = {c.id: c.attempts for c in candidates}
    earlier = []
    subjects = sorted({c.subject for c in candidates})
    last = max(c.sequence for c in candidates)
    for start in range(0, len(subjects), IN_CHUNK):
        earlier.extend(
            session.execute(
                select(Delivery.subject, Delivery.sequence).where(
                    Delivery.subscriber_id == subscriber_id,
                    Delivery.status == "pending",
                    Delivery.subject.in_(subjects[start : start + IN_CHUNK]),
                    Delivery.sequence < last,
                )
            ).all()
        )
    go = sendable([Queued(c.id, c.subject, c.sequence) for c in candidates], earlier)
    if not go:
        session.rollback()
        return []
    rows: dict[int, Any] = {}
    for start in range(0, len(go), IN_CHUNK):
        chunk = go[start : start + IN_CHUNK]
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_([q.id for q in chunk]))
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease))
        )
        # Plain rows, not ORM objects: this is the hot path of the dispatcher.
        for row in session.execute(
            select(*OutboxEvent.__table__.columns).where(OutboxEvent.sequence.in_([q.sequence for q in chunk]))
        ):
            rows[row.sequence] = row
    session.commit()
    return [Claimed(q.id, attempts[q.id], OutgoingEvent.of(rows[q.sequence])) for q in go]


def complete(session: Session, subscriber_id: int, delivered: Sequence[Claimed], now: datetime) -> None:
    """Delivered events leave the queue. Does not commit."""
    if not delivered:
        return
    for start in range(0, len(delivered), IN_CHUNK):
        session.execute(delete(Delivery).where(Delivery.id.in_([c.delivery_id for c in delivered[start : start + IN_CHUNK]])))
    last = max(c.event.sequence for c in delivered)
    session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .values(delivered=Subscriber.delivered + len(delivered), last_delivered_at=now)
    )
    session.execute(
        update(Subscriber)
        .where(
            Subscriber.id == subscriber_id,
            or_(Subscriber.last_delivered_sequence.is_(None), Subscriber.last_delivered_sequence < last),
        )
        .values(last_delivered_sequence=last)
    )


def reschedule(session: Session, item: Claimed, owner: str, *, at: datetime, error: str) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == item.delivery_id, Delivery.lease_owner == owner)
        .values(attempts=item.attempts + 1, next_attempt_at=at, last_error=error, lease_owner=None, lease_until=None)
    )


def dead_letter(session: Session, item: Claimed, owner: str, *, attempts: int, now: datetime, error: str) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == item.delivery_id, Delivery.lease_owner == owner)
        .values(status="dead", attempts=attempts, dead_at=now, last_error=error, lease_owner=None, lease_until=None)
    )


def release(session: Session, items: Sequence[Claimed], owner: str) -> None:
    """Back to the queue untouched (not attempted)."""
    ids = [c.delivery_id for c in items]
    for start in range(0, len(ids), IN_CHUNK):
        session.execute(
            update(Delivery)
            .where(and_(Delivery.id.in_(ids[start : start + IN_CHUNK]), Delivery.lease_owner == owner))
            .values(lease_owner=None, lease_until=None)
        )
