"""`mdm match`: match and merge every source record not yet matched.

The first run (or a run after the rules changed) is a bulk run: it estimates
the Fellegi-Sunter model over all records and stores it with the term
frequencies. Later runs are incremental: the records that changed find their
candidates through the blocking-key table, and only the golden records they
touch are re-clustered, with the stored model. Given the same model, bulk
and incremental runs reach the same clusters."""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from mdm.memory import cycles_between_stages, release_free_heap
from mdm.models.fields import CANONICAL_FIELDS
from mdm.match import (
    blocking_keys, comparison_levels, match_frame, pair_frequencies, pair_rows, prepare, term_frequencies,
)
from mdm.match.keyhash import key_rows
from mdm.match.rules import MatchRules
from mdm.match.scoring import MatchModel, explain, score, vetoed
from mdm.resolve.apply import ApplyStats, KnownLinks, apply_clusters, current_xref, member_xref_rows
from mdm.resolve.frames import current_records, prepared_records
from mdm.resolve.links import apply_must_links, links_present, must_link_pairs, standing_cannot_links
from mdm.resolve.neighbours import pending_pairs
from mdm.survivorship import SurvivorshipRules
from mdm.rules import load_survivorship_rules
from mdm.settings import current_settings
from mdm.store import jsonenc
from mdm.store.bulk import (
    foreign_keys_unchecked, indexes_rebuilt, insert_int_pairs, insert_plain, plain_value, refresh_statistics,
    rebuild_pays, rollback_journal, unmapped, update_ids,
)
from mdm.store.statements import ids_statement, ids_statements
from mdm.store.tables import BlockingKey, MatchCandidate, MatchModelRow, SourceRecord

CHUNK = 900
# What golden records are built from: the canonical fields and the record's metadata.
_SOURCE_COLUMNS = {
    domain: {*fields, "system", "source_key", "version", "updated_at", "loaded_at", "correlation_id"}
    for domain, fields in CANONICAL_FIELDS.items()
}
WRITE_CHUNK = 5000
KEY_WRITE_CHUNK = 50000  # plain tuples: cheap rows, bigger batches
# From this many records a bulk run rebuilds the key table's indexes (SQLite) rather than updating them.
REBUILD_KEY_INDEXES = 50_000
# From this many records, matched marks go in as JSON id lists on SQLite (``bulk.update_ids``).
JSON_MARKS = 5_000
# From this many records (pending, or live ones a retrain re-matches), a bulk run on a SQLite store
# nobody else has open takes it for itself (``rollback_journal``): below it, the checkpoint it saves
# costs little, and readers that come during the run should not wait for it.
ROLLBACK_JOURNAL_RECORDS = 100_000
# The indexes that matched marks change (a bulk run builds them again after marking).
_MARK_INDEXES = ("ix_source_record_matched_version", "ix_source_record_pending")
# What a bulk run fills or rewrites: analyzed after it on PostgreSQL.
BULK_TABLES = ("source_record", "blocking_key", "xref", "golden_record", "golden_record_version", "golden_alias",
               "match_candidate", "outbox")

log = logging.getLogger(__name__)


class MatchModelOutdated(Exception):
    """Matching needs a bulk run (no model yet, or rules the stored model
    cannot score) over more records than the caller allows."""


@dataclass
class MatchReport:
    domain: str
    mode: str  # bulk | incremental | nothing
    records: int = 0
    affected: int = 0
    pairs: int = 0
    review: int = 0
    # The rules changed since the stored model was trained; it still scores
    # them (same comparisons and levels) until ``mdm match --retrain``.
    stale_model: bool = False
    golden: ApplyStats | None = None
    blocking: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def rules_hash(rules: MatchRules) -> str:
    # Every run asks (0.2 ms to dump the rules); the rules are frozen, so the digest is kept per object.
    found = _DIGESTS.get(id(rules))
    if found is not None and found[0] is rules:
        return found[1]
    digest = hashlib.sha256(rules.model_dump_json().encode()).hexdigest()
    if len(_DIGESTS) >= 16:
        _DIGESTS.pop(next(iter(_DIGESTS)), None)
    _DIGESTS[id(rules)] = (rules, digest)  # the rules held: their id is not reused while cached
    return digest


_DIGESTS: dict[int, tuple[MatchRules, str]] = {}


def pending_records(session: Session, domain: str) -> tuple[list[int], list[int]]:
    """(live records with a version not yet matched, deleted records not yet removed)."""
    live, removed = [], []
    # Through the session, not its connection: its autoflush writes what a caller added first
    # (a steward's link or override). The run's later reads go to the connection, past the ORM.
    for rid, deleted in session.execute(_PENDING, {"domain": domain}):
        (removed if deleted else live).append(rid)
    return live, removed


# The statements every incremental run executes are built once: building one
# costs more than SQLite takes to run it for a handful of rows.
_PENDING = select(SourceRecord.id, SourceRecord.deleted).where(
    SourceRecord.matched_version.is_(None), SourceRecord.domain == bindparam("domain"))
