"""The review queue: pending match candidates and price conflicts, most
useful first, and what a steward needs to decide one — both records field
by field with the comparison level and weight each field fed, and the golden
record a merge would make (survivorship run on the union, nothing written).

```python
total, entries = review_queue(session, QueueFilter(domain="customer"), rules=rules, now=now)
detail = compare(session, entries[0].candidate, rules=rules)
preview = merge_preview(session, entries[0].candidate, rules=rules, now=now)
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from mdm.models.fields import CANONICAL_FIELDS
from mdm.resolve.frames import current_records
from mdm.resolve.golden import member_records, pinned_overrides
from mdm.resolve.apply import golden_rows
from mdm.steward import priority as prio
from mdm.steward.errors import NotFound
from mdm.steward.rulebook import RuleBook
from mdm.steward.snapshots import golden_of, member_ids
from mdm.store.tables import MatchCandidate, SourceRecord
from mdm.survivorship import build_golden

PRICE_CONFLICT = "price_conflict"


@dataclass(frozen=True)
class QueueFilter:
    domain: str | None = None
    kind: str | None = None  # match | price_conflict
    source_system: str | None = None  # either record comes from it
    min_score: float | None = None
    max_score: float | None = None


@dataclass(frozen=True)
class Priority:
    score: float
    closeness: float
    activity: float
    age_days: float
    last_change: datetime | None


@dataclass(frozen=True)
class QueueEntry:
    candidate: MatchCandidate
    priority: Priority


@dataclass(frozen=True)
class FieldRow:
    """One canonical field of both records, and the comparisons that read it."""

    field: str
    left: Any
    right: Any
    same: bool
    comparisons: list[str]
    level: str | None
    weight: float | None


@dataclass(frozen=True)
class ComparisonRow:
    comparison: str
    level: str
    weight: float
    fields: list[str]


@dataclass(frozen=True)
class Comparison:
    fields: list[FieldRow]
    comparisons: list[ComparisonRow]
    prior_weight: float | None
    total_weight: float | None


@dataclass(frozen=True)
class Preview:
    """The golden record merging would produce (nothing written)."""

    survivor_id: str | None
    golden_ids: list[str]
    member_ids: list[int]
    attributes: dict[str, Any]
    lineage: dict[str, Any]
    changed: list[str] = field(default_factory=list)


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def review_queue(
    session: Session, where: QueueFilter, *, rules: RuleBook, now: datetime, first: int = 50, offset: int = 0
) -> tuple[int, list[QueueEntry]]:
    """(how many pending items match, one page of them by priority, highest first)."""
    query = select(MatchCandidate).where(MatchCandidate.status == "pending")
    if where.domain:
        query = query.where(MatchCandidate.domain == where.domain)
    if where.kind:
        query = query.where(MatchCandidate.kind == where.kind)
    if where.min_score is not None:
        query = query.where(MatchCandidate.match_probability >= where.min_score)
    if where.max_score is not None:
        query = query.where(MatchCandidate.match_probability <= where.max_score)
    if where.source_system:
        left, right = aliased(SourceRecord), aliased(SourceRecord)
        query = (
            query.join(left, left.id == MatchCandidate.left_record_id)
            .join(right, right.id == MatchCandidate.right_record_id)
            .where(or_(left.system == where.source_system, right.system == where.source_system))
        )
    candidates = list(session.scalars(query))
    changed = _last_changes(session, sorted({r for c in candidates for r in (c.left_record_id, c.right_record_id)}))
    boundaries: dict[str, float] = {}
    entries = []
    for c in candidates:
        entries.append(QueueEntry(c, _priority(c, changed, boundaries, rules, now)))
    entries.sort(key=lambda e: (-e.priority.score, e.candidate.id))
    return len(entries), entries[offset : offset + first]


def queue_entry(session: Session, candidate_id: int, *, rules: RuleBook, now: datetime) -> QueueEntry:
    candidate = session.get(MatchCandidate, candidate_id)
    if candidate is None:
        raise NotFound(f"no match candidate {candidate_id}")
    changed = _last_changes(session, [candidate.left_record_id, candidate.right_record_id])
    return QueueEntry(candidate, _priority(candidate, changed, {}, rules, now))


def _priority(c: MatchCandidate, changed: dict[int, datetime], boundaries: dict, rules: RuleBook, now: datetime) -> Priority:
    if c.kind == PRICE_CONFLICT:
        e = c.explanation or {}
        near = prio.price_closeness(_float(e.get("relative_difference")), _float(e.get("tolerance")))
    else:
        if c.domain not in boundaries:
            boundaries[c.domain] = prio.boundary_weight(rules.match(c.domain).thresholds)
        weight = c.match_weight if c.match_weight is not None else (
            prio.weight_of(c.match_probability) if c.match_probability is not None else None
        )
        near = prio.closeness(weight, boundaries[c.domain])
    last = max((d for d in (changed.get(c.left_record_id), changed.get(c.right_record_id)) if d), default=None)
    days_since = (now - last).total_seconds() / 86400 if last else float("inf")
    age_days = max((now - _utc(c.created_at)).total_seconds() / 86400, 0.0)
    return Priority(prio.priority(near, days_since, age_days), near, prio.activity(days_since), age_days, last)


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _last_changes(session: Session, record_ids: list[int]) -> dict[int, datetime]:
    """When each source record last got a new version (or appeared)."""
    out: dict[int, datetime] = {}
    for start in range(0, len(record_ids), 900):
        for rid, updated in session.execute(
            select(SourceRecord.id, SourceRecord.updated_at).where(SourceRecord.id.in_(record_ids[start : start + 900]))
        ):
            out[rid] = _utc(updated)
    return out


def compare(session: Session, candidate: MatchCandidate, *, rules: RuleBook) -> Comparison:
    """Both records field by field, with the level each comparison hit and its weight."""
    frame = current_records(session, candidate.domain, [candidate.left_record_id, candidate.right_record_id])
    left = frame.loc[candidate.left_record_id].to_dict() if candidate.left_record_id in frame.index else {}
    right = frame.loc[candidate.right_record_id].to_dict() if candidate.right_record_id in frame.index else {}
    levels = (candidate.explanation or {}).get("levels") or []
    by_name = {row.get("comparison"): row for row in levels}
    reads: dict[str, list[str]] = {}
    comparisons: list[ComparisonRow] = []
    if candidate.kind != PRICE_CONFLICT:
        match_rules = rules.match(candidate.domain)
        for spec in match_rules.comparisons:
            columns = {spec.field, *(level.column for level in spec.levels if level.column)}
            fields = sorted(set().union(*(match_rules.source_fields(c) for c in columns)))
            hit = by_name.get(spec.name, {})
            comparisons.append(ComparisonRow(spec.name, str(hit.get("level", "")), float(hit.get("weight") or 0.0), fields))
            for f in fields:
                reads.setdefault(f, []).append(spec.name)
    rows = []
    for name in CANONICAL_FIELDS[candidate.domain]:
        a, b = _value(left.get(name)), _value(right.get(name))
        used = reads.get(name, [])
        if a is None and b is None and not used:
            continue
        main = by_name.get(used[0]) if used else None
        rows.append(FieldRow(
            field=name, left=a, right=b, same=_same(a, b), comparisons=used,
            level=str(main.get("level")) if main else None, weight=float(main["weight"]) if main else None,
        ))
    prior = by_name.get("prior", {}).get("weight")
    total = by_name.get("total", {}).get("weight")
    return Comparison(rows, comparisons, prior, total)


def merge_preview(session: Session, candidate: MatchCandidate, *, rules: RuleBook, now: datetime) -> Preview | None:
    """Survivorship over every member of both records' golden records, with
    the surviving (older) golden record's pinned overrides; nothing written."""
    if candidate.kind == PRICE_CONFLICT:
        return None
    domain = candidate.domain
    pair = [candidate.left_record_id, candidate.right_record_id]
    golden = sorted(set(golden_of(session, pair).values()))
    members = sorted({r for rids in member_ids(session, golden).values() for r in rids} | set(pair))
    frame = current_records(session, domain, members)
    if frame.empty:
        return None
    rows = golden_rows(session, golden)
    survivor = min(golden, key=lambda g: (_utc(rows[g].created_at), g)) if golden else None
    overrides = pinned_overrides(session, [survivor]).get(survivor) if survivor else None
    build = build_golden(rules.survivorship(domain), list(member_records(domain, frame).values()), now=now, overrides=overrides)
    attributes = {a: v for a, v in build.attributes.items() if _value(v) is not None}
    current = rows[survivor].attributes if survivor else {}
    changed = sorted(a for a in set(attributes) | set(current) if attributes.get(a) != current.get(a))
    return Preview(survivor, golden, members, attributes, build.lineage_json(), changed)


def _value(value: Any) -> Any:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, float) and value != value:
        return None
    return value


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return " ".join(str(a).casefold().split()) == " ".join(str(b).casefold().split())


def queue_sizes(session: Session) -> list[tuple[str, str, int]]:
    """(domain, kind, pending count)."""
    return [
        (d, k, n) for d, k, n in session.execute(
            select(MatchCandidate.domain, MatchCandidate.kind, func.count())
            .where(MatchCandidate.status == "pending")
            .group_by(MatchCandidate.domain, MatchCandidate.kind)
            .order_by(MatchCandidate.domain, MatchCandidate.kind)
        )
    ]
