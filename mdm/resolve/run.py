"""`mdm match`: match and merge every source record not yet matched.

The first run (or a run after the rules changed) is a bulk run: it estimates
the Fellegi-Sunter model over all records and stores it with the term
frequencies. Later runs are incremental: the records that changed find their
candidates through the blocking-key table, and only the golden records they
touch are re-clustered, with the stored model. Given the same model, bulk
and incremental runs reach the same clusters."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from mdm.match import blocking_keys, match_frame, prepare, term_frequencies
from mdm.match.rules import MatchRules
from mdm.match.scoring import MatchModel, explain
from mdm.resolve.apply import ApplyStats, apply_clusters, current_xref, members_of
from mdm.resolve.frames import current_records
from mdm.resolve.links import apply_must_links, must_link_pairs, standing_cannot_links
from mdm.survivorship import SurvivorshipRules
from mdm.rules import load_survivorship_rules
from mdm.settings import Settings
from mdm.store.bulk import bulk_insert
from mdm.store.tables import BlockingKey, MatchCandidate, MatchModelRow, SourceRecord

CHUNK = 900
WRITE_CHUNK = 5000


@dataclass
class MatchReport:
    domain: str
    mode: str  # bulk | incremental | nothing
    records: int = 0
    affected: int = 0
    pairs: int = 0
    review: int = 0
    golden: ApplyStats | None = None
    blocking: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def rules_hash(rules: MatchRules) -> str:
    return hashlib.sha256(rules.model_dump_json().encode()).hexdigest()


def pending_records(session: Session, domain: str) -> tuple[list[int], list[int]]:
    """(live records with a version not yet matched, deleted records not yet removed)."""
    live, removed = [], []
    for rid, deleted in session.execute(
        select(SourceRecord.id, SourceRecord.deleted).where(
            SourceRecord.matched_version.is_(None), SourceRecord.domain == domain
        )
    ):
        (removed if deleted else live).append(rid)
    return live, removed


# Parsed models by (domain, trained_at): an incremental run must not re-parse
# a large term-frequency table on every call. Keyed by the row's training
# time, so a retrain by any worker is picked up.
_MODELS: dict[str, tuple[str, tuple[MatchModel, dict[str, pd.Series], str]]] = {}


def load_model(session: Session, domain: str) -> tuple[MatchModel, dict[str, pd.Series], str] | None:
    head = session.execute(
        select(MatchModelRow.trained_at, MatchModelRow.rules_hash).where(MatchModelRow.domain == domain)
    ).first()
    if head is None:
        return None
    stamp = f"{head.trained_at.isoformat()}|{head.rules_hash}"
    cached = _MODELS.get(domain)
    if cached is None or cached[0] != stamp:
        row = session.get(MatchModelRow, domain)
        tf = {name: pd.Series(values, dtype=float) for name, values in row.model.get("term_frequencies", {}).items()}
        cached = _MODELS[domain] = (stamp, (MatchModel.model_validate(row.model["model"]), tf, row.rules_hash))
    return cached[1]


def save_model(session: Session, domain: str, model: MatchModel, tf: dict[str, pd.Series], digest: str, now) -> None:
    payload = {
        "model": json.loads(model.model_dump_json()),
        "term_frequencies": {name: {str(k): float(v) for k, v in table.items()} for name, table in tf.items()},
    }
    row = session.get(MatchModelRow, domain)
    if row is None:
        session.add(MatchModelRow(domain=domain, rules_hash=digest, model=payload, trained_at=now))
    else:
        row.rules_hash, row.model, row.trained_at = digest, payload, now


def match_domain(
    session: Session,
    domain: str,
    rules: MatchRules,
    *,
    now: datetime,
    retrain: bool = False,
    correlation_id: str | None = None,
    survivorship: SurvivorshipRules | None = None,
) -> MatchReport:
    """Match what is pending in one domain and write the outcome; commits.

    ``survivorship`` defaults to the rules in MDM_RULES_DIR."""
    if survivorship is None:
        survivorship = load_survivorship_rules(Settings().rules_dir, domain)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    pending, removed = pending_records(session, domain)
    stored = load_model(session, domain)
    digest = rules_hash(rules)
    bulk = retrain or stored is None or stored[2] != digest
    if not bulk and not pending and not removed:
        return MatchReport(domain, "nothing")

    if bulk:
        frame = prepare(current_records(session, domain), rules)
        affected = frame
        tf = term_frequencies(frame, rules)
        model = None
    else:
        model, tf, _ = stored
        affected_ids, pending_keys = _affected_ids(session, domain, rules, pending, removed)
        affected = prepare(current_records(session, domain, affected_ids), rules)
    timings["read"] = time.perf_counter() - start
    if affected.empty:
        stats = apply_clusters(
            session, domain, affected, pd.Series(dtype="int64"), now=now, removed=removed,
            correlation_id=correlation_id, survivorship=survivorship,
        )
        _finish(session, domain, pending, removed, affected, rules, bulk)
        session.commit()
        return MatchReport(domain, "bulk" if bulk else "incremental", golden=stats, timings=timings)

    cl = standing_cannot_links(session, domain, rules, affected)
    result = match_frame(affected, rules, model=model, cannot_link=(cl if cl[0] else None), tf_tables=tf)
    labels = apply_must_links(result.labels, must_link_pairs(session, affected.index.tolist()), cl)
    timings.update(result.timings)
    if bulk:
        save_model(session, domain, result.model, tf, digest, now)

    mark = time.perf_counter()
    decided = _decided_by(result.pairs, labels)
    stats = apply_clusters(
        session, domain, affected, labels, now=now, removed=removed, decided_by=decided,
        correlation_id=correlation_id, whole_domain=bulk, survivorship=survivorship,
    )
    n_review = _write_review(session, domain, affected, result, labels, set(zip(*cl)), now)
    _finish(session, domain, pending, removed, affected, rules, bulk, None if bulk else pending_keys)
    timings["write"] = time.perf_counter() - mark
    session.commit()
    return MatchReport(
        domain, "bulk" if bulk else "incremental", records=len(affected), affected=len(affected),
        pairs=len(result.pairs), review=n_review, golden=stats, blocking=result.blocking, timings=timings,
    )


def _affected_ids(session, domain, rules, pending: list[int], removed: list[int]) -> tuple[list[int], pd.DataFrame | None]:
    """Pending records, their blocking-key neighbours, and every member of the
    golden records any of those belong to (so clusters are rebuilt whole);
    and the pending records' own blocking keys, stored once they are matched."""
    neighbours: set[int] = set()
    keys = None
    if pending:
        keys = blocking_keys(prepare(current_records(session, domain, pending), rules), rules)
        for (name,), group in keys.groupby(["key_name"]):
            values = group["key_value"].unique().tolist()
            for start in range(0, len(values), CHUNK):
                neighbours.update(
                    session.scalars(
                        select(BlockingKey.record_id).where(
                            BlockingKey.domain == domain,
                            BlockingKey.key_name == name,
                            BlockingKey.key_value.in_(values[start : start + CHUNK]),
                        )
                    )
                )
    base = set(pending) | neighbours | set(removed)
    base |= {r for pair in must_link_pairs(session, sorted(base)) for r in pair}
    goldens = set(current_xref(session, domain, sorted(base)).values())
    members = {rid for rids in members_of(session, sorted(goldens)).values() for rid in rids}
    return sorted((base | members) - set(removed)), keys