_MODEL_HEAD = select(MatchModelRow.trained_at, MatchModelRow.rules_hash).where(MatchModelRow.domain == bindparam("domain"))
_CANDIDATES_OF = ids_statements(lambda ids: select(
    MatchCandidate.id, MatchCandidate.left_record_id, MatchCandidate.right_record_id, MatchCandidate.status,
    MatchCandidate.kind, MatchCandidate.match_weight, MatchCandidate.match_probability, MatchCandidate.explanation,
).where(or_(ids(MatchCandidate.left_record_id), ids(MatchCandidate.right_record_id))))
_STORED_PAIRS = ids_statements(lambda lefts: select(MatchCandidate.left_record_id, MatchCandidate.right_record_id).where(
    MatchCandidate.domain == bindparam("domain"), lefts(MatchCandidate.left_record_id)), name="lefts")
_DROP_DOMAIN_KEYS = delete(BlockingKey).where(BlockingKey.record_id.in_(
    select(SourceRecord.id).where(SourceRecord.domain == bindparam("domain"))
)).execution_options(synchronize_session=False)
_DROP_KEYS = ids_statements(
    lambda ids: delete(BlockingKey).where(ids(BlockingKey.record_id)).execution_options(synchronize_session=False))
# matched_version is only ever read in SQL: no loaded record needs it synchronized.
_MARK_MATCHED = ids_statements(
    lambda ids: update(SourceRecord).where(ids(SourceRecord.id))
    .values(matched_version=SourceRecord.version).execution_options(synchronize_session=False)
)

# Parsed models by (domain, trained_at): an incremental run must not re-parse
# a large term-frequency table on every call. Keyed by the row's training
# time, so a retrain by any worker is picked up.
_MODELS: dict[str, tuple[str, tuple[MatchModel, dict[str, pd.Series], str], list[str] | None]] = {}


def load_model(session: Session, domain: str) -> tuple[MatchModel, dict[str, pd.Series], str] | None:
    head = session.connection().execute(_MODEL_HEAD, {"domain": domain}).first()
    if head is None:
        return None
    stamp = f"{head.trained_at.isoformat()}|{head.rules_hash}"
    cached = _MODELS.get(domain)
    if cached is None or cached[0] != stamp:
        row = session.get(MatchModelRow, domain)
        tf = {name: pd.Series(values, dtype=float) for name, values in row.model.get("term_frequencies", {}).items()}
        cached = _MODELS[domain] = (
            stamp, (MatchModel.model_validate(row.model["model"]), tf, row.rules_hash), row.model.get("blocking_keys")
        )
    return cached[1]


def save_model(
    session: Session, domain: str, model: MatchModel, tf: dict[str, pd.Series], digest: str, now, rules: MatchRules
) -> None:
    payload = {
        "model": json.loads(model.model_dump_json()),
        # The keys the blocking-key table is built with: other keys need a bulk run.
        "blocking_keys": [key.name for key in rules.blocking.keys],
        "term_frequencies": {name: {str(k): float(v) for k, v in table.items()} for name, table in tf.items()},
    }
    row = session.get(MatchModelRow, domain)
    if row is None:
        session.add(MatchModelRow(domain=domain, rules_hash=digest, model=payload, trained_at=now))
    else:
        row.rules_hash, row.model, row.trained_at = digest, payload, now


def model_fits(model: MatchModel, rules: MatchRules, payload_keys: list[str] | None = None) -> bool:
    """Can ``model`` score pairs compared under ``rules``? The same comparisons
    with the same number of levels each (and, when the model recorded them,
    the same blocking keys, which the stored keys table was built with)."""
    if [c.name for c in model.comparisons] != [c.name for c in rules.comparisons]:
        return False
    if any(len(p.levels) != len(c.levels) for p, c in zip(model.comparisons, rules.comparisons)):
        return False
    return payload_keys is None or payload_keys == [key.name for key in rules.blocking.keys]


def needs_bulk(session: Session, domain: str, rules: MatchRules) -> str | None:
    """Why the next ``match_domain`` (without ``retrain``) would be a bulk run, or None."""
    stored = load_model(session, domain)
    if stored is None:
        return "no match model has been trained yet"
    if not model_fits(stored[0], rules, _model_keys(session, domain)):
        return "the match rules changed their comparisons or blocking keys since the model was trained"
    return None


def check_incremental(session: Session, domain: str, rules: MatchRules, max_bulk: int) -> None:
    """Raise ``MatchModelOutdated`` when matching would be a bulk run over more
    than ``max_bulk`` live records (the API calls this before storing anything)."""
    reason = needs_bulk(session, domain, rules)
    if reason is None:
        return
    live = session.scalar(
        select(func.count()).select_from(SourceRecord).where(SourceRecord.domain == domain, SourceRecord.deleted.is_(False))
    )
    if live > max_bulk:
        raise MatchModelOutdated(
            f"{domain}: {reason}; matching would re-match all {live:,} records. Run `mdm match --domain {domain} --retrain` first"
        )


