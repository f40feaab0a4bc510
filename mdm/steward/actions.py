"""Steward decisions: merge, not-a-match, split, override, unpin, undo, bulk.

Each decision writes its must-links, cannot-links or override, marks the
records it touches for re-matching and runs ``match_domain``, which honours
the links and pinned overrides and writes the golden record changes and
their outbox events. The decision, the re-match and the audit row commit
together, or not at all.

```python
outcome = merge(session, candidate_id, actor="apikey:ann", reason="same VAT id", rules=RuleBook(dir), now=now)
outcome.golden_after   # golden records after the decision, as audited
undo(session, outcome.decision_id, actor="apikey:ann", reason="wrong pair", rules=rules, now=now)
```
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from mdm.resolve.locks import domain_lock
from mdm.resolve.links import add_cannot_link, add_must_link, mark_for_rematch, ordered, remove_links
from mdm.resolve.lookup import resolve_golden_id
from mdm.resolve.run import match_domain
from mdm.steward.errors import Conflict, NotFound, StewardError
from mdm.steward.rulebook import RuleBook, matched_domain
from mdm.steward.snapshots import golden_of, member_ids, snapshot
from mdm.store.tables import (
    AuditLog,
    CannotLink,
    GoldenOverride,
    GoldenRecord,
    MatchCandidate,
    MustLink,
    OutboxEvent,
    SourceRecord,
    StewardDecision,
    Xref,
)
from mdm.survivorship import validate_value

PRICE_CONFLICT = "price_conflict"
# A rejected pair leaves the queue as superseded: the matcher re-proposes a
# superseded pair once no standing cannot-link bars it (one of the records
# changed in a compared field), never a "rejected" one. The steward's
# not-a-match itself is the steward_decision row.
REJECTED = "superseded"
BULK_LIMIT = 500
CHUNK = 900


@dataclass
class Outcome:
    """What a decision did, as its audit row records it."""

    decision_id: int | None
    kind: str
    domain: str
    golden_before: dict[str, dict[str, Any]] = field(default_factory=dict)
    golden_after: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The golden records the decision's source records belong to now.
    golden_ids: list[str] = field(default_factory=list)
    # Change events written by the re-match: {type, subject, version}.
    events: list[dict[str, Any]] = field(default_factory=list)
    candidate_ids: list[int] = field(default_factory=list)


class _InTransaction:
    """The caller's session with commit turned into flush, so match_domain
    runs inside the steward's transaction: the decision, the re-match and
    the audit row become visible together."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def commit(self) -> None:
        self._session.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def _one_writer(domain_of: Callable[..., str]):
    """Run the action holding its domain's matching lock (the one ingest and
    `mdm match` take), before it writes anything: a decision that held a
    candidate's row while waiting for a match run that needs that row would
    wait forever."""

    def wrap(action):
        @functools.wraps(action)
        def run(session: Session, *args, **kwargs):
            with domain_lock(session, domain_of(session, *args, **kwargs)):
                return action(session, *args, **kwargs)

        return run

    return wrap


def _candidate_domain(session: Session, candidate_id: int, **_) -> str:
    candidate = session.get(MatchCandidate, candidate_id)
    if candidate is None:
        raise NotFound(f"no match candidate {candidate_id}")
    return candidate.domain


def _record_domain(session: Session, record_id: int, **_) -> str:
    record = session.get(SourceRecord, record_id)
    if record is None or record.deleted:
        raise NotFound(f"no live source record {record_id}")
    return record.domain


def _golden_domain(session: Session, golden_id: str, *_, **__) -> str:
    return _active_golden(session, golden_id).domain


def _decision_domain(session: Session, decision_id: int, **_) -> str:
    decision = session.get(StewardDecision, decision_id)
    if decision is None:
        raise NotFound(f"no steward decision {decision_id}")
    return decision.domain


# --- match candidates ----------------------------------------------------------------


