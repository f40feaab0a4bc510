"""An incremental run that re-decides review pairs writes only the ones that changed."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import event, select

import mdm.resolve.run as run
from mdm.store.tables import MatchCandidate
from test_match_store import load_and_match

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def _pending_pairs(session, n: int) -> list[MatchCandidate]:
    return session.scalars(select(MatchCandidate).where(MatchCandidate.status == "pending", MatchCandidate.kind == "match")
                           .order_by(MatchCandidate.id).limit(n)).all()


def _row(candidate: MatchCandidate, **changes) -> dict:
    row = {"domain": candidate.domain, "kind": "match", "left_record_id": candidate.left_record_id,
           "right_record_id": candidate.right_record_id, "match_weight": candidate.match_weight,
           "match_probability": candidate.match_probability, "explanation": candidate.explanation,
           "status": "pending", "created_at": NOW}
    row.update(changes)
    return row


def _candidate_writes(store) -> list[int]:
    """Rows each later write to the match candidates changed (the driver's row count)."""
    seen: list[int] = []

    @event.listens_for(store.engine, "after_cursor_execute")
    def spy(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("UPDATE MATCH_CANDIDATE", "INSERT INTO MATCH_CANDIDATE")):
            seen.append(cursor.rowcount)

    return seen


def test_a_pair_re_decided_as_it_stands_keeps_its_row_and_the_others_are_rewritten(store):
    load_and_match(store)
    with store.session() as s:
        same, changed, dropped = _pending_pairs(s, 3)
        ids = {c.id for c in (same, changed, dropped)}
        weight = changed.match_weight
        rows = [_row(same), _row(changed, match_weight=changed.match_weight + 1.0)]
        touching = {same.left_record_id, changed.left_record_id, dropped.left_record_id}
        writes = _candidate_writes(store)
        stored = run._store_review(s, "customer", rows, touching, set(), NOW)
        s.commit()
        assert stored == 2
        after = {c.id: c for c in s.scalars(select(MatchCandidate).where(MatchCandidate.id.in_(ids))
                                             .execution_options(populate_existing=True))}
    # Superseded: the pair no longer proposed and the changed one, which then goes back in the
    # queue with its new score; the unchanged pair's row is not written at all (before: [3, 2]).
    assert writes == [2, 1]
    assert after[same.id].status == "pending" and after[same.id].decided_at is None
    assert after[changed.id].status == "pending" and after[changed.id].match_weight == weight + 1.0
    assert after[dropped.id].status == "superseded"
    assert len(after) == 3  # no new rows: the changed pair was updated in place


def test_with_nothing_unchanged_every_re_decided_pair_is_superseded_and_queued_again(store):
    load_and_match(store)
    with store.session() as s:
        (candidate,) = _pending_pairs(s, 1)
        writes = _candidate_writes(store)
        run._store_review(s, "customer", [_row(candidate, match_probability=0.5)], {candidate.left_record_id}, set(), NOW)
        s.commit()
        after = s.scalars(select(MatchCandidate).where(MatchCandidate.id == candidate.id)
                          .execution_options(populate_existing=True)).one()
    assert writes == [1, 1]  # superseded, then back in the queue with its new score
    assert after.status == "pending" and after.match_probability == 0.5