def match_domain(
    session: Session,
    domain: str,
    rules: MatchRules,
    *,
    now: datetime,
    retrain: bool = False,
    correlation_id: str | None = None,
    survivorship: SurvivorshipRules | None = None,
    max_bulk: int | None = None,
) -> MatchReport:
    """Match what is pending in one domain and write the outcome; commits.

    A bulk run (features, EM, every record) happens on ``retrain``, when no
    model is stored yet, or when the rules changed in a way the stored model
    cannot score (other comparisons, levels or blocking keys). Any other rules
    change is scored with the stored model (``MatchReport.stale_model``) until
    an explicit retrain. ``max_bulk`` (the API sets it) refuses a bulk run
    over more live records with ``MatchModelOutdated``.
    ``survivorship`` defaults to the rules in MDM_RULES_DIR."""
    if survivorship is None:
        survivorship = load_survivorship_rules(current_settings().rules_dir, domain)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    pending, removed = pending_records(session, domain)
    stored = load_model(session, domain)
    digest = rules_hash(rules)
    bulk = retrain or stored is None or not model_fits(stored[0], rules, _model_keys(session, domain))
    if not bulk and not pending and not removed:
        return MatchReport(domain, "nothing")
    if bulk and max_bulk is not None and not retrain:
        check_incremental(session, domain, rules, max_bulk)
    if not bulk:
        stale = stored[2] != digest
        if stale and _STALE_WARNED.get(domain) != digest:
            _STALE_WARNED[domain] = digest
            log.warning("%s: the match rules changed since the model was trained; scoring with the stored model "
                        "until `mdm match --domain %s --retrain`", domain, domain, extra={"domain": domain})
        report = _match_incremental(
            session, domain, rules, stored[0], stored[1], pending, removed, now=now, correlation_id=correlation_id,
            survivorship=survivorship, timings=timings, start=start,
        )
        report.stale_model = stale
        return report
    journal = rollback_journal(session) if _takes_the_store(session, domain, pending) else nullcontext()
    with cycles_between_stages(), foreign_keys_unchecked(session), unmapped(session), journal:
        return _match_bulk(session, domain, rules, pending, removed, digest, now=now, correlation_id=correlation_id,
                           survivorship=survivorship, timings=timings, start=start)


def _match_bulk(
    session: Session, domain: str, rules: MatchRules, pending: list[int], removed: list[int], digest: str, *,
    now: datetime, correlation_id: str | None, survivorship: SurvivorshipRules, timings: dict[str, float],
    start: float,
) -> MatchReport:
    frame = prepare(current_records(session, domain), rules)
    affected = frame
    tf = term_frequencies(frame, rules)
    timings["read"] = time.perf_counter() - start
    if affected.empty:
        stats = apply_clusters(
            session, domain, affected, pd.Series(dtype="int64"), now=now, removed=removed,
            correlation_id=correlation_id, survivorship=survivorship,
        )
        _finish(session, domain, pending, removed, affected, rules, True)
        session.commit()
        return MatchReport(domain, "bulk", golden=stats, timings=timings)

    cl = standing_cannot_links(session, domain, rules, affected)
    result = match_frame(affected, rules, model=None, cannot_link=(cl if cl[0] else None), tf_tables=tf,
                         hash_keys=domain)
    labels = apply_must_links(result.labels, must_link_pairs(session, affected.index.tolist()), cl)
    timings.update(result.timings)
    save_model(session, domain, result.model, tf, digest, now, rules)

    mark = time.perf_counter()
    decided = _decided_by(result.pairs, labels)
    review = _review_pairs(result, labels)
    n_pairs, blocking, keys, hashed = len(result.pairs), result.blocking, result.keys, result.key_rows
    # Writing golden records needs the source fields only: drop the scored
    # pairs and the match features first (gigabytes at a million records).
    del result
    affected = frame = affected[[c for c in affected.columns if c in _SOURCE_COLUMNS[domain]]]
    gc.collect()
    release_free_heap()
    # The review candidates, the matched marks and the keys are written by the parent
    # between slices of golden records, while workers build the next.
    written: dict[str, int] = {}
    stats = apply_clusters(
        session, domain, affected, labels, now=now, removed=removed, decided_by=decided,
        correlation_id=correlation_id, whole_domain=True, survivorship=survivorship,
        alongside=partial(_bulk_writes, session, domain, review, set(zip(*cl)), now, pending, removed, affected, rules,
                          keys, hashed, written),
    )
    n_review = written["review"]
    timings["write"] = time.perf_counter() - mark
    mark = time.perf_counter()
    # On SQLite in WAL mode this copies the run's WAL into the database file (6.6-8 s at 1M, up to
    # 26 s on slower machines); a store the run has to itself skips that (``rollback_journal``).
    session.commit()
    timings["commit"] = time.perf_counter() - mark
    mark = time.perf_counter()
    refresh_statistics(session, BULK_TABLES)
    session.commit()
    timings["analyze"] = time.perf_counter() - mark
    return MatchReport(
        domain, "bulk", records=len(affected), affected=len(affected),
        pairs=n_pairs, review=n_review, golden=stats, blocking=blocking, timings=timings,
    )