def _decided_by(pairs: pd.DataFrame, labels: pd.Series) -> dict[int, tuple[str, float | None]]:
    """For records in multi-member clusters: the best probability that joined them."""
    same = labels.reindex(pairs["left"]).to_numpy() == labels.reindex(pairs["right"]).to_numpy()
    joined = pairs[same]
    if joined.empty:
        return {}
    best = pd.concat(
        [joined[["left", "match_probability"]].rename(columns={"left": "rid"}),
         joined[["right", "match_probability"]].rename(columns={"right": "rid"})]
    ).groupby("rid")["match_probability"].max()
    return {int(rid): ("auto", float(p)) for rid, p in best.items()}


def _write_review(session, domain, frame, result, labels, barred: set, now) -> int:
    """Store review-band pairs between different clusters as match candidates."""
    ids = frame.index.tolist()
    # Pending candidates among re-clustered records are replaced by this run's view.
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        session.execute(
            update(MatchCandidate)
            .where(MatchCandidate.status == "pending", MatchCandidate.kind == "match",
                   or_(MatchCandidate.left_record_id.in_(chunk), MatchCandidate.right_record_id.in_(chunk)))
            .values(status="superseded", decided_at=now)
        )
    review = result.clusters.review
    if review.empty:
        return 0
    pairs = result.pairs.set_index(["left", "right"])
    position = pd.Series(range(len(result.pairs)), index=pairs.index)
    rows = []
    for left, right in zip(review["left"].to_numpy(), review["right"].to_numpy()):
        lo, hi = int(min(left, right)), int(max(left, right))
        i = int(position.get((lo, hi), -1))
        # Settled already: merged by a steward's must-link, or ruled out by a cannot-link.
        if i < 0 or labels[lo] == labels[hi] or (lo, hi) in barred:
            continue
        rows.append(
            {"domain": domain, "kind": "match", "left_record_id": lo, "right_record_id": hi,
             "match_weight": float(result.pairs["match_weight"].iat[i]),
             "match_probability": float(result.pairs["match_probability"].iat[i]),
             "explanation": {"levels": explain(result.levels[i], result.model)}, "status": "pending",
             "created_at": now}
        )
    if not rows:
        return 0
    keys = {(r["left_record_id"], r["right_record_id"]) for r in rows}
    existing = set()
    for start in range(0, len(rows), CHUNK):
        lefts = [r["left_record_id"] for r in rows[start : start + CHUNK]]
        existing.update(
            session.execute(
                select(MatchCandidate.left_record_id, MatchCandidate.right_record_id).where(
                    MatchCandidate.domain == domain, MatchCandidate.left_record_id.in_(lefts)
                )
            ).all()
        )
    fresh = [r for r in rows if (r["left_record_id"], r["right_record_id"]) not in existing]
    again = [r for r in rows if (r["left_record_id"], r["right_record_id"]) in existing]
    for start in range(0, len(fresh), WRITE_CHUNK):
        bulk_insert(session, MatchCandidate, fresh[start : start + WRITE_CHUNK])
    for r in again:
        # A pair seen before returns to the queue only if no steward settled it.
        session.execute(
            update(MatchCandidate)
            .where(and_(MatchCandidate.domain == domain, MatchCandidate.left_record_id == r["left_record_id"],
                        MatchCandidate.right_record_id == r["right_record_id"],
                        MatchCandidate.status.in_(("pending", "superseded"))))
            .values(status="pending", match_weight=r["match_weight"], match_probability=r["match_probability"],
                    explanation=r["explanation"], decided_at=None)
        )
    return len(keys)


