"""Subscription root: golden record changes read from the store's change log
(the outbox table), polled by sequence, so every worker sees every change."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import datetime

import strawberry
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from strawberry.scalars import JSON
from strawberry.types import Info

from mdm.api import reads
from mdm.api.auth import require_role
from mdm.api.types import BigInt, Domain, GoldenRecord, golden_type
from mdm.store.tables import OutboxEvent

BATCH = 200
# How long a gap in sequences may stay open: a transaction that took a
# sequence number may still commit. After this it is taken as rolled back.
GAP_SECONDS = 5.0


@dataclass
class SequenceTracker:
    """Reads the change log past a watermark without losing an event whose
    transaction committed after a later one (sequences can commit out of order)."""

    watermark: int
    clock: Callable[[], float] = time.monotonic
    seen: set[int] = field(default_factory=set)
    gap_since: float | None = None

    def accept(self, sequences: list[int]) -> list[int]:
        """The sequences not delivered yet; advances the watermark over contiguous ones."""
        fresh = [s for s in sequences if s > self.watermark and s not in self.seen]
        self.seen.update(fresh)
        self._advance()
        return fresh

    def _advance(self) -> None:
        while self.watermark + 1 in self.seen:
            self.watermark += 1
            self.seen.discard(self.watermark)
        if not self.seen:
            self.gap_since = None
            return
        now = self.clock()
        if self.gap_since is None:
            self.gap_since = now
        elif now - self.gap_since > GAP_SECONDS:
            # Give up on the gap: jump to the next delivered sequence.
            self.watermark = min(self.seen)
            self.seen.discard(self.watermark)
            self.gap_since = None
            self._advance()


def latest_sequence(session: Session) -> int:
    return session.scalar(select(func.max(OutboxEvent.sequence))) or 0


def events_after(session: Session, after: int) -> list[OutboxEvent]:
    """The next events of every domain: the tracker must see every sequence
    to tell a gap from an event that is merely someone else's."""
    query = select(OutboxEvent).where(OutboxEvent.sequence > after)
    return list(session.scalars(query.order_by(OutboxEvent.sequence).limit(BATCH)))


@strawberry.type(description="One change of a golden record, as the change log holds it.")
class GoldenRecordChange:
    sequence: BigInt = strawberry.field(description="Global order of the change; pass it as afterSequence to resume.")
    event_id: strawberry.ID = strawberry.field(description="Stable CloudEvents id of the change.")
    type: str = strawberry.field(description="mdm.<domain>.<created|updated|merged|split|deleted>")
    change: str
    domain: Domain
    golden_id: strawberry.ID
    version: int
    occurred_at: datetime
    changed: JSON = strawberry.field(description="Attribute -> {old, new} for what changed.")
    data: JSON = strawberry.field(description="The event payload as published.")

    @strawberry.field(description="The golden record as it is now.")
    async def record(self, info: Info) -> GoldenRecord | None:
        found = await info.context.db(reads.golden_by_ids, [str(self.golden_id)])
        return golden_type(found[0])

    @classmethod
    def of(cls, row: OutboxEvent) -> GoldenRecordChange:
        data = row.data or {}
        return cls(
            sequence=row.sequence, event_id=strawberry.ID(row.event_id), type=row.type, change=row.type.rsplit(".", 1)[-1],
            domain=Domain(row.domain), golden_id=strawberry.ID(row.subject), version=row.version,
            occurred_at=reads.as_utc(row.created_at), changed=data.get("changed") or {}, data=data,
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Changes of golden records of a domain (optionally only these ids), from now on or after "
        "`afterSequence` to replay. Delivered in sequence order, at least once."
    )
    async def golden_record_changed(
        self, info: Info, domain: Domain, ids: list[strawberry.ID] | None = None, after_sequence: BigInt | None = None
    ) -> AsyncGenerator[GoldenRecordChange, None]:
        require_role(info, "reader")
        ctx = info.context
        start = after_sequence if after_sequence is not None else await ctx.db(latest_sequence)
        tracker = SequenceTracker(int(start))
        wanted = {str(i) for i in ids} if ids else None
        while True:
            # Read from the oldest unfilled gap, so a late commit is still delivered.
            rows = await ctx.db(events_after, tracker.watermark)
            fresh = set(tracker.accept([r.sequence for r in rows]))
            for row in rows:
                if row.sequence in fresh and row.domain == domain.value and (wanted is None or row.subject in wanted):
                    yield GoldenRecordChange.of(row)
            if len(rows) < BATCH or not fresh:
                await asyncio.sleep(ctx.services.poll_interval)