def _takes_the_store(session: Session, domain: str, pending: list[int]) -> bool:
    """Whether a bulk run is large enough to write under a rollback journal (SQLite only): its pending
    records, or the domain's live records a retrain re-matches, reach ``ROLLBACK_JOURNAL_RECORDS``."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    if len(pending) >= ROLLBACK_JOURNAL_RECORDS:
        return True
    live = session.scalar(select(func.count()).select_from(SourceRecord).where(
        SourceRecord.domain == domain, SourceRecord.deleted.is_(False)))
    return live >= ROLLBACK_JOURNAL_RECORDS


_STALE_WARNED: dict[str, str] = {}


def _model_keys(session: Session, domain: str) -> list[str] | None:
    """Blocking key names the stored model's keys table was built with (None: not recorded)."""
    cached = _MODELS.get(domain)
    return None if cached is None else cached[2]


def _match_incremental(
    session: Session, domain: str, rules: MatchRules, model: MatchModel, tf: dict[str, pd.Series],
    pending: list[int], removed: list[int], *, now: datetime, correlation_id: str | None,
    survivorship: SurvivorshipRules, timings: dict[str, float], start: float,
) -> MatchReport:
    """Match the pending records against the store with the stored model.

    1. The pending records' blocking keys find their neighbours in the keys
       table; a block the store already fills to its limit is skipped, as the
       bulk run skips it.
    2. Each pending record is scored against its neighbours (and the other
       pending records in its blocks): only these pairs are new.
    3. The records a pending record may join (its strong matches: above the
       auto-merge threshold, not vetoed, not ruled out by a steward), the
       golden records they and the pending and removed records belong to, and
       must-link partners form the *core*; the core is re-clustered whole with
       every pair among it, exactly as a bulk run clusters it. Neighbours
       below the threshold keep their golden records; pairs with them in the
       review band go to the review queue.
    4. Only clusters that differ from a stored golden record (other members,
       or a pending member) are written."""
    on_weight = rules.thresholds.scale == "weight"
    any_cannot, any_must = links_present(session)
    fresh = prepared_records(session, domain, rules, pending) if pending else None
    pending = [] if fresh is None else fresh.index.tolist()  # a pending id may have no live version
    keys = blocking_keys(fresh, rules) if fresh is not None and len(fresh) else None
    left, right, lookups = pending_pairs(session, domain, rules, keys, pending)
    neighbours = sorted((set(left.tolist()) | set(right.tolist())) - set(pending))
    frame = fresh
    if neighbours:
        # The pending rows read again with their neighbours: one frame in id order costs less than a concat.
        frame = prepared_records(session, domain, rules, sorted(set(pending) | set(neighbours)))
    timings["read"] = time.perf_counter() - start

    mark = time.perf_counter()
    strong_ids: set[int] = set()
    first = None
    if len(left):
        levels = comparison_levels(frame, left, right, rules)
        weight, prob = score(levels, model, pair_frequencies(frame, left, rules, tf))
        veto = vetoed(levels, rules)
        barred = _barred(session, domain, rules, frame, left, right) if any_cannot else np.zeros(len(left), bool)
        value = weight if on_weight else prob
        strong = (value >= rules.thresholds.auto_merge) & ~veto & ~barred
        strong_ids = set(left[strong].tolist()) | set(right[strong].tolist())
        first = (left, right, levels, weight, prob, value, veto, barred)
    timings["compare"] = time.perf_counter() - mark

    mark = time.perf_counter()
    seeds = set(pending) | strong_ids | set(removed)
    if any_must:
        seeds |= {r for pair in must_link_pairs(session, sorted(seeds)) for r in pair}
    linked = current_xref(session, domain, sorted(seeds))
    # Every member of the golden records the seeds belong to, with its xref row (read once, for apply_clusters too).
    known = KnownLinks(frozenset(linked.values()), member_xref_rows(session, sorted(set(linked.values()))))
    previous = known.members()
    core = sorted((seeds | {rid for rids in previous.values() for rid in rids}) - set(removed))
    missing = [rid for rid in core if frame is None or rid not in frame.index]
    if missing:
        extra = prepared_records(session, domain, rules, missing)
        frame = extra if frame is None or frame.empty else pd.concat([frame, extra])
    if frame is None:
        frame = prepare(current_records(session, domain, []), rules)
    at = frame.index.get_indexer(core)  # core is sorted: so are its rows
    core_frame = frame.take(at[at >= 0])
    timings["read"] += time.perf_counter() - mark

    if core_frame.empty:
        stats = apply_clusters(
            session, domain, core_frame, pd.Series(dtype="int64"), now=now, removed=removed,
            correlation_id=correlation_id, survivorship=survivorship,
        )
        _finish(session, domain, pending, removed, core_frame, rules, False, keys)
        session.commit()
        return MatchReport(domain, "incremental", golden=stats, timings=timings)

    if len(core_frame) == 1:
        # A record that joins nobody (and left nobody): its own cluster, nothing to compare.
        cl, result = ([], []), None
        labels = pd.Series(core_frame.index.to_numpy(np.int64), index=core_frame.index, name="cluster")
    else:
        cl = standing_cannot_links(session, domain, rules, core_frame) if any_cannot else ([], [])
        result = match_frame(core_frame, rules, model=model, cannot_link=(cl if cl[0] else None), tf_tables=tf)
        if any_must:
            labels = apply_must_links(result.labels, must_link_pairs(session, core_frame.index.tolist()), cl)
        else:
            labels = result.labels
        timings.update({k: timings.get(k, 0.0) + v for k, v in result.timings.items()})

    mark = time.perf_counter()
    # Write only what changed: clusters with a pending member or other members than their golden record.
    member_sets = {gid: frozenset(rids) for gid, rids in previous.items()}
    golden_of = {rid: gid for gid, rids in previous.items() for rid in rids}
    changed_pending = set(pending)
    # A core is a handful of records: grouped in plain Python, not by pandas' groupby.
    groups: dict = {}
    for rid, label in zip(labels.index.tolist(), labels.tolist()):
        groups.setdefault(label, []).append(rid)
    write_labels = {
        label for label, ids in groups.items() if _cluster_changed(ids, changed_pending, golden_of, member_sets)}
    if len(write_labels) == len(groups):
        keep = labels
    else:
        keep = labels[np.fromiter((label in write_labels for label in labels.tolist()), bool, len(labels))]
    # Usually every cluster of the core is written: then no copy of its rows.
    whole = len(keep) == len(core_frame) and keep.index.equals(core_frame.index)
    written = core_frame if whole else core_frame.loc[keep.index]
    kept = set(keep.index.tolist())
    decided = {} if result is None else {rid: v for rid, v in _decided_by(result.pairs, labels).items() if rid in kept}
    stats = apply_clusters(
        session, domain, written, keep, now=now, removed=removed, decided_by=decided,
        correlation_id=correlation_id, survivorship=survivorship, known=known,
    )
    rows = [] if result is None else [
        r for batch in _review_rows(domain, _review_pairs(result, labels), set(zip(*cl)), now) for r in batch]
    if first is not None:
        rows += _outside_review_rows(domain, rules, model, first, set(core), now)
    n_review = _store_review(session, domain, rows, set(pending) | set(removed), set(core), now)
    _finish(session, domain, pending, removed, core_frame, rules, False, keys)
    timings["write"] = time.perf_counter() - mark
    mark = time.perf_counter()
    session.commit()
    timings["commit"] = time.perf_counter() - mark
    return MatchReport(
        domain, "incremental", records=len(pending), affected=len(core_frame),
        pairs=(0 if result is None else len(result.pairs)) + (0 if first is None else len(first[0])), review=n_review, golden=stats,
        blocking={"lookups": lookups, "neighbours": len(neighbours), "core": len(core_frame)}, timings=timings,
    )