@_one_writer(_candidate_domain)
def merge(session: Session, candidate_id: int, *, actor: str, reason: str | None, rules: RuleBook, now: datetime) -> Outcome:
    """Accept a match candidate: its two records stay in one golden record."""
    candidate = _claim(session, candidate_id, "accepted", now)

    def act(decision: StewardDecision) -> list[int]:
        pair = [candidate.left_record_id, candidate.right_record_id]
        decision.payload = {**decision.payload, "replaced": _links_of(session, [tuple(pair)])}
        add_must_link(session, *pair, now=now, decision_id=decision.id)
        return pair

    outcome = _decide(
        session, "merge", candidate.domain, actor=actor, reason=reason, rules=rules, now=now, act=act,
        payload={"candidates": [candidate.id], "pairs": [[candidate.left_record_id, candidate.right_record_id]]},
        subject=("match_candidate", str(candidate.id)), steward_merged=[candidate.left_record_id, candidate.right_record_id],
    )
    outcome.candidate_ids = [candidate.id]
    return outcome


@_one_writer(_candidate_domain)
def not_a_match(session: Session, candidate_id: int, *, actor: str, reason: str | None, rules: RuleBook, now: datetime) -> Outcome:
    """Reject a match candidate: a cannot-link that stands until one of the
    two records changes in a compared field; then the pair may come back."""
    candidate = _claim(session, candidate_id, REJECTED, now)

    def act(decision: StewardDecision) -> list[int]:
        pair = (candidate.left_record_id, candidate.right_record_id)
        decision.payload = {**decision.payload, "replaced": _links_of(session, [pair])}
        add_cannot_link(session, candidate.domain, *pair, rules.match(candidate.domain), now=now, decision_id=decision.id)
        return list(pair)

    outcome = _decide(
        session, "not_a_match", candidate.domain, actor=actor, reason=reason, rules=rules, now=now, act=act,
        payload={"candidates": [candidate.id], "pairs": [[candidate.left_record_id, candidate.right_record_id]]},
        subject=("match_candidate", str(candidate.id)),
    )
    outcome.candidate_ids = [candidate.id]
    return outcome


@_one_writer(_candidate_domain)
def acknowledge_price_conflict(
    session: Session, candidate_id: int, *, actor: str, reason: str | None, now: datetime
) -> Outcome:
    """Accept the price survivorship chose for a price conflict (golden
    prices are settled from their sources, so another price is fixed there)."""
    candidate = _claim(session, candidate_id, "accepted", now, kind=PRICE_CONFLICT)
    decision = _new_decision(session, "price_ack", candidate.domain, {"candidates": [candidate.id]}, actor, reason, now)
    golden_ids = list((candidate.explanation or {}).get("golden_ids") or [])
    state = snapshot(session, golden_ids)
    _audit(session, decision, ("match_candidate", str(candidate.id)), state, state, now)
    session.commit()
    return Outcome(decision.id, decision.kind, decision.domain, state, state, golden_ids, [], [candidate.id])


