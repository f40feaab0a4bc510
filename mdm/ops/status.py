"""What is stuck and why: counts read from the store, so every worker and
every command sees the same numbers (used by `mdm status` and /metrics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mdm.store.publishing_tables import Delivery, Subscriber
from mdm.store.tables import GoldenRecord, LoadBatch, MatchCandidate, OutboxEvent, SourceRecord, SourceRecordVersion, Xref


@dataclass
class SubscriberStatus:
    name: str
    state: str
    backlog: int  # events not yet delivered (queued or not yet routed)
    dead_letters: int
    lag_seconds: float  # age of the oldest undelivered event
    last_delivered_at: datetime | None


@dataclass
class HubStatus:
    golden: dict[tuple[str, str], int] = field(default_factory=dict)  # (domain, status) -> n
    source_records: dict[str, int] = field(default_factory=dict)  # domain -> live records
    queue: dict[tuple[str, str], tuple[int, datetime | None]] = field(default_factory=dict)  # (domain, kind) -> n, oldest
    subscribers: list[SubscriberStatus] = field(default_factory=list)
    last_loads: list[dict] = field(default_factory=list)
    outbox_sequence: int = 0
    decisions: dict[str, int] = field(default_factory=dict)  # xref decided_by -> n


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def hub_status(session: Session, *, now: datetime) -> HubStatus:
    status = HubStatus()
    for domain, state, n in session.execute(
        select(GoldenRecord.domain, GoldenRecord.status, func.count()).group_by(GoldenRecord.domain, GoldenRecord.status)
    ):
        status.golden[(domain, state)] = n
    status.source_records = dict(
        session.execute(
            select(SourceRecord.domain, func.count()).where(SourceRecord.deleted.is_(False)).group_by(SourceRecord.domain)
        ).all()
    )
    for domain, kind, n, oldest in session.execute(
        select(MatchCandidate.domain, MatchCandidate.kind, func.count(), func.min(MatchCandidate.created_at))
        .where(MatchCandidate.status == "pending")
        .group_by(MatchCandidate.domain, MatchCandidate.kind)
    ):
        status.queue[(domain, kind)] = (n, _aware(oldest))
    status.decisions = dict(session.execute(select(Xref.decided_by, func.count()).group_by(Xref.decided_by)).all())
    status.outbox_sequence = session.scalar(select(func.max(OutboxEvent.sequence))) or 0
    for sub in session.scalars(select(Subscriber).order_by(Subscriber.name)):
        status.subscribers.append(_subscriber_status(session, sub, status.outbox_sequence, now))
    latest = (
        select(LoadBatch.system, LoadBatch.domain, func.max(LoadBatch.id).label("id"))
        .group_by(LoadBatch.system, LoadBatch.domain)
        .subquery()
    )
    for load in session.scalars(select(LoadBatch).join(latest, LoadBatch.id == latest.c.id).order_by(LoadBatch.system)):
        status.last_loads.append(
            {"system": load.system, "domain": load.domain, "file": load.file, "finished_at": _aware(load.finished_at),
             "read": load.read, "stored": load.stored, "unchanged": load.unchanged, "rejected": load.rejected}
        )
    return status


def _subscriber_status(session: Session, sub: Subscriber, head: int, now: datetime) -> SubscriberStatus:
    queued, dead, oldest_queued = session.execute(
        select(
            func.count().filter(Delivery.status == "pending"),
            func.count().filter(Delivery.status == "dead"),
            func.min(Delivery.sequence).filter(Delivery.status == "pending"),
        ).where(Delivery.subscriber_id == sub.id)
    ).one()
    unrouted = max(head - (sub.cursor or 0), 0)
    oldest_seq = oldest_queued if oldest_queued is not None else ((sub.cursor or 0) + 1 if unrouted else None)
    lag = 0.0
    if oldest_seq is not None:
        created = _aware(session.scalar(select(OutboxEvent.created_at).where(OutboxEvent.sequence >= oldest_seq).order_by(OutboxEvent.sequence).limit(1)))
        lag = max((now - created).total_seconds(), 0.0) if created else 0.0
    return SubscriberStatus(sub.name, sub.status, queued + unrouted, dead, lag, _aware(sub.last_delivered_at))


@dataclass
class TraceStep:
    at: datetime | None
    what: str
    detail: str


def trace(session: Session, correlation_id: str) -> list[TraceStep]:
    """The path of one correlation id: source versions, golden changes, events, deliveries."""
    steps: list[TraceStep] = []
    for version, record in session.execute(
        select(SourceRecordVersion, SourceRecord)
        .join(SourceRecord, SourceRecord.id == SourceRecordVersion.record_id)
        .where(SourceRecordVersion.correlation_id == correlation_id)
    ):
        steps.append(TraceStep(_aware(version.loaded_at), "source record",
                               f"{record.system} {record.domain} {record.source_key} version {version.version}"))
    events = session.scalars(select(OutboxEvent).where(OutboxEvent.correlation_id == correlation_id).order_by(OutboxEvent.sequence)).all()
    subscribers = session.scalars(select(Subscriber)).all()
    for event in events:
        steps.append(TraceStep(_aware(event.created_at), "golden change",
                               f"{event.type} {event.subject} version {event.version} (sequence {event.sequence})"))
        for sub in subscribers:
            steps.append(TraceStep(None, "delivery", f"{sub.name}: {_delivery_state(session, sub, event)}"))
    return sorted(steps, key=lambda s: (s.at is None, s.at or datetime.min.replace(tzinfo=timezone.utc)))


def _delivery_state(session: Session, sub: Subscriber, event: OutboxEvent) -> str:
    if sub.domains and event.domain not in sub.domains:
        return "not subscribed (domain)"
    change = event.type.rsplit(".", 1)[-1]
    if sub.changes and change not in sub.changes:
        return "not subscribed (event type)"
    row = session.scalar(select(Delivery).where(Delivery.subscriber_id == sub.id, Delivery.sequence == event.sequence))
    if row is not None:
        return f"{row.status} after {row.attempts} attempt(s)" + (f": {row.last_error}" if row.last_error else "")
    if event.sequence > (sub.cursor or 0):
        return "not yet routed"
    if sub.last_delivered_sequence is not None and event.sequence <= sub.last_delivered_sequence:
        return "delivered"
    return "filtered out (attributes)"
