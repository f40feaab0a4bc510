"""Each subscriber's delivery queue in the store: routing outbox events into
it, claiming what may be sent next, and settling attempts.

Claims are leases (owner + expiry) taken under `FOR UPDATE SKIP LOCKED`, so
several dispatchers share a queue without sending the same event twice, and
a dispatcher that dies only delays its claimed events until the lease ends.

The hot paths are set-based: routing is one INSERT ... SELECT, a claim is
one statement on PostgreSQL (two on SQLite), and settling a batch deletes
its delivered rows in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, and_, any_, bindparam, case, delete, exists, literal, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mdm.publish.changelog import stable_through
from mdm.publish.events import OutgoingEvent
from mdm.publish.policy import EventFilter, change_of
from mdm.store.publishing_tables import Delivery, Subscriber
from mdm.store.tables import OutboxEvent

# SQLite allows 999 bound parameters per statement.
IN_CHUNK = 900

_DELIVERY = Delivery.__table__
_OUTBOX = OutboxEvent.__table__


def event_filter(sub: Subscriber) -> EventFilter:
    return EventFilter.of(sub.domains, sub.changes, sub.attributes)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert(session: Session):
    return (pg_insert if _is_postgres(session) else sqlite_insert)(Delivery)


def _where_in(session: Session, column, values: Sequence[int]):
    """`column` among `values`: one array parameter on PostgreSQL, else
    IN-lists that fit SQLite's limit of bound parameters."""
    if _is_postgres(session):
        yield column == any_(bindparam(None, list(values), type_=ARRAY(BigInteger)))
        return
    for start in range(0, len(values), IN_CHUNK):
        yield column.in_(list(values[start : start + IN_CHUNK]))


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
    cursor = sub.cursor
    # At most `limit` events lie in (cursor, through].
    through = stable_through(session, cursor, scan=limit)
    if through == cursor:
        session.rollback()
        return 0
    wanted = event_filter(sub)
    in_range = and_(OutboxEvent.sequence > cursor, OutboxEvent.sequence <= through)
    key = ["subscriber_id", "sequence"]
    if wanted.attributes is None:
        # Set-based: the filter is on columns, so the database does it all.
        conditions = [in_range]
        if wanted.domains:
            conditions.append(OutboxEvent.domain.in_(sorted(wanted.domains)))
        if wanted.changes:
            conditions.append(or_(*(
                OutboxEvent.type.like("%." + _like_escape(c), escape="\\") for c in sorted(wanted.changes)
            )))
        rows = select(
            literal(sub.id, BigInteger), OutboxEvent.sequence, OutboxEvent.subject, literal("pending"), literal(0),
            literal(now, Delivery.next_attempt_at.type), literal(now, Delivery.created_at.type),
        ).where(*conditions)
        session.execute(
            _insert(session)
            .from_select(["subscriber_id", "sequence", "subject", "status", "attempts", "next_attempt_at",
                          "created_at"], rows)
            .on_conflict_do_nothing(index_elements=key)
        )
        read = through - cursor
    else:
        # Attribute filters look into the event's JSON: decided here.
        found = session.execute(
            select(OutboxEvent.sequence, OutboxEvent.domain, OutboxEvent.type, OutboxEvent.subject, OutboxEvent.data)
            .where(in_range)
            .order_by(OutboxEvent.sequence)
        ).all()
        queued = [
            {"subscriber_id": sub.id, "sequence": r.sequence, "subject": r.subject, "status": "pending",
             "attempts": 0, "next_attempt_at": now, "created_at": now}
            for r in found
            if wanted.matches(r.domain, change_of(r.type), r.data.get("changed", {}))
        ]
        if queued:
            session.execute(_insert(session).on_conflict_do_nothing(index_elements=key), queued)
        read = len(found)
    sub.cursor = through
    session.commit()
    return max(read, 1)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    attempts: int  # attempts made before this one
    event: OutgoingEvent