@_one_writer(lambda session, **kw: matched_domain(kw["domain"]))
def bulk(
    session: Session,
    *,
    accept: bool,
    threshold: float,
    domain: str,
    actor: str,
    reason: str | None,
    rules: RuleBook,
    now: datetime,
    source_system: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    limit: int = BULK_LIMIT,
) -> Outcome:
    """Accept every pending candidate scoring at or above ``threshold``, or
    reject every one at or below it, within the filter; one decision (one
    undo) for all. Candidates another steward took meanwhile are left out."""
    matched_domain(domain)
    if not 1 <= limit <= BULK_LIMIT:
        raise StewardError(f"a bulk decision covers 1 to {BULK_LIMIT} candidates, not {limit}")
    ids = bulk_selection(session, accept=accept, threshold=threshold, domain=domain, source_system=source_system,
                         min_score=min_score, max_score=max_score, limit=limit)
    kind = "bulk_merge" if accept else "bulk_not_a_match"
    if not ids:
        return Outcome(None, kind, domain)
    claimed = []
    for start in range(0, len(ids), CHUNK):
        claimed.extend(session.execute(
            update(MatchCandidate)
            .where(MatchCandidate.id.in_(ids[start : start + CHUNK]), MatchCandidate.status == "pending")
            .values(status="accepted" if accept else REJECTED, decided_at=now)
            .returning(MatchCandidate.id, MatchCandidate.left_record_id, MatchCandidate.right_record_id)
        ).all())
    if not claimed:
        session.rollback()
        return Outcome(None, kind, domain)
    claimed.sort()
    pairs = [(left, right) for _, left, right in claimed]
    match_rules = rules.match(domain)

    def act(decision: StewardDecision) -> list[int]:
        decision.payload = {**decision.payload, "replaced": _links_of(session, pairs)}
        for left, right in pairs:
            if accept:
                add_must_link(session, left, right, now=now, decision_id=decision.id)
            else:
                add_cannot_link(session, domain, left, right, match_rules, now=now, decision_id=decision.id)
        return sorted({r for pair in pairs for r in pair})

    payload = {
        "candidates": [c for c, _, _ in claimed], "pairs": [list(p) for p in pairs],
        "filter": {"threshold": threshold, "source_system": source_system, "min_score": min_score, "max_score": max_score},
    }
    outcome = _decide(
        session, kind, domain, actor=actor, reason=reason, rules=rules, now=now, act=act, payload=payload,
        subject=("match_candidate", ",".join(str(c) for c, _, _ in claimed[:8]) + ("…" if len(claimed) > 8 else "")),
        steward_merged=[r for p in pairs for r in p] if accept else None,
    )
    outcome.candidate_ids = payload["candidates"]
    return outcome


def bulk_selection(
    session: Session, *, accept: bool, threshold: float, domain: str, source_system: str | None = None,
    min_score: float | None = None, max_score: float | None = None, limit: int = BULK_LIMIT,
) -> list[int]:
    """Ids of the pending match candidates a bulk decision would take."""
    score = MatchCandidate.match_probability
    query = select(MatchCandidate.id).where(
        MatchCandidate.domain == domain, MatchCandidate.kind == "match", MatchCandidate.status == "pending",
        score >= threshold if accept else score <= threshold,
    )
    if min_score is not None:
        query = query.where(score >= min_score)
    if max_score is not None:
        query = query.where(score <= max_score)
    if source_system is not None:
        left, right = aliased(SourceRecord), aliased(SourceRecord)
        query = (
            query.join(left, left.id == MatchCandidate.left_record_id)
            .join(right, right.id == MatchCandidate.right_record_id)
            .where(or_(left.system == source_system, right.system == source_system))
        )
    return list(session.scalars(query.order_by(score.desc() if accept else score, MatchCandidate.id).limit(limit)))


# --- golden records ------------------------------------------------------------------


@_one_writer(_record_domain)
def split(
    session: Session, record_id: int, *, into: str | None = None, actor: str, reason: str | None, rules: RuleBook,
    now: datetime,
) -> Outcome:
    """Move a source record out of its golden record: into a new golden
    record (cannot-linked against its co-members), or into the golden
    record ``into`` (must-linked to a member there as well)."""
    record = session.get(SourceRecord, record_id)
    if record is None or record.deleted:
        raise NotFound(f"no live source record {record_id}")
    domain = matched_domain(record.domain)
    current = golden_of(session, [record_id]).get(record_id)
    if current is None:
        raise Conflict(f"source record {record_id} is not matched yet; run matching first")
    co_members = [r for r in member_ids(session, [current])[current] if r != record_id]
    target, anchor = None, None
    if into is not None:
        target = resolve_golden_id(session, into)
        golden = session.get(GoldenRecord, target) if target else None
        if golden is None or golden.status != "active":
            raise NotFound(f"no active golden record {into}")
        if golden.domain != domain:
            raise StewardError(f"golden record {target} is a {golden.domain}, the source record a {domain}")
        if target == current:
            raise StewardError(f"source record {record_id} already belongs to {target}")
        anchor = member_ids(session, [target])[target][0]
    elif not co_members:
        raise StewardError(f"source record {record_id} is the only member of {current}: nothing to split off")
    match_rules = rules.match(domain)

    def act(decision: StewardDecision) -> list[int]:
        pairs = [(record_id, other) for other in co_members] + ([(record_id, anchor)] if anchor else [])
        decision.payload = {**decision.payload, "replaced": _links_of(session, pairs)}
        for other in co_members:
            add_cannot_link(session, domain, record_id, other, match_rules, now=now, decision_id=decision.id)
        # The moved record becomes the newest member, so on an even split the
        # golden id stays with the records that did not move.
        session.execute(update(Xref).where(Xref.record_id == record_id).values(linked_at=now))
        if anchor is not None:
            add_must_link(session, record_id, anchor, now=now, decision_id=decision.id)
        return [record_id, *co_members, *([anchor] if anchor else [])]

    return _decide(
        session, "split", domain, actor=actor, reason=reason, rules=rules, now=now, act=act,
        payload={"record_id": record_id, "from": current, "into": target},
        subject=("golden_record", current), steward_merged=[record_id, anchor] if anchor else None,
    )


