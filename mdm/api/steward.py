"""Stewardship over GraphQL: the review queue, its figures, and the steward
decisions (merge, not-a-match, split, override, unpin, undo, bulk).

Everything here needs the steward role; the work is done by `mdm.steward`.

```graphql
mutation { mergeCandidate(candidateId: 42, reason: "same tax id") { goldenIds events { type subject } } }
```
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from mdm import steward
from mdm.api import reads
from mdm.api.auth import require_role
from mdm.api.errors import Conflict, DomainError, NotFound
from mdm.api.types import AttributeLineage, Domain, GoldenRecord, SourceRecord, golden_type, lineage_list
from mdm.store import tables

MAX_QUEUE_PAGE = 200


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(value: datetime | None) -> datetime | None:
    return reads.as_utc(value)


async def _steward_call(info: Info, fn, *args, **kwargs):
    """Run a steward service function in the thread pool; its refusals become API errors."""
    try:
        return await info.context.db(fn, *args, **kwargs)
    except steward.NotFound as exc:
        raise NotFound(str(exc)) from None
    except steward.Conflict as exc:
        raise Conflict(str(exc)) from None
    except steward.StewardError as exc:
        raise DomainError(str(exc)) from None


@strawberry.enum(description="MATCH: two records that may be the same; PRICE_CONFLICT: two sources disagree on a price.")
class ReviewKind(enum.Enum):
    MATCH = "match"
    PRICE_CONFLICT = "price_conflict"


@strawberry.enum(description="ACCEPT merges every candidate at or above the threshold; REJECT marks every one at or below it not-a-match.")
class BulkAction(enum.Enum):
    ACCEPT = "accept"
    REJECT = "reject"


@strawberry.input(description="Narrows the review queue.")
class ReviewQueueFilter:
    domain: Domain | None = None
    kind: ReviewKind | None = None
    source_system: str | None = strawberry.field(default=None, description="Either record comes from this system.")
    min_score: float | None = strawberry.field(default=None, description="Match probability at least this.")
    max_score: float | None = strawberry.field(default=None, description="Match probability at most this.")


@strawberry.type(description="One canonical field of both records, and the comparison that read it.")
class FieldComparison:
    field: str
    left: JSON | None
    right: JSON | None
    same: bool = strawberry.field(description="Equal ignoring case and spacing (both empty counts as equal).")
    comparisons: list[str] = strawberry.field(description="Comparisons of the match rules that read this field.")
    level: str | None = strawberry.field(description="The level the (first) comparison hit.")
    weight: float | None = strawberry.field(description="The match weight (bits) that comparison added.")


@strawberry.type(description="One comparison of the match rules: the level the pair hit and the weight it added.")
class ComparisonLevel:
    comparison: str
    level: str
    weight: float
    fields: list[str]


@strawberry.type(description="The golden record merging would produce: survivorship over both golden records' members; nothing written.")
class MergePreview:
    survivor_id: strawberry.ID | None = strawberry.field(description="The golden id the merge keeps (the older one).")
    golden_ids: list[strawberry.ID]
    member_ids: list[int]
    values: JSON
    changed: list[str] = strawberry.field(description="Attributes whose value differs from the survivor's now.")
    _lineage: strawberry.Private[dict]

    @strawberry.field
    def lineage(self, attribute: str | None = None) -> list[AttributeLineage]:
        return lineage_list(self.values or {}, self._lineage, attribute)


@strawberry.type(description="An item of the review queue: a match candidate or a price conflict.")
class ReviewItem:
    id: int
    kind: ReviewKind
    domain: Domain
    status: str
    score: float | None = strawberry.field(description="Match probability (null for price conflicts).")
    match_weight: float | None = strawberry.field(description="Total match weight in bits.")
    priority: float = strawberry.field(description="0..1: closeness to the decision boundary, recent source activity and age.")
    closeness: float
    activity: float
    age_days: float
    last_source_change: datetime | None
    created_at: datetime
    decided_at: datetime | None
    left_record_id: int
    right_record_id: int
    conflict: JSON | None = strawberry.field(description="For a price conflict: the prices, periods and golden prices involved.")
    _candidate: strawberry.Private[Any]

    @strawberry.field
    async def left(self, info: Info) -> SourceRecord | None:
        member = await info.context.loaders.source_records.load(self.left_record_id)
        return SourceRecord.of(member) if member else None

    @strawberry.field
    async def right(self, info: Info) -> SourceRecord | None:
        member = await info.context.loaders.source_records.load(self.right_record_id)
        return SourceRecord.of(member) if member else None

    @strawberry.field(description="The golden record the left record belongs to now.")
    async def left_golden(self, info: Info) -> GoldenRecord | None:
        return await _golden_of_record(info, self.left_record_id)

    @strawberry.field(description="The golden record the right record belongs to now.")
    async def right_golden(self, info: Info) -> GoldenRecord | None:
        return await _golden_of_record(info, self.right_record_id)

    @strawberry.field(description="Both records field by field, with the comparison level and weight.")
    async def fields(self, info: Info) -> list[FieldComparison]:
        result = await _comparison(info, self._candidate)
        return [FieldComparison(field=f.field, left=f.left, right=f.right, same=f.same, comparisons=f.comparisons,
                                level=f.level, weight=f.weight) for f in result.fields]

    @strawberry.field(description="Per comparison of the rules: level hit and weight added (prior and total excluded).")
    async def comparisons(self, info: Info) -> list[ComparisonLevel]:
        result = await _comparison(info, self._candidate)
        return [ComparisonLevel(comparison=c.comparison, level=c.level, weight=c.weight, fields=c.fields)
                for c in result.comparisons]

    @strawberry.field(description="The prior weight the score starts from, in bits.")
    async def prior_weight(self, info: Info) -> float | None:
        return (await _comparison(info, self._candidate)).prior_weight

    @strawberry.field(
        description="The total of the itemised weights (prior plus comparisons). It differs from matchWeight by "
        "term-frequency adjustments the explanation does not itemise."
    )
    async def explained_weight(self, info: Info) -> float | None:
        return (await _comparison(info, self._candidate)).total_weight

    @strawberry.field(description="The golden record merging would produce (null for price conflicts).")
    async def merge_preview(self, info: Info) -> MergePreview | None:
        rules = info.context.services.rulebook()
        preview = await _steward_call(info, lambda s: steward.merge_preview(s, self._candidate, rules=rules, now=_now()))
        if preview is None:
            return None
        return MergePreview(
            survivor_id=strawberry.ID(preview.survivor_id) if preview.survivor_id else None,
            golden_ids=[strawberry.ID(g) for g in preview.golden_ids], member_ids=preview.member_ids,
            values=preview.attributes, changed=preview.changed, _lineage=preview.lineage,
        )

    @classmethod
    def of(cls, entry: steward.QueueEntry) -> ReviewItem:
        c, p = entry.candidate, entry.priority
        return cls(
            id=c.id, kind=ReviewKind(c.kind), domain=Domain(c.domain), status=c.status, score=c.match_probability,
            match_weight=c.match_weight, priority=round(p.score, 6), closeness=round(p.closeness, 6),
            activity=round(p.activity, 6), age_days=round(p.age_days, 3), last_source_change=_utc(p.last_change),
            created_at=_utc(c.created_at), decided_at=_utc(c.decided_at), left_record_id=c.left_record_id,
            right_record_id=c.right_record_id, conflict=c.explanation if c.kind == "price_conflict" else None,
            _candidate=c,
        )


async def _golden_of_record(info: Info, record_id: int) -> GoldenRecord | None:
    member = await info.context.loaders.source_records.load(record_id)
    if member is None or member.xref is None:
        return None
    return golden_type(await info.context.loaders.golden.load(member.xref.golden_id))


async def _comparison(info: Info, candidate) -> steward.Comparison:
    # Two fields of one item ask for the same comparison: compute it once per request.
    cache = info.context.__dict__.setdefault("_steward_comparisons", {})
    if candidate.id not in cache:
        rules = info.context.services.rulebook()
        cache[candidate.id] = await _steward_call(info, lambda s: steward.compare(s, candidate, rules=rules))
    return cache[candidate.id]


@strawberry.type
class ReviewQueue:
    total: int = strawberry.field(description="Pending items matching the filter.")
    items: list[ReviewItem] = strawberry.field(description="This page, highest priority first.")


@strawberry.type(description="A steward's decision, as recorded.")
class StewardDecision:
    id: int
    kind: str = strawberry.field(description="merge | not_a_match | split | override | unpin | undo | bulk_merge | bulk_not_a_match | price_ack")
    domain: Domain
    actor: str
    reason: str | None
    created_at: datetime
    undone_by: int | None = strawberry.field(description="The undo decision that reversed this one.")
    payload: JSON

    @classmethod
    def of(cls, row: tables.StewardDecision) -> StewardDecision:
        return cls(id=row.id, kind=row.kind, domain=Domain(row.domain), actor=row.actor, reason=row.reason,
                   created_at=_utc(row.created_at), undone_by=row.undone_by, payload=row.payload)


@strawberry.type(description="A change event a decision caused (through re-matching).")
class ChangeEventSummary:
    type: str
    subject: strawberry.ID
    version: int


@strawberry.type(description="What a steward decision did.")
class DecisionResult:
    decision: StewardDecision | None = strawberry.field(description="Null when a bulk decision found nothing to do.")
    golden_ids: list[strawberry.ID] = strawberry.field(description="Golden records the decision's source records belong to now.")
    candidate_ids: list[int]
    events: list[ChangeEventSummary]
    before: JSON = strawberry.field(description="Golden records before (as audited): golden id -> status, version, attributes, members.")
    after: JSON = strawberry.field(description="The same golden records, and the new ones, after.")

    @strawberry.field(description="The golden records the decision's source records belong to now.")
    async def golden_records(self, info: Info) -> list[GoldenRecord]:
        found = await info.context.loaders.golden.load_many([str(g) for g in self.golden_ids])
        return [golden_type(r) for r in found if r is not None]


async def _result(info: Info, outcome: steward.Outcome) -> DecisionResult:
    row = None
    if outcome.decision_id is not None:
        row = await info.context.db(lambda s: s.get(tables.StewardDecision, outcome.decision_id))
    return DecisionResult(
        decision=StewardDecision.of(row) if row else None, golden_ids=[strawberry.ID(g) for g in outcome.golden_ids],
        candidate_ids=outcome.candidate_ids,
        events=[ChangeEventSummary(type=e["type"], subject=strawberry.ID(e["subject"]), version=e["version"]) for e in outcome.events],
        before=outcome.golden_before, after=outcome.golden_after,
    )


@strawberry.type
class BulkPreview:
    candidate_ids: list[int] = strawberry.field(description="The pending candidates the bulk decision would take.")


@strawberry.type(description="Queue and merge figures of one domain.")
class DomainStewardStats:
    domain: Domain
    pending: int = strawberry.field(description="Pending match candidates.")
    price_conflicts: int
    auto_merged: int = strawberry.field(description="Source records the matcher joined to others alone.")
    steward_merged: int = strawberry.field(description="Source records joined by a steward's merge.")
    auto_merge_rate: float | None


@strawberry.type
class DayCount:
    day: date
    count: int


@strawberry.type(description="Figures for the steward console's home page.")
class StewardStats:
    domains: list[DomainStewardStats]
    queue_size: int = strawberry.field(description="Pending items of every kind and domain.")
    auto_merge_rate: float | None = strawberry.field(
        description="Of the source records joined to others or waiting in the queue, the share the matcher joined alone."
    )
    decisions_per_day: list[DayCount] = strawberry.field(description="Steward decisions per day (UTC), the last 14 days.")
    oldest_pending: ReviewItem | None


@strawberry.type(description="A value a steward pinned on a golden attribute.")
class PinnedValue:
    attribute: str
    value: JSON | None
    reason: str
    actor: str
    pinned_at: datetime


@strawberry.type
class StewardQuery:
    @strawberry.field(description="Pending match candidates and price conflicts, most useful first (steward).")
    async def review_queue(
        self, info: Info, filter: ReviewQueueFilter | None = None, first: int = 25, offset: int = 0
    ) -> ReviewQueue:
        require_role(info, "steward")
        if not 0 <= first <= MAX_QUEUE_PAGE or offset < 0:
            raise DomainError(f"first must be between 0 and {MAX_QUEUE_PAGE} and offset not negative")
        f = filter or ReviewQueueFilter()
        where = steward.QueueFilter(
            domain=f.domain.value if f.domain else None, kind=f.kind.value if f.kind else None,
            source_system=f.source_system, min_score=f.min_score, max_score=f.max_score,
        )
        rules = info.context.services.rulebook()
        total, entries = await _steward_call(
            info, lambda s: steward.review_queue(s, where, rules=rules, now=_now(), first=first, offset=offset)
        )
        return ReviewQueue(total=total, items=[ReviewItem.of(e) for e in entries])

    @strawberry.field(description="One review item by id, whatever its status (steward).")
    async def review_item(self, info: Info, id: int) -> ReviewItem | None:
        require_role(info, "steward")
        rules = info.context.services.rulebook()
        try:
            entry = await _steward_call(info, lambda s: steward.queue_entry(s, id, rules=rules, now=_now()))
        except NotFound:
            return None
        return ReviewItem.of(entry)

    @strawberry.field(description="Steward decisions, newest first; for a golden record, the ones that touched it (steward).")
    async def steward_decisions(
        self, info: Info, domain: Domain | None = None, golden_id: strawberry.ID | None = None, first: int = 50
    ) -> list[StewardDecision]:
        require_role(info, "steward")
        first = max(1, min(first, MAX_QUEUE_PAGE))
        if golden_id is not None:
            rows = await info.context.db(lambda s: steward.decisions_about(s, str(golden_id), limit=first))
        else:
            rows = await info.context.db(lambda s: steward.decisions(s, domain=domain.value if domain else None, limit=first))
        return [StewardDecision.of(r) for r in rows]

    @strawberry.field(description="Queue size per domain, auto-merge rate, decisions per day, the oldest pending item (steward).")
    async def steward_stats(self, info: Info) -> StewardStats:
        require_role(info, "steward")
        rules = info.context.services.rulebook()

        def gather(session):
            stats = steward.steward_stats(session, now=_now())
            oldest = stats.oldest_pending
            return stats, steward.queue_entry(session, oldest.id, rules=rules, now=_now()) if oldest else None

        stats, oldest = await info.context.db(gather)
        return StewardStats(
            domains=[
                DomainStewardStats(domain=Domain(d.domain), pending=d.pending, price_conflicts=d.price_conflicts,
                                   auto_merged=d.auto_merged, steward_merged=d.steward_merged,
                                   auto_merge_rate=d.auto_merge_rate)
                for d in stats.domains
            ],
            queue_size=sum(d.pending + d.price_conflicts for d in stats.domains),
            auto_merge_rate=stats.auto_merge_rate,
            decisions_per_day=[DayCount(day=d, count=n) for d, n in stats.decisions_per_day],
            oldest_pending=ReviewItem.of(oldest) if oldest else None,
        )

    @strawberry.field(description="Values pinned on a golden record now (steward).")
    async def pinned_values(self, info: Info, golden_id: strawberry.ID) -> list[PinnedValue]:
        require_role(info, "steward")
        rows = await info.context.db(lambda s: steward.pinned_attributes(s, str(golden_id)))
        return [PinnedValue(attribute=r.attribute, value=(r.value or {}).get("value"), reason=r.reason, actor=r.actor,
                            pinned_at=_utc(r.pinned_at)) for r in rows]

    @strawberry.field(description="The pending candidates a bulk decision would take now, without deciding (steward).")
    async def bulk_preview(
        self, info: Info, action: BulkAction, threshold: float, domain: Domain, source_system: str | None = None,
        min_score: float | None = None, max_score: float | None = None, limit: int = 200,
    ) -> BulkPreview:
        require_role(info, "steward")
        ids = await _steward_call(info, lambda s: steward.bulk_selection(
            s, accept=action == BulkAction.ACCEPT, threshold=threshold, domain=domain.value,
            source_system=source_system, min_score=min_score, max_score=max_score, limit=max(1, min(limit, 500)),
        ))
        return BulkPreview(candidate_ids=ids)


def _actor(info: Info) -> str:
    return require_role(info, "steward").actor


@strawberry.type
class StewardMutation:
    @strawberry.mutation(description="Merge: accept a match candidate; its two records stay in one golden record (steward).")
    async def merge_candidate(self, info: Info, candidate_id: int, reason: str | None = None) -> DecisionResult:
        actor, rules = _actor(info), info.context.services.rulebook()
        outcome = await _steward_call(
            info, lambda s: steward.merge(s, candidate_id, actor=actor, reason=reason, rules=rules, now=_now())
        )
        return await _result(info, outcome)

    @strawberry.mutation(
        description="Not a match: the two records stay apart until one of them changes in a field the rules compare (steward)."
    )
    async def mark_not_a_match(self, info: Info, candidate_id: int, reason: str | None = None) -> DecisionResult:
        actor, rules = _actor(info), info.context.services.rulebook()
        outcome = await _steward_call(
            info, lambda s: steward.not_a_match(s, candidate_id, actor=actor, reason=reason, rules=rules, now=_now())
        )
        return await _result(info, outcome)

    @strawberry.mutation(
        description="Split a source record out of its golden record: into a new golden record, or `into` another one (steward)."
    )
    async def split_record(
        self, info: Info, record_id: int, into: strawberry.ID | None = None, reason: str | None = None
    ) -> DecisionResult:
        actor, rules = _actor(info), info.context.services.rulebook()
        outcome = await _steward_call(
            info, lambda s: steward.split(s, record_id, into=str(into) if into else None, actor=actor, reason=reason,
                                          rules=rules, now=_now())
        )
        return await _result(info, outcome)

    @strawberry.mutation(
        description="Pin a value on a golden attribute; survivorship keeps it until unpinned. Validated by the attribute's rules (steward)."
    )
    async def override_attribute(
        self, info: Info, golden_id: strawberry.ID, attribute: str, value: JSON, reason: str
    ) -> DecisionResult:
        actor, rules = _actor(info), info.context.services.rulebook()
        outcome = await _steward_call(
            info, lambda s: steward.override(s, str(golden_id), attribute, value, actor=actor, reason=reason,
                                             rules=rules, now=_now())
        )
        return await _result(info, outcome)

    @strawberry.mutation(description="Unpin a golden attribute: survivorship decides it again (steward).")
    async def unpin_attribute(
        self, info: Info, golden_id: strawberry.ID, attribute: str, reason: str | None = None
    ) -> DecisionResult:
        actor, rules = _actor(info), info.context.services.rulebook()
        outcome = await _steward_call(
            info, lambda s: steward.unpin(s, str(golden_id), attribute, actor=actor, reason=reason, rules=rules, now=_now())
        )
        return await _result(info, outcome)

    @strawberry.mutation(description="Undo an earlier decision: reverse its links or override and re-match (steward).")
    async def undo_decision(self, info: Info, decision_id: int, reason: str | None = None) -> DecisionResult:
        actor, rules = _actor(info), info.context.services.rulebook()
        outcome = await _steward_call(
            info, lambda s: steward.undo(s, decision_id, actor=actor, reason=reason, rules=rules, now=_now())
        )
        return await _result(info, outcome)

    @strawberry.mutation(
        description="Accept every pending candidate at or above `threshold`, or reject every one at or below it, "
        "within the filter; one decision, one undo (steward)."
    )
    async def bulk_decide(
        self, info: Info, action: BulkAction, threshold: float, domain: Domain, reason: str | None = None,
        source_system: str | None = None, min_score: float | None = None, max_score: float | None = None,
        limit: int = 200,
    ) -> DecisionResult:
        actor, rules = _actor(info), info.context.services.rulebook()
        outcome = await _steward_call(info, lambda s: steward.bulk(
            s, accept=action == BulkAction.ACCEPT, threshold=threshold, domain=domain.value, actor=actor, reason=reason,
            rules=rules, now=_now(), source_system=source_system, min_score=min_score, max_score=max_score, limit=limit,
        ))
        return await _result(info, outcome)

    @strawberry.mutation(
        description="Accept the price survivorship chose for a price conflict; another price is fixed at its source (steward)."
    )
    async def acknowledge_price_conflict(self, info: Info, candidate_id: int, reason: str | None = None) -> DecisionResult:
        actor = _actor(info)
        outcome = await _steward_call(
            info, lambda s: steward.acknowledge_price_conflict(s, candidate_id, actor=actor, reason=reason, now=_now())
        )
        return await _result(info, outcome)