def _cluster_changed(ids: list[int], pending: set[int], linked: dict[int, str], member_sets: dict[str, frozenset]) -> bool:
    if any(r in pending for r in ids):
        return True
    goldens = {linked.get(r) for r in ids}
    if len(goldens) != 1 or None in goldens:
        return True
    return member_sets.get(next(iter(goldens))) != frozenset(ids)


def _barred(session, domain, rules, frame, left, right) -> np.ndarray:
    """bool per pair: a standing cannot-link (a steward's not-a-match)."""
    touching = standing_cannot_links(session, domain, rules, frame)
    if not touching[0]:
        return np.zeros(len(left), dtype=bool)
    barred = {(min(a, b), max(a, b)) for a, b in zip(*touching)}
    return np.fromiter(((a, b) in barred for a, b in zip(left.tolist(), right.tolist())), bool, len(left))


SMALL_LABELS = 256
_NO_LABEL = object()


def _decided_by(pairs: pd.DataFrame, labels: pd.Series) -> dict[int, tuple[str, float | None]]:
    """For records in multi-member clusters: the best probability that joined them."""
    left, right = pairs["left"].to_numpy(np.int64), pairs["right"].to_numpy(np.int64)
    if len(labels) <= SMALL_LABELS:
        # An incremental core: a dict lookup per pair costs less than two reindexes.
        label_of = dict(zip(labels.index.tolist(), labels.tolist()))
        same = np.fromiter((label_of.get(a, _NO_LABEL) == label_of.get(b, _NO_LABEL) and a in label_of
                            for a, b in zip(left.tolist(), right.tolist())), dtype=bool, count=len(left))
    else:
        same = labels.reindex(left).to_numpy() == labels.reindex(right).to_numpy()
    if not same.any():
        return {}
    rid = np.r_[left[same], right[same]]
    prob = np.tile(pairs["match_probability"].to_numpy(np.float64)[same], 2)
    # Highest probability first per record, then the first row of each record.
    order = np.lexsort((-prob, rid))
    rid, prob = rid[order], prob[order]
    first = np.r_[True, rid[1:] != rid[:-1]]
    return {int(r): ("auto", float(p)) for r, p in zip(rid[first].tolist(), prob[first].tolist())}