@_one_writer(_golden_domain)
def override(
    session: Session, golden_id: str, attribute: str, value: Any, *, actor: str, reason: str, rules: RuleBook,
    now: datetime,
) -> Outcome:
    """Pin a value on a golden attribute; survivorship keeps it until unpinned."""
    golden = _active_golden(session, golden_id)
    domain = matched_domain(golden.domain)
    survivorship = rules.survivorship(domain)
    if attribute not in survivorship.attribute_names():
        raise StewardError(f"{domain} has no attribute {attribute!r}; one of: {', '.join(survivorship.attribute_names())}")
    if not (reason or "").strip():
        raise StewardError("an override needs a reason")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise StewardError(f"a value for {attribute} is required (to let survivorship decide again, unpin it)")
    invalid = validate_value(survivorship, attribute, value)
    if invalid:
        raise StewardError(f"{attribute} {value!r} is {invalid}")

    def act(decision: StewardDecision) -> list[int]:
        replaced = _pinned(session, golden.id, attribute)
        if replaced is not None:
            replaced.unpinned_at = now
        row = GoldenOverride(golden_id=golden.id, attribute=attribute, value={"value": value}, reason=reason,
                             actor=actor, pinned_at=now)
        session.add(row)
        session.flush()
        decision.payload = {**decision.payload, "override_id": row.id,
                            "replaced_override_id": replaced.id if replaced else None}
        return member_ids(session, [golden.id])[golden.id]

    return _decide(
        session, "override", domain, actor=actor, reason=reason, rules=rules, now=now, act=act,
        payload={"golden_id": golden.id, "attribute": attribute, "value": value},
        subject=("golden_record", golden.id),
    )


@_one_writer(_golden_domain)
def unpin(
    session: Session, golden_id: str, attribute: str, *, actor: str, reason: str | None, rules: RuleBook, now: datetime
) -> Outcome:
    """Drop a pinned value: survivorship decides the attribute again."""
    golden = _active_golden(session, golden_id)
    domain = matched_domain(golden.domain)
    pinned = _pinned(session, golden.id, attribute)
    if pinned is None:
        raise NotFound(f"no value is pinned on {golden.id}.{attribute}")

    def act(decision: StewardDecision) -> list[int]:
        pinned.unpinned_at = now
        return member_ids(session, [golden.id])[golden.id]

    return _decide(
        session, "unpin", domain, actor=actor, reason=reason, rules=rules, now=now, act=act,
        payload={"golden_id": golden.id, "attribute": attribute, "override_id": pinned.id},
        subject=("golden_record", golden.id),
    )


# --- undo ----------------------------------------------------------------------------


