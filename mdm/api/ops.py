"""`opsStats`: the read-only business view behind the console's operations
page (any reader may call it).

```graphql
{ opsStats(days: 14) { goldenChanges { day key count } subscribers { name backlog lagSeconds deadLetters } } }
```"""

from __future__ import annotations

from datetime import date, datetime, timezone

import strawberry
from strawberry.types import Info

from mdm.api.auth import require_role
from mdm.api.errors import DomainError
from mdm.api.types import Domain
from mdm.ops import stats


@strawberry.type(description="How many things of a kind happened on one day (UTC).")
class OpsDayCount:
    day: date
    key: str = strawberry.field(description="Golden changes: the change type. Review: opened or decided.")
    count: int


@strawberry.type
class OpsGoldenCount:
    domain: str
    status: str
    count: int


@strawberry.type(description="Items waiting for a steward.")
class OpsQueue:
    domain: str
    kind: str
    size: int
    oldest: datetime | None


@strawberry.type(description="Delivery health of one subscriber.")
class OpsSubscriber:
    name: str
    state: str
    backlog: int
    lag_seconds: float
    dead_letters: int
    last_delivered_at: datetime | None


@strawberry.type(description="Loads (files and API calls) of one source system and what they rejected.")
class OpsSystemRejects:
    system: str
    loads: int
    read: int
    rejected_rows: int
    field_errors: int


@strawberry.type
class OpsStats:
    since: date
    golden_changes: list[OpsDayCount] = strawberry.field(description="Golden record versions written per day and change type.")
    review: list[OpsDayCount] = strawberry.field(description="Review items opened and decided per day.")
    golden: list[OpsGoldenCount]
    queues: list[OpsQueue]
    subscribers: list[OpsSubscriber]
    rejects: list[OpsSystemRejects]


def _of(s: stats.OpsStats) -> OpsStats:
    hub = s.status
    return OpsStats(
        since=s.since,
        golden_changes=[OpsDayCount(day=c.day, key=c.key, count=c.count) for c in s.golden_changes],
        review=[OpsDayCount(day=c.day, key=c.key, count=c.count) for c in s.review],
        golden=[OpsGoldenCount(domain=d, status=st, count=n) for (d, st), n in sorted(hub.golden.items())],
        queues=[OpsQueue(domain=d, kind=k, size=n, oldest=o) for (d, k), (n, o) in sorted(hub.queue.items())],
        subscribers=[
            OpsSubscriber(name=x.name, state=x.state, backlog=x.backlog, lag_seconds=x.lag_seconds,
                          dead_letters=x.dead_letters, last_delivered_at=x.last_delivered_at)
            for x in hub.subscribers
        ],
        rejects=[
            OpsSystemRejects(system=r.system, loads=r.loads, read=r.read, rejected_rows=r.rejected_rows,
                             field_errors=r.field_errors)
            for r in s.rejects
        ],
    )


async def ops_stats(info: Info, days: int = 30, domain: Domain | None = None) -> OpsStats:
    require_role(info, "reader")
    if not 1 <= days <= stats.MAX_DAYS:
        raise DomainError(f"days must be between 1 and {stats.MAX_DAYS}, got {days}")
    found = await info.context.db(
        stats.ops_stats, now=datetime.now(timezone.utc), days=days, domain=domain.value if domain else None
    )
    return _of(found)