def _finish(
    session, domain, pending: list[int], removed: list[int], frame: pd.DataFrame, rules, bulk: bool,
    pending_keys: pd.DataFrame | None = None,
) -> None:
    """Refresh blocking keys of re-matched records and mark them matched."""
    if bulk:
        session.execute(delete(BlockingKey).where(BlockingKey.domain == domain))
        refresh = frame
    else:
        ids = [*pending, *removed]
        for start in range(0, len(ids), CHUNK):
            session.execute(delete(BlockingKey).where(BlockingKey.record_id.in_(ids[start : start + CHUNK])))
        refresh = frame.loc[frame.index.intersection(pending)]
    if len(refresh):
        keys = pending_keys if pending_keys is not None and not bulk else blocking_keys(refresh, rules)
        keys = keys.assign(domain=domain, key_value=keys["key_value"].str.slice(0, 255))
        records = keys[["record_id", "domain", "key_name", "key_value"]].to_dict("records")
        for start in range(0, len(records), WRITE_CHUNK):
            bulk_insert(session, BlockingKey, records[start : start + WRITE_CHUNK])
    done = [*pending, *removed]
    for start in range(0, len(done), CHUNK):
        session.execute(
            update(SourceRecord)
            .where(SourceRecord.id.in_(done[start : start + CHUNK]))
            .values(matched_version=SourceRecord.version)
        )
