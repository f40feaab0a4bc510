"""Reading the change log (the outbox) by sequence without ever skipping an event.

On PostgreSQL sequence numbers are handed out at insert time but become
visible at commit, so a reader can see 101 while 100 is still in flight.
Readers therefore only move past a gap once it is final: every transaction
that was writing to the outbox has ended (100 then either shows up or was
rolled back). SQLite has one writer at a time, so its gaps are always final."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mdm.publish.events import to_cloudevent
from mdm.publish.policy import contiguous_end
from mdm.store.tables import OutboxEvent

SCAN = 10_000
# How long the gap check may queue behind writers; a miss is retried next time.
GAP_LOCK_TIMEOUT_MS = 200


def committed_horizon(session: Session) -> int | None:
    """A sequence at or below which no event can still appear, or None when
    writers are busy right now. Waits for in-flight outbox writers by taking
    a SHARE lock (which conflicts with INSERT) in a separate short transaction."""
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        return None if engine.dialect.name != "sqlite" else _max_sequence(session)
    with engine.connect() as conn, conn.begin():
        try:
            conn.execute(text(f"SET LOCAL lock_timeout = '{GAP_LOCK_TIMEOUT_MS}ms'"))
            conn.execute(text(f"LOCK TABLE {OutboxEvent.__tablename__} IN SHARE MODE"))
        except OperationalError:
            return None
        return conn.execute(select(func.coalesce(func.max(OutboxEvent.sequence), 0))).scalar_one()


def _max_sequence(session: Session) -> int:
    return session.execute(select(func.coalesce(func.max(OutboxEvent.sequence), 0))).scalar_one()


def stable_through(session: Session, after: int, scan: int = SCAN) -> int:
    """The highest sequence S such that every event in (after, S] that will
    ever exist is visible now. A reader may consume up to S and resume after it."""
    # The common case in one aggregate: the next `scan` events have no gap.
    window = (
        select(OutboxEvent.sequence).where(OutboxEvent.sequence > after).order_by(OutboxEvent.sequence).limit(scan)
    ).subquery()
    count, last = session.execute(select(func.count(), func.max(window.c.sequence))).one()
    if not count:
        return after
    if last - after == count:
        return last
    seqs = session.execute(
        select(OutboxEvent.sequence).where(OutboxEvent.sequence > after).order_by(OutboxEvent.sequence).limit(scan)
    ).scalars().all()
    if not seqs:
        return after
    end = contiguous_end(after, seqs)
    if end == seqs[-1]:
        return end
    horizon = committed_horizon(session)
    if horizon is None:
        return end
    return max(end, min(horizon, seqs[-1]))


@dataclass(frozen=True)
class ChangesPage:
    """CloudEvents (as JSON-ready dicts) after a cursor; resume with `end_cursor`."""

    events: list[dict[str, Any]]
    end_cursor: int
    has_next: bool


def changes(session: Session, since: int = 0, first: int = 100, *, domain: str | None = None) -> ChangesPage:
    """The change feed: events with sequence > `since`, oldest first, at most `first`."""
    if first < 1:
        raise ValueError("first must be at least 1")
    rows: list[OutboxEvent] = []
    pos = since
    while len(rows) <= first:
        through = stable_through(session, pos)
        if through == pos:
            break
        query = (
            select(OutboxEvent)
            .where(OutboxEvent.sequence > pos, OutboxEvent.sequence <= through)
            .order_by(OutboxEvent.sequence)
            .limit(first + 1 - len(rows))
        )
        if domain is not None:
            query = query.where(OutboxEvent.domain == domain)
        rows.extend(session.execute(query).scalars())
        pos = through
    has_next = len(rows) > first
    rows = rows[:first]
    return ChangesPage([event_dict(r) for r in rows], rows[-1].sequence if has_next else pos, has_next)


def event_dict(row: OutboxEvent) -> dict[str, Any]:
    event = to_cloudevent(row)
    out = dict(event.get_attributes())
    out["time"] = out["time"].isoformat().replace("+00:00", "Z")
    out["data"] = event.get_data()
    return out