def _write_review(session, domain, pairs: ReviewPairs, barred: set, now) -> int:
    """Store review-band pairs between different clusters as match candidates.

    A bulk run re-decides every record of the domain: its pending candidates are
    replaced by this run's view (one statement, not one per thousand records;
    a pair of records both deleted since has nothing left to review either)."""
    session.execute(
        update(MatchCandidate)
        .where(MatchCandidate.domain == domain, MatchCandidate.status == "pending", MatchCandidate.kind == "match")
        .values(status="superseded", decided_at=now)
    )
    # The domain's stored pairs, read once: looked up per batch, each lookup
    # would run against a table this loop keeps growing (on PostgreSQL with
    # statistics from before the run: a scan per lookup, seconds each at 1M).
    existing = {
        (left, right) for left, right in session.execute(
            select(MatchCandidate.left_record_id, MatchCandidate.right_record_id).where(MatchCandidate.domain == domain)
        )
    }
    # Stored a batch at a time: a million-record run has hundreds of
    # thousands of review pairs, each with its explanation.
    stored = 0
    for rows in _review_rows(domain, pairs, barred, now):
        stored += _store_review(session, domain, rows, None, set(), now, existing=existing)
    return stored


class ReviewPairs(NamedTuple):
    """A run's review-band pairs still between clusters, lo < hi, with their scores and levels:
    all that storing them needs, so the run's scored pairs can be dropped first."""

    lo: np.ndarray
    hi: np.ndarray
    weight: np.ndarray
    probability: np.ndarray
    levels: np.ndarray
    model: MatchModel


def _review_pairs(result, labels: pd.Series) -> ReviewPairs:
    review = result.clusters.review
    if review.empty:
        empty = np.zeros(0, dtype=np.int64)
        return ReviewPairs(empty, empty, np.zeros(0), np.zeros(0), result.levels[:0], result.model)
    lo = np.minimum(review["left"].to_numpy(np.int64), review["right"].to_numpy(np.int64))
    hi = np.maximum(review["left"].to_numpy(np.int64), review["right"].to_numpy(np.int64))
    index = pair_rows(result.pairs["left"].to_numpy(np.int64), result.pairs["right"].to_numpy(np.int64), lo, hi)
    # Settled already: merged by a steward's must-link, or ruled out by a cannot-link.
    apart = labels.reindex(lo).to_numpy() != labels.reindex(hi).to_numpy()
    keep = np.flatnonzero((index >= 0) & apart)
    rows = index[keep]
    return ReviewPairs(lo[keep], hi[keep], result.pairs["match_weight"].to_numpy()[rows],
                       result.pairs["match_probability"].to_numpy()[rows], result.levels[rows], result.model)


def _review_rows(domain, pairs: ReviewPairs, barred: set, now, batch: int = 20000):
    """Batches of match-candidate rows for the review pairs (but those ``barred``)."""
    explained = _Explanations(pairs.model)
    for start in range(0, len(pairs.lo), batch):
        rows = []
        for j in range(start, min(start + batch, len(pairs.lo))):
            pair = (int(pairs.lo[j]), int(pairs.hi[j]))
            if pair not in barred:
                rows.append(_candidate(domain, pair[0], pair[1], float(pairs.weight[j]), float(pairs.probability[j]),
                                       pairs.levels[j], pairs.model, now, explained))
        yield rows


class _Explanations:
    """A review pair's explanation depends only on the levels it hit: built once per
    distinct levels row (hundreds of thousands of review pairs share a few thousand),
    and the same dict shared by those pairs, so it is also encoded once."""

    def __init__(self, model: MatchModel):
        self.model = model
        self._seen: dict[bytes, dict] = {}

    def __call__(self, levels_row) -> dict:
        key = np.asarray(levels_row, dtype=np.int8).tobytes()
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = {"levels": explain(levels_row, self.model)}
        return found