@_one_writer(_decision_domain)
def undo(session: Session, decision_id: int, *, actor: str, reason: str | None, rules: RuleBook, now: datetime) -> Outcome:
    """Reverse an earlier decision: drop its links (restoring the ones it
    replaced) or its override, put its candidates back for re-matching, and
    re-match. The earlier decision records who undid it."""
    target = session.get(StewardDecision, decision_id)
    if target is None:
        raise NotFound(f"no steward decision {decision_id}")
    if target.kind == "undo":
        raise StewardError("an undo cannot be undone; make the decision again")
    if target.undone_by is not None:
        raise Conflict(f"decision {decision_id} was already undone by decision {target.undone_by}")
    if target.kind == "price_ack":
        return _undo_price_ack(session, target, actor=actor, reason=reason, now=now)
    domain = matched_domain(target.domain)
    payload = target.payload or {}

    def act(decision: StewardDecision) -> list[int]:
        _mark_undone(session, target, decision.id)
        records = set(remove_links(session, target.id))
        records |= _restore_links(session, payload.get("replaced") or [], now)
        records |= {r for pair in payload.get("pairs") or [] for r in pair}
        _reopen(session, payload.get("candidates") or [], target, now)
        if target.kind in ("override", "unpin"):
            records |= set(_undo_pin(session, target, now))
        if target.kind == "split":
            records.add(payload["record_id"])
        return sorted(records)

    return _decide(
        session, "undo", domain, actor=actor, reason=reason, rules=rules, now=now, act=act,
        payload={"undoes": target.id, "undoes_kind": target.kind}, subject=("steward_decision", str(target.id)),
    )


def _undo_price_ack(session: Session, target: StewardDecision, *, actor: str, reason: str | None, now: datetime) -> Outcome:
    decision = _new_decision(session, "undo", target.domain, {"undoes": target.id, "undoes_kind": target.kind}, actor, reason, now)
    _mark_undone(session, target, decision.id)
    ids = (target.payload or {}).get("candidates") or []
    session.execute(update(MatchCandidate).where(MatchCandidate.id.in_(ids), MatchCandidate.status == "accepted")
                    .values(status="pending", decided_at=None))
    _audit(session, decision, ("steward_decision", str(target.id)), {}, {}, now)
    session.commit()
    return Outcome(decision.id, decision.kind, decision.domain, candidate_ids=list(ids))


def _mark_undone(session: Session, target: StewardDecision, undo_id: int) -> None:
    # Conditional, so of two stewards undoing the same decision only one wins.
    done = session.execute(
        update(StewardDecision).where(StewardDecision.id == target.id, StewardDecision.undone_by.is_(None))
        .values(undone_by=undo_id)
    ).rowcount
    if done != 1:
        session.rollback()
        raise Conflict(f"decision {target.id} was undone by someone else meanwhile")


def _reopen(session: Session, candidate_ids: list[int], target: StewardDecision, now: datetime) -> None:
    """Accepted candidates go back to the matcher, which puts them in the
    queue again when they still score in the review band (rejected ones are
    superseded already and return once their cannot-link is gone)."""
    if target.kind not in ("merge", "bulk_merge"):
        return
    status = "accepted"
    for start in range(0, len(candidate_ids), CHUNK):
        session.execute(
            update(MatchCandidate)
            .where(MatchCandidate.id.in_(candidate_ids[start : start + CHUNK]), MatchCandidate.status == status)
            .values(status="superseded", decided_at=now)
        )


def _undo_pin(session: Session, target: StewardDecision, now: datetime) -> list[int]:
    payload = target.payload or {}
    golden_id, attribute = payload["golden_id"], payload["attribute"]
    survivor = resolve_golden_id(session, golden_id) or golden_id
    if target.kind == "override":
        made = session.get(GoldenOverride, payload["override_id"])
        if made is not None and made.unpinned_at is None:
            made.unpinned_at = now
        back = payload.get("replaced_override_id")
    else:
        back = payload["override_id"]
    if back is not None:
        if _pinned(session, survivor, attribute) is not None and target.kind == "unpin":
            session.rollback()
            raise Conflict(f"another value is pinned on {survivor}.{attribute} since; unpin it first")
        row = session.get(GoldenOverride, back)
        if row is not None and _pinned(session, survivor, attribute) is None:
            row.unpinned_at = None
            row.golden_id = survivor
    return member_ids(session, [survivor]).get(survivor, [])


# --- shared steps --------------------------------------------------------------------


