"""The business view of the hub for the console's operations page: trends per
day (golden record changes, review queue in and out), delivery health per
subscriber and rejects per source system. Read from the store; no state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from mdm.ops.status import HubStatus, hub_status
from mdm.store.tables import GoldenRecord, GoldenRecordVersion, LoadBatch, MatchCandidate

MAX_DAYS = 366


@dataclass
class DayCount:
    day: date
    key: str  # golden: the change type; review: opened | decided
    count: int


@dataclass
class SystemRejects:
    system: str
    loads: int
    read: int
    rejected_rows: int
    field_errors: int


@dataclass
class OpsStats:
    since: date
    status: HubStatus
    golden_changes: list[DayCount] = field(default_factory=list)
    review: list[DayCount] = field(default_factory=list)
    rejects: list[SystemRejects] = field(default_factory=list)


def _day(session: Session, column):
    """The UTC calendar day of a timestamp, as the dialect spells it."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _per_day(session: Session, column, key, since: datetime, *where) -> list[DayCount]:
    """Rows per UTC day and `key` (a column, or a fixed label)."""
    day = _day(session, column)
    if isinstance(key, str):
        rows = session.execute(select(day, func.count()).where(column >= since, *where).group_by(day).order_by(day))
        return [DayCount(_as_date(d), key, n) for d, n in rows]
    rows = session.execute(
        select(day, key, func.count()).where(column >= since, *where).group_by(day, key).order_by(day, key)
    )
    return [DayCount(_as_date(d), str(k), n) for d, k, n in rows]


def ops_stats(session: Session, *, now: datetime, days: int = 30, domain: str | None = None) -> OpsStats:
    """Trends over the last `days` days (today included), and today's health."""
    days = max(1, min(days, MAX_DAYS))
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    in_domain = domain is not None
    golden_where = [GoldenRecordVersion.golden_id.in_(select(GoldenRecord.id).where(GoldenRecord.domain == domain))]
    review_where = [MatchCandidate.domain == domain]
    stats = OpsStats(since=start.date(), status=hub_status(session, now=now))
    stats.golden_changes = _per_day(
        session, GoldenRecordVersion.changed_at, GoldenRecordVersion.change_type, start,
        *(golden_where if in_domain else []),
    )
    opened = _per_day(session, MatchCandidate.created_at, "opened", start, *(review_where if in_domain else []))
    decided = _per_day(
        session, MatchCandidate.decided_at, "decided", start, MatchCandidate.decided_at.is_not(None),
        *(review_where if in_domain else []),
    )
    stats.review = sorted(opened + decided, key=lambda c: (c.day, c.key))
    for system, loads, read, rejected, field_errors in session.execute(
        select(LoadBatch.system, func.count(), func.sum(LoadBatch.read), func.sum(LoadBatch.rejected),
               func.sum(LoadBatch.field_errors))
        .where(*([LoadBatch.domain == domain] if in_domain else []))
        .group_by(LoadBatch.system)
        .order_by(LoadBatch.system)
    ):
        stats.rejects.append(SystemRejects(system, loads, read or 0, rejected or 0, field_errors or 0))
    return stats