def _outside_review_rows(domain, rules, model, scored, core: set[int], now) -> list[dict]:
    """Review-band pairs of a pending record with a neighbour outside the core
    (which keeps its golden record, so the two are in different clusters)."""
    left, right, levels, weight, prob, value, veto, barred = scored
    outside = ~(np.isin(left, list(core)) & np.isin(right, list(core)))
    strong = (value >= rules.thresholds.auto_merge) & ~veto & ~barred
    review = outside & ~barred & ~strong & (value >= rules.thresholds.review)
    return [_candidate(domain, int(left[i]), int(right[i]), float(weight[i]), float(prob[i]), levels[i], model, now)
            for i in np.flatnonzero(review)]


def _candidate(domain, lo, hi, weight, prob, levels_row, model, now, explained: _Explanations | None = None) -> dict:
    explanation = explained(levels_row) if explained is not None else {"levels": explain(levels_row, model)}
    return {"domain": domain, "kind": "match", "left_record_id": lo, "right_record_id": hi, "match_weight": weight,
            "match_probability": prob, "explanation": explanation, "status": "pending", "created_at": now}


CANDIDATE_COLUMNS = ("domain", "kind", "left_record_id", "right_record_id", "match_weight", "match_probability",
                     "explanation", "status", "created_at")


def _insert_candidates(session, rows: list[dict], now) -> None:
    """New match candidates as plain tuples (executemany / COPY), each distinct explanation encoded once."""
    stamp = plain_value(session, MatchCandidate.__table__.c.created_at, now)
    encoded: dict[int, str] = {}
    plain = []
    for r in rows:
        explanation = r["explanation"]
        text = encoded.get(id(explanation))
        if text is None:
            text = encoded[id(explanation)] = jsonenc.encode(explanation)
        plain.append((r["domain"], r["kind"], r["left_record_id"], r["right_record_id"], r["match_weight"],
                      r["match_probability"], text, r["status"], stamp))
    for start in range(0, len(plain), WRITE_CHUNK):
        insert_plain(session, MatchCandidate, CANDIDATE_COLUMNS, plain[start : start + WRITE_CHUNK])


def _store_review(
    session, domain, rows: list[dict], touching: set[int] | None, among: set[int], now,
    existing: set[tuple[int, int]] | None = None,
) -> int:
    """Supersede the pending candidates this run re-decided, then store ``rows``.

    Re-decided: a pair with a record in ``touching``, or both records in
    ``among`` (``touching`` None: the caller superseded them already). A
    pending candidate ``rows`` repeats as it stands (same score and
    explanation) is left as it is.
    ``existing``: the domain's stored (left, right) pairs when the caller
    has them (kept up to date here); else they are looked up for ``rows``."""
    ids = [] if touching is None else sorted(touching | among)
    pending: dict[tuple[int, int], tuple] = {}  # (left, right) -> (id, weight, probability, explanation)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        # Looked up by record (indexed), filtered here: the status index would scan every pending pair.
        for cid, lo, hi, status, kind, *stored in session.connection().execute(
                ids_statement(session, _CANDIDATES_OF), {"ids": chunk}):
            if status == "pending" and kind == "match" and (lo in touching or hi in touching or (lo in among and hi in among)):
                pending[(lo, hi)] = (cid, *stored)
    keys = {(r["left_record_id"], r["right_record_id"]) for r in rows}
    if pending and rows:
        # A pair re-decided as it stands (re-clustering a large golden record re-decides all its
        # pairs, most of them unchanged) keeps its row: not superseded and queued again.
        rows = [r for r in rows if not _same_candidate(r, pending)]
    stale = sorted(cid for cid, *_ in pending.values())
    for start in range(0, len(stale), CHUNK):
        # Built here, with the ids as literals: candidates a steward action loaded are updated in the session too.
        session.execute(
            update(MatchCandidate).where(MatchCandidate.id.in_(stale[start : start + CHUNK]))
            .values(status="superseded", decided_at=now)
        )
    if not rows:
        if existing is not None:
            existing |= keys
        return len(keys)
    if existing is None:
        existing = set()
        for start in range(0, len(rows), CHUNK):
            lefts = [r["left_record_id"] for r in rows[start : start + CHUNK]]
            existing.update(session.connection().execute(ids_statement(session, _STORED_PAIRS), {"domain": domain, "lefts": lefts}).all())
    fresh = [r for r in rows if (r["left_record_id"], r["right_record_id"]) not in existing]
    again = [r for r in rows if (r["left_record_id"], r["right_record_id"]) in existing]
    _insert_candidates(session, fresh, now)
    existing |= keys
    if again:
        # A pair seen before returns to the queue only if no steward settled it. One executemany:
        # re-clustering a large golden record re-decides hundreds of pairs.
        table = MatchCandidate.__table__
        session.connection().execute(
            update(table)
            .where(table.c.domain == bindparam("b_domain"), table.c.left_record_id == bindparam("b_left"),
                   table.c.right_record_id == bindparam("b_right"),
                   or_(table.c.status == "pending", table.c.status == "superseded"))  # no IN: executemany
            .values(status="pending", match_weight=bindparam("b_weight"), match_probability=bindparam("b_prob"),
                    explanation=bindparam("b_explanation", type_=table.c.explanation.type), decided_at=None),
            [{"b_domain": domain, "b_left": r["left_record_id"], "b_right": r["right_record_id"],
              "b_weight": r["match_weight"], "b_prob": r["match_probability"], "b_explanation": r["explanation"]}
             for r in again],
        )
    return len(keys)


