"""Figures for the console's home page: queue size, auto-merge rate,
decisions per day, the oldest pending item."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mdm.steward.queue import queue_sizes
from mdm.store.tables import MatchCandidate, StewardDecision, Xref

DAYS = 14


@dataclass(frozen=True)
class DomainStats:
    domain: str
    pending: int
    price_conflicts: int
    auto_merged: int
    steward_merged: int

    @property
    def auto_merge_rate(self) -> float | None:
        """Of the records joined to others, or waiting for a steward to say
        whether they should be, the share the matcher joined alone."""
        whole = self.auto_merged + self.steward_merged + self.pending
        return self.auto_merged / whole if whole else None


@dataclass(frozen=True)
class Stats:
    domains: list[DomainStats]
    decisions_per_day: list[tuple[date, int]]
    oldest_pending: MatchCandidate | None

    @property
    def auto_merge_rate(self) -> float | None:
        auto = sum(d.auto_merged for d in self.domains)
        whole = sum(d.auto_merged + d.steward_merged + d.pending for d in self.domains)
        return auto / whole if whole else None


def steward_stats(session: Session, *, now: datetime, days: int = DAYS) -> Stats:
    pending: dict[str, Counter] = {}
    for domain, kind, n in queue_sizes(session):
        pending.setdefault(domain, Counter())[kind] += n
    joined: dict[str, Counter] = {}
    for domain, how, n in session.execute(
        select(Xref.domain, Xref.decided_by, func.count()).where(Xref.decided_by.in_(("auto", "steward")))
        .group_by(Xref.domain, Xref.decided_by)
    ):
        joined.setdefault(domain, Counter())[how] += n
    domains = [
        DomainStats(d, pending.get(d, Counter())["match"], pending.get(d, Counter())["price_conflict"],
                    joined.get(d, Counter())["auto"], joined.get(d, Counter())["steward"])
        for d in sorted(set(pending) | set(joined))
    ]
    since = (now - timedelta(days=days - 1)).date()
    per_day = Counter(
        _day(at) for at in session.scalars(
            select(StewardDecision.created_at).where(
                StewardDecision.created_at >= datetime.combine(since, datetime.min.time(), tzinfo=timezone.utc)
            )
        )
    )
    series = [(since + timedelta(days=i), per_day.get(since + timedelta(days=i), 0)) for i in range(days)]
    oldest = session.scalars(
        select(MatchCandidate).where(MatchCandidate.status == "pending")
        .order_by(MatchCandidate.created_at, MatchCandidate.id).limit(1)
    ).first()
    return Stats(domains, series, oldest)


def _day(at: datetime) -> date:
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).date()