def _claim(session: Session, candidate_id: int, status: str, now: datetime, kind: str = "match") -> MatchCandidate:
    """Take a pending candidate for this decision. The conditional UPDATE is
    the arbiter: of two stewards deciding one candidate at once, the second
    (after waiting for the domain lock, or on PostgreSQL for the row lock)
    finds it no longer pending and gets a Conflict."""
    candidate = session.get(MatchCandidate, candidate_id)
    if candidate is None:
        raise NotFound(f"no match candidate {candidate_id}")
    if candidate.kind != kind:
        what = "a price conflict" if candidate.kind == PRICE_CONFLICT else "a match candidate"
        raise StewardError(f"candidate {candidate_id} is {what}; this action is for {kind.replace('_', ' ')}s")
    taken = session.execute(
        update(MatchCandidate)
        .where(MatchCandidate.id == candidate_id, MatchCandidate.status == "pending")
        .values(status=status, decided_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        session.rollback()
        current = session.scalar(select(MatchCandidate.status).where(MatchCandidate.id == candidate_id))
        raise Conflict(
            f"match candidate {candidate_id} is no longer pending ({current}): another steward decided it, "
            "or re-matching replaced it"
        )
    session.refresh(candidate)
    return candidate


def _new_decision(session, kind, domain, payload, actor, reason, now) -> StewardDecision:
    decision = StewardDecision(kind=kind, domain=domain, payload=payload, actor=actor, reason=reason, created_at=now)
    session.add(decision)
    session.flush()
    return decision


def _decide(
    session: Session,
    kind: str,
    domain: str,
    *,
    actor: str,
    reason: str | None,
    rules: RuleBook,
    now: datetime,
    act: Callable[[StewardDecision], list[int]],
    payload: dict[str, Any],
    subject: tuple[str, str],
    steward_merged: list[int] | None = None,
) -> Outcome:
    """Record the decision, let ``act`` write its links or override, re-match
    the records it returns (with every member of their golden records), audit
    the golden records before and after, and commit."""
    try:
        decision = _new_decision(session, kind, domain, payload, actor, reason, now)
        records = act(decision)
        before_of = golden_of(session, records)
        before_ids = sorted(set(before_of.values()))
        before = snapshot(session, before_ids)
        members = {r for rids in member_ids(session, before_ids).values() for r in rids}
        mark_for_rematch(session, sorted(set(records) | members))
        correlation = f"steward-decision-{decision.id}"
        match_domain(_InTransaction(session), domain, rules.match(domain), now=now, correlation_id=correlation,
                     survivorship=rules.survivorship(domain))
        if steward_merged:
            _linked_by_steward(session, steward_merged)
        after_of = golden_of(session, records)
        golden_ids = sorted(set(after_of.values()))
        after = snapshot(session, sorted(set(golden_ids) | set(before_ids)))
        events = [
            {"type": t, "subject": s, "version": v}
            for t, s, v in session.execute(
                select(OutboxEvent.type, OutboxEvent.subject, OutboxEvent.version)
                .where(OutboxEvent.correlation_id == correlation).order_by(OutboxEvent.sequence)
            )
        ]
        _audit(session, decision, subject, before, after, now, correlation)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return Outcome(decision.id, kind, domain, before, after, golden_ids, events)


def _linked_by_steward(session: Session, record_ids: list[int]) -> None:
    ids = sorted({r for r in record_ids if r is not None})
    session.execute(update(Xref).where(Xref.record_id.in_(ids)).values(decided_by="steward"))


def _audit(session, decision: StewardDecision, subject: tuple[str, str], before, after, now, correlation=None) -> None:
    session.add(AuditLog(
        at=now, actor=decision.actor, action=f"steward.{decision.kind}", object_type=subject[0], object_id=subject[1][:64],
        before={"golden_records": before},
        after={"golden_records": after, "decision_id": decision.id, "reason": decision.reason, "payload": decision.payload},
        correlation_id=correlation,
    ))


def _links_of(session: Session, pairs: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """The must- and cannot-links on these pairs now (a decision replaces
    them, its undo puts them back)."""
    wanted = {ordered(a, b) for a, b in pairs}
    found: list[dict[str, Any]] = []
    lefts = sorted({a for a, _ in wanted})
    for start in range(0, len(lefts), CHUNK):
        chunk = lefts[start : start + CHUNK]
        for row in session.scalars(select(MustLink).where(MustLink.left_record_id.in_(chunk))):
            if (row.left_record_id, row.right_record_id) in wanted:
                found.append({"link": "must", "left": row.left_record_id, "right": row.right_record_id,
                              "decision_id": row.decision_id})
        for row in session.scalars(select(CannotLink).where(CannotLink.left_record_id.in_(chunk))):
            if (row.left_record_id, row.right_record_id) in wanted:
                found.append({"link": "cannot", "left": row.left_record_id, "right": row.right_record_id,
                              "decision_id": row.decision_id, "left_hash": row.left_hash, "right_hash": row.right_hash})
    return found


def _restore_links(session: Session, links: list[dict[str, Any]], now: datetime) -> set[int]:
    """Put back links an undone decision replaced, unless their own decision was undone since."""
    restored: set[int] = set()
    for link in links:
        source = link.get("decision_id")
        if source is not None:
            made_by = session.get(StewardDecision, source)
            if made_by is not None and made_by.undone_by is not None:
                continue
        key = (link["left"], link["right"])
        if session.get(MustLink, key) or session.get(CannotLink, key):
            continue
        if link["link"] == "must":
            session.add(MustLink(left_record_id=key[0], right_record_id=key[1], decision_id=source, created_at=now))
        else:
            session.add(CannotLink(left_record_id=key[0], right_record_id=key[1], left_hash=link["left_hash"],
                                   right_hash=link["right_hash"], decision_id=source, created_at=now))
        restored.update(key)
    session.flush()
    return restored


def _active_golden(session: Session, golden_id: str) -> GoldenRecord:
    gid = resolve_golden_id(session, golden_id)
    golden = session.get(GoldenRecord, gid) if gid else None
    if golden is None or golden.status != "active":
        raise NotFound(f"no active golden record {golden_id}")
    return golden


def _pinned(session: Session, golden_id: str, attribute: str) -> GoldenOverride | None:
    return session.scalars(
        select(GoldenOverride).where(
            GoldenOverride.golden_id == golden_id, GoldenOverride.attribute == attribute, GoldenOverride.unpinned_at.is_(None)
        ).order_by(GoldenOverride.id.desc())
    ).first()


def pinned_attributes(session: Session, golden_id: str) -> list[GoldenOverride]:
    """Overrides pinned on a golden record now."""
    return list(session.scalars(
        select(GoldenOverride).where(GoldenOverride.golden_id == golden_id, GoldenOverride.unpinned_at.is_(None))
        .order_by(GoldenOverride.attribute)
    ))


def decisions(session: Session, *, domain: str | None = None, limit: int = 50) -> list[StewardDecision]:
    """Recent steward decisions, newest first."""
    query = select(StewardDecision)
    if domain is not None:
        query = query.where(StewardDecision.domain == domain)
    return list(session.scalars(query.order_by(StewardDecision.id.desc()).limit(limit)))


def decisions_about(session: Session, golden_id: str, *, limit: int = 20, scan: int = 1000) -> list[StewardDecision]:
    """Decisions whose audit shows this golden record before or after
    (among the latest ``scan`` steward audit rows), newest first."""
    found: list[int] = []
    rows = session.execute(
        select(AuditLog.before, AuditLog.after).where(AuditLog.action.like("steward.%"))
        .order_by(AuditLog.id.desc()).limit(scan)
    )
    for before, after in rows:
        if golden_id in ((before or {}).get("golden_records") or {}) or golden_id in ((after or {}).get("golden_records") or {}):
            found.append(after["decision_id"])
        if len(found) >= limit:
            break
    if not found:
        return []
    return list(session.scalars(select(StewardDecision).where(StewardDecision.id.in_(found)).order_by(StewardDecision.id.desc())))