def _same_candidate(row: dict, pending: dict[tuple[int, int], tuple]) -> bool:
    """Whether ``row`` is its pair's pending candidate as stored (which then leaves ``pending``)."""
    pair = (row["left_record_id"], row["right_record_id"])
    stored = pending.get(pair)
    if stored is None or stored[1:] != (row["match_weight"], row["match_probability"], row["explanation"]):
        return False
    del pending[pair]
    return True


def _finish(
    session, domain, pending: list[int], removed: list[int], frame: pd.DataFrame, rules, bulk: bool,
    pending_keys: pd.DataFrame | None = None,
) -> None:
    """Refresh blocking keys of re-matched records and mark them matched."""
    for _ in _key_writes(session, domain, pending, removed, frame, rules, bulk, pending_keys):
        pass
    _mark_matched(session, pending, removed, bulk=bulk)


def _bulk_writes(session, domain, review: ReviewPairs, barred: set, now, pending: list[int], removed: list[int],
                 frame: pd.DataFrame, rules, keys: pd.DataFrame, hashed: Future | None, written: dict[str, int],
                 steps: int) -> Iterator[None]:
    """A bulk run's writes besides its golden records, in about ``steps`` parts (``apply_clusters(alongside=...)``).

    The review candidates and the matched marks come first: the parent writes them while the build
    workers start on the first slices, instead of alone before them. Then the blocking keys
    (``hashed``: their rows, when ``match_frame`` hashed them already). ``written["review"]``: how many
    review pairs were stored."""
    written["review"] = _write_review(session, domain, review, barred, now)
    yield
    _mark_matched(session, pending, removed, bulk=True)
    yield
    yield from _key_writes(session, domain, pending, removed, frame, rules, True, keys, max(steps - 2, 1),
                           hashed=hashed)


def _key_writes(
    session, domain, pending: list[int], removed: list[int], frame: pd.DataFrame, rules, bulk: bool,
    pending_keys: pd.DataFrame | None = None, steps: int = 1, hashed: Future | None = None,
) -> Iterator[None]:
    """The blocking-key refresh of ``_finish`` in about ``steps`` parts, pausing after each.

    A bulk run's parent writes them between slices of golden records (``apply_clusters(alongside=...)``):
    while it does, the build workers go on with the next slices, instead of the parent writing
    6.7M keys (at a million records) alone after the golden records. Exhausting it ends the refresh
    (a bulk run's index is built then); closing it early leaves the rest to the transaction's rollback."""
    with indexes_rebuilt(session, BlockingKey, rebuild=bulk and len(frame) >= REBUILD_KEY_INDEXES):
        if bulk:
            session.execute(_DROP_DOMAIN_KEYS, {"domain": domain})
            refresh = frame
        else:
            ids = [*pending, *removed]
            for start in range(0, len(ids), CHUNK):
                session.connection().execute(ids_statement(session, _DROP_KEYS), {"ids": ids[start : start + CHUNK]})
            # The pending records' keys were worked out to find their neighbours: no need to slice the frame.
            refresh = frame if pending_keys is not None else frame.loc[frame.index.intersection(pending)]
        if len(refresh):
            keys = pending_keys if pending_keys is not None else blocking_keys(refresh, rules)
            # In the table's key order (a bulk insert appends), a batch at a time.
            hashes, ids = hashed.result() if hashed is not None else key_rows(domain, keys)
            part = max(-(-len(hashes) // max(steps, 1)), 1)
            for first in range(0, len(hashes), part):
                for start in range(first, min(first + part, len(hashes)), KEY_WRITE_CHUNK):
                    end = min(start + KEY_WRITE_CHUNK, first + part)
                    insert_int_pairs(session, BlockingKey, ("key_hash", "record_id"), hashes[start:end], ids[start:end])
                yield


def _mark_matched(session, pending: list[int], removed: list[int], bulk: bool = False) -> None:
    done = [*pending, *removed]
    if len(done) >= JSON_MARKS and session.get_bind().dialect.name == "sqlite":
        # A bulk run of most of the store's records builds its two matched-version indexes
        # again after (one sort each) rather than update them a row at a time.
        with indexes_rebuilt(session, SourceRecord, rebuild=bulk and rebuild_pays(session, SourceRecord, len(done)),
                             only=_MARK_INDEXES):
            update_ids(session, SourceRecord, "matched_version = version", done)
        return
    for start in range(0, len(done), CHUNK):
        session.connection().execute(ids_statement(session, _MARK_MATCHED), {"ids": done[start : start + CHUNK]})
