"""Steward constraints on matching: must-links (merge) and cannot-links
(not-a-match), and re-matching the records a decision touches."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pandas as pd
from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.orm import Session

from mdm.match.rules import MatchRules
from mdm.resolve.frames import current_records
from mdm.store.tables import CannotLink, MustLink, SourceRecord

CHUNK = 900
# Above this many records, links are read whole rather than by id (see ``_pairs_touching``).
WHOLE_TABLE_IDS = 4 * CHUNK


def compared_fields(rules: MatchRules) -> list[str]:
    """Canonical fields the rules compare (directly or through features)."""
    columns: set[str] = set()
    for comparison in rules.comparisons:
        for column in {comparison.field, *(level.column for level in comparison.levels if level.column)}:
            columns |= rules.source_fields(column)
    return sorted(columns)


def compared_hash(record: pd.Series | dict, columns: list[str]) -> str:
    values = {c: (None if pd.isna(v) else v) if not isinstance(v, (list, dict)) else v
              for c in columns for v in [record.get(c)]}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def add_cannot_link(session: Session, domain: str, a: int, b: int, rules: MatchRules, *, now: datetime,
                    decision_id: int | None = None) -> None:
    left, right = ordered(a, b)
    frame = current_records(session, domain, [left, right])
    columns = compared_fields(rules)
    session.execute(delete(CannotLink).where(CannotLink.left_record_id == left, CannotLink.right_record_id == right))
    session.execute(delete(MustLink).where(MustLink.left_record_id == left, MustLink.right_record_id == right))
    session.add(CannotLink(
        left_record_id=left, right_record_id=right, left_hash=compared_hash(frame.loc[left], columns),
        right_hash=compared_hash(frame.loc[right], columns), decision_id=decision_id, created_at=now,
    ))


def add_must_link(session: Session, a: int, b: int, *, now: datetime, decision_id: int | None = None) -> None:
    left, right = ordered(a, b)
    session.execute(delete(CannotLink).where(CannotLink.left_record_id == left, CannotLink.right_record_id == right))
    if session.get(MustLink, (left, right)) is None:
        session.add(MustLink(left_record_id=left, right_record_id=right, decision_id=decision_id, created_at=now))


def remove_links(session: Session, decision_id: int) -> list[int]:
    """Drop the links a decision made (its undo); returns the records involved."""
    records: set[int] = set()
    for table in (CannotLink, MustLink):
        rows = session.execute(select(table.left_record_id, table.right_record_id).where(table.decision_id == decision_id)).all()
        records.update(r for pair in rows for r in pair)
        session.execute(delete(table).where(table.decision_id == decision_id))
    return sorted(records)


def links_present(session: Session) -> tuple[bool, bool]:
    """Whether any cannot-link, and any must-link, exists at all. Most stores
    have few or none: then a run skips looking them up per record."""
    cannot, must = session.connection().execute(_ANY_LINKS).one()
    return bool(cannot), bool(must)


_ANY_LINKS = text(
    f"SELECT EXISTS (SELECT 1 FROM {CannotLink.__tablename__}), EXISTS (SELECT 1 FROM {MustLink.__tablename__})"
)


def standing_cannot_links(session: Session, domain: str, rules: MatchRules, frame: pd.DataFrame) -> tuple[list[int], list[int]]:
    """Cannot-link pairs among ``frame``'s records whose compared fields are
    unchanged since the steward decided; a changed record may be proposed again."""
    ids = frame.index.tolist()
    rows = _pairs_touching(session, CannotLink, ids, extra=(CannotLink.left_hash, CannotLink.right_hash))
    columns = compared_fields(rules)
    left, right = [], []
    present = set(ids)
    for a, b, ha, hb in rows:
        if a in present and b in present and compared_hash(frame.loc[a], columns) == ha and compared_hash(frame.loc[b], columns) == hb:
            left.append(a)
            right.append(b)
    return left, right


def must_link_pairs(session: Session, record_ids: list[int]) -> list[tuple[int, int]]:
    return [(a, b) for a, b in _pairs_touching(session, MustLink, record_ids)]


def _pairs_touching(session: Session, table, ids: list[int], extra: tuple = ()) -> list[tuple]:
    columns = (table.left_record_id, table.right_record_id, *extra)
    if len(ids) > WHOLE_TABLE_IDS:
        # A bulk run asks about every record: links are steward decisions, few next to the records,
        # so one read of the table beats a thousand OR-ed IN lists (about 6 ms each to build and run).
        wanted = set(ids)
        return sorted({tuple(row) for row in session.execute(select(*columns))
                       if row[0] in wanted or row[1] in wanted})
    found: set[tuple] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found.update(
            session.execute(
                select(*columns).where(or_(table.left_record_id.in_(chunk), table.right_record_id.in_(chunk)))
            ).all()
        )
    return sorted(found)


def apply_must_links(labels: pd.Series, pairs: list[tuple[int, int]], cannot: tuple[list[int], list[int]]) -> pd.Series:
    """Join the clusters of must-linked records, unless that would put a
    standing cannot-link pair in one cluster. Labels stay the smallest member id."""
    pairs = [(a, b) for a, b in pairs if a in labels.index and b in labels.index]
    if not pairs:
        return labels
    barred = set(zip(*cannot)) if cannot[0] else set()
    # Only the clusters the links touch are regrouped; the rest keep their labels.
    involved = {labels[r] for pair in pairs for r in pair}
    groups = {label: set(ids) for label, ids in labels[labels.isin(involved)].groupby(labels).groups.items()}
    group_of = {label: label for label in groups}

    def find(label):
        while group_of[label] != label:
            label = group_of[label]
        return label

    for a, b in pairs:
        ga, gb = find(labels[a]), find(labels[b])
        if ga == gb or any(ordered(x, y) in barred for x in groups[ga] for y in groups[gb]):
            continue
        keep, drop = min(ga, gb), max(ga, gb)
        groups[keep] |= groups.pop(drop)
        group_of[drop] = keep
    out = labels.copy()
    for members in groups.values():
        out[list(members)] = min(members)
    return out.astype("int64")


def mark_for_rematch(session: Session, record_ids: list[int]) -> None:
    """Make records pending so the next match run re-decides them."""
    for start in range(0, len(record_ids), CHUNK):
        session.execute(
            update(SourceRecord).where(SourceRecord.id.in_(record_ids[start : start + CHUNK])).values(matched_version=None)
        )