def claim(
    session: Session, subscriber_id: int, *, owner: str, now: datetime, lease: float, limit: int,
) -> list[Claimed]:
    """Lease up to `limit` due deliveries that may go now, oldest first and
    never ahead of an earlier pending event of the same golden record. Commits.

    In one statement: take the oldest due, unleased deliveries that no
    unclaimable earlier event of their record holds back, locking them with
    SKIP LOCKED (rows another dispatcher is claiming right now are skipped);
    of those, lease the ones with no pending earlier event of their record
    outside this claim (one that was skipped, or is already in flight
    elsewhere) - the rule of `policy.sendable`."""
    d = _DELIVERY
    held = d.alias("held")
    other = d.alias("other")
    claimable = and_(
        d.c.subscriber_id == subscriber_id,
        d.c.status == "pending",
        d.c.next_attempt_at <= now,
        or_(d.c.lease_until.is_(None), d.c.lease_until < now),
    )
    # A paused subscriber (by an operator, or by a 410) claims nothing.
    active = exists().where(Subscriber.id == subscriber_id, Subscriber.status == "active")
    # An earlier pending event that cannot be claimed now (in flight, or
    # waiting for a retry) holds back the rest of its record; skipping those
    # here keeps one busy record from filling every claim.
    held_back = _probe(
        held.c.subscriber_id == subscriber_id,
        held.c.subject == d.c.subject,
        held.c.status == "pending",
        held.c.sequence < d.c.sequence,
        or_(held.c.next_attempt_at > now, held.c.lease_until >= now),
    )
    candidates = (
        select(d.c.id, d.c.subject, d.c.sequence)
        .where(claimable, active, ~held_back)
        .order_by(d.c.sequence)
        .limit(limit)
        .with_for_update(skip_locked=True, of=d)
        .cte("candidates")
    )
    blocked = _probe(
        other.c.subscriber_id == subscriber_id,
        other.c.subject == candidates.c.subject,
        other.c.status == "pending",
        other.c.sequence < candidates.c.sequence,
        other.c.id.not_in(select(candidates.c.id)),
    )
    leased = (
        update(d)
        .where(d.c.id.in_(select(candidates.c.id).where(~blocked)))
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease))
        .returning(d.c.id, d.c.sequence, d.c.attempts)
    )
    if _is_postgres(session):
        # Lease and read the events in the same round trip.
        went = leased.cte("leased")
        rows = session.execute(
            select(went.c.id.label("delivery_id"), went.c.attempts.label("delivery_attempts"), *_OUTBOX.columns)
            .join_from(went, _OUTBOX, _OUTBOX.c.sequence == went.c.sequence)
            .order_by(_OUTBOX.c.sequence)
        ).all()
        session.commit()
        return [Claimed(r.delivery_id, r.delivery_attempts, OutgoingEvent.of(r)) for r in rows]
    went = session.execute(leased).all()
    if not went:
        session.rollback()
        return []
    by_sequence = {w.sequence: w for w in went}
    events: dict[int, Any] = {}
    for where in _where_in(session, _OUTBOX.c.sequence, sorted(by_sequence)):
        for row in session.execute(select(*_OUTBOX.columns).where(where)):
            events[row.sequence] = row
    session.commit()
    return [
        Claimed(by_sequence[seq].id, by_sequence[seq].attempts, OutgoingEvent.of(events[seq]))
        for seq in sorted(by_sequence)
    ]


def _probe(*conditions):
    """EXISTS, looked up per row through the (subscriber_id, subject, sequence)
    index. OFFSET 0 keeps PostgreSQL from turning it into an anti-join, whose
    plan rests on row estimates that leases make stale within seconds."""
    return select(literal(1)).where(*conditions).offset(0).exists()


def complete(session: Session, subscriber_id: int, delivered: Sequence[Claimed], now: datetime) -> None:
    """Delivered events leave the queue. Does not commit."""
    if not delivered:
        return
    for where in _where_in(session, Delivery.id, [c.delivery_id for c in delivered]):
        session.execute(delete(Delivery).where(where))
    last = max(c.event.sequence for c in delivered)
    session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .values(
            delivered=Subscriber.delivered + len(delivered),
            last_delivered_at=now,
            last_delivered_sequence=case(
                (or_(Subscriber.last_delivered_sequence.is_(None), Subscriber.last_delivered_sequence < last), last),
                else_=Subscriber.last_delivered_sequence,
            ),
        )
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
    for where in _where_in(session, Delivery.id, [c.delivery_id for c in items]):
        session.execute(
            update(Delivery).where(where, Delivery.lease_owner == owner).values(lease_owner=None, lease_until=None)
        )
