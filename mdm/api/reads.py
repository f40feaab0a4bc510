"""Read queries of the API: plain functions of a session, batched by key
so the per-request DataLoaders turn N lookups into one statement."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, exists, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from mdm.store.tables import (
    GoldenAlias,
    GoldenRecord,
    GoldenRecordVersion,
    MatchCandidate,
    SourceRecord,
    SourceRecordVersion,
    Xref,
)

CHUNK = 900
# Price attributes that point at an item / customer golden record.
PRICE_REFERENCES = {"item": "item_id", "customer": "customer_id"}


@dataclass(frozen=True)
class Resolved:
    """A golden record and, when it was asked for by a retired id, that id."""

    row: GoldenRecord
    resolved_from: str | None = None


@dataclass(frozen=True)
class MemberRecord:
    record: SourceRecord
    current: SourceRecordVersion
    xref: Xref


def as_utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def golden_by_ids(session: Session, ids: list[str]) -> list[Resolved | None]:
    """Golden records by id; a retired (alias) id resolves to its survivor."""
    found: dict[str, GoldenRecord] = {}
    for chunk in _chunks(sorted(set(ids))):
        found.update((r.id, r) for r in session.scalars(select(GoldenRecord).where(GoldenRecord.id.in_(chunk))))
    # A merged record keeps its row (status merged); follow it to the survivor.
    retired = sorted({i for i in ids if i not in found or found[i].status == "merged"})
    survivor_of: dict[str, str] = {}
    if retired:
        for chunk in _chunks(retired):
            survivor_of.update(
                session.execute(select(GoldenAlias.alias_id, GoldenAlias.golden_id).where(GoldenAlias.alias_id.in_(chunk)))
                .all()
            )
        missing = sorted(set(survivor_of.values()) - set(found))
        for chunk in _chunks(missing):
            found.update((r.id, r) for r in session.scalars(select(GoldenRecord).where(GoldenRecord.id.in_(chunk))))
    out: list[Resolved | None] = []
    for gid in ids:
        survivor = survivor_of.get(gid)
        if survivor is not None and survivor in found:
            out.append(Resolved(found[survivor], resolved_from=gid))
        elif gid in found:
            out.append(Resolved(found[gid]))
        else:
            out.append(None)
    return out


def golden_by_source_keys(session: Session, keys: list[tuple[str, str, str]]) -> list[str | None]:
    """(system, domain, source key) -> the golden id it belongs to."""
    wanted = set(keys)
    found: dict[tuple[str, str, str], str] = {}
    for chunk in _chunks(sorted(wanted)):
        clauses = [and_(Xref.system == s, Xref.domain == d, Xref.source_key == k) for s, d, k in chunk]
        for s, d, k, gid in session.execute(
            select(Xref.system, Xref.domain, Xref.source_key, Xref.golden_id).where(or_(*clauses))
        ):
            found[(s, d, k)] = gid
    return [found.get(k) for k in keys]


def members_of(session: Session, golden_ids: list[str]) -> list[list[MemberRecord]]:
    """Current member source records (with their latest version) per golden id."""
    by_golden: dict[str, list[MemberRecord]] = {}
    for chunk in _chunks(sorted(set(golden_ids))):
        rows = session.execute(
            select(Xref, SourceRecord, SourceRecordVersion)
            .join(SourceRecord, SourceRecord.id == Xref.record_id)
            .join(
                SourceRecordVersion,
                and_(SourceRecordVersion.record_id == SourceRecord.id, SourceRecordVersion.version == SourceRecord.version),
            )
            .where(Xref.golden_id.in_(chunk))
            .order_by(SourceRecord.system, SourceRecord.source_key)
        )
        for xref, record, version in rows:
            by_golden.setdefault(xref.golden_id, []).append(MemberRecord(record, version, xref))
    return [by_golden.get(g, []) for g in golden_ids]


def history_of(session: Session, golden_ids: list[str]) -> list[list[GoldenRecordVersion]]:
    by_golden: dict[str, list[GoldenRecordVersion]] = {}
    for chunk in _chunks(sorted(set(golden_ids))):
        for row in session.scalars(
            select(GoldenRecordVersion)
            .where(GoldenRecordVersion.golden_id.in_(chunk))
            .order_by(GoldenRecordVersion.golden_id, GoldenRecordVersion.version)
        ):
            by_golden.setdefault(row.golden_id, []).append(row)
    return [by_golden.get(g, []) for g in golden_ids]


def version_as_of(session: Session, golden_id: str, at: datetime) -> GoldenRecordVersion | None:
    return session.scalars(
        select(GoldenRecordVersion)
        .where(GoldenRecordVersion.golden_id == golden_id, GoldenRecordVersion.changed_at <= at)
        .order_by(GoldenRecordVersion.version.desc())
        .limit(1)
    ).one_or_none()


def open_candidates_of(session: Session, golden_ids: list[str]) -> list[list[MatchCandidate]]:
    """Pending match candidates that involve any member of each golden record."""
    by_golden: dict[str, dict[int, MatchCandidate]] = {}
    for chunk in _chunks(sorted(set(golden_ids))):
        rows = session.execute(
            select(Xref.golden_id, MatchCandidate)
            .join(
                MatchCandidate,
                or_(MatchCandidate.left_record_id == Xref.record_id, MatchCandidate.right_record_id == Xref.record_id),
            )
            .where(Xref.golden_id.in_(chunk), MatchCandidate.status == "pending")
            .order_by(MatchCandidate.id)
        )
        for gid, candidate in rows:
            by_golden.setdefault(gid, {})[candidate.id] = candidate
    return [list(by_golden.get(g, {}).values()) for g in golden_ids]


def source_records_by_ids(session: Session, record_ids: list[int]) -> list[MemberRecord | None]:
    found: dict[int, MemberRecord] = {}
    for chunk in _chunks(sorted(set(record_ids))):
        rows = session.execute(
            select(SourceRecord, SourceRecordVersion, Xref)
            .join(
                SourceRecordVersion,
                and_(SourceRecordVersion.record_id == SourceRecord.id, SourceRecordVersion.version == SourceRecord.version),
            )
            .outerjoin(Xref, Xref.record_id == SourceRecord.id)
            .where(SourceRecord.id.in_(chunk))
        )
        for record, version, xref in rows:
            found[record.id] = MemberRecord(record, version, xref)
    return [found.get(r) for r in record_ids]


def prices_of(session: Session, refs: list[tuple[str, str]]) -> list[list[GoldenRecord]]:
    """Active price golden records whose item_id / customer_id is the given
    golden id; refs are (domain of the referenced record, golden id)."""
    by_ref: dict[tuple[str, str], list[GoldenRecord]] = {}
    for domain in {d for d, _ in refs}:
        attribute = PRICE_REFERENCES.get(domain)
        ids = sorted({g for d, g in refs if d == domain})
        if attribute is None:
            continue
        column = GoldenRecord.attributes[attribute].as_string()
        for chunk in _chunks(ids):
            for row in session.scalars(
                select(GoldenRecord)
                .where(GoldenRecord.domain == "price", GoldenRecord.status == "active", column.in_(chunk))
                .order_by(GoldenRecord.id)
            ):
                by_ref.setdefault((domain, row.attributes[attribute]), []).append(row)
    return [by_ref.get(r, []) for r in refs]


@dataclass(frozen=True)
class PageFilter:
    domain: str
    status: str = "active"
    updated_since: datetime | None = None
    source_system: str | None = None
    in_review: bool | None = None


@dataclass(frozen=True)
class Page:
    rows: list[GoldenRecord]
    has_next: bool


def encode_cursor(row: GoldenRecord) -> str:
    payload = json.dumps([as_utc(row.updated_at).isoformat(), row.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """(updated_at, id) of a cursor; ValueError when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        updated_at, gid = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        return datetime.fromisoformat(updated_at), str(gid)
    except Exception as exc:  # any malformed input is the same "bad cursor"
        raise ValueError(f"not a cursor of this list: {cursor!r}") from exc


def page_of_golden(session: Session, where: PageFilter, first: int, after: str | None) -> Page:
    """Golden records in (updated_at, id) order: stable keyset pages, and a
    client that keeps its last cursor sees later changes on its next pass."""
    query = select(GoldenRecord).where(GoldenRecord.domain == where.domain, GoldenRecord.status == where.status)
    if where.updated_since is not None:
        query = query.where(GoldenRecord.updated_at >= where.updated_since)
    if where.source_system is not None:
        query = query.where(
            exists().where(Xref.golden_id == GoldenRecord.id, Xref.system == where.source_system)
        )
    if where.in_review is not None:
        pending = exists().where(
            Xref.golden_id == GoldenRecord.id,
            MatchCandidate.status == "pending",
            or_(MatchCandidate.left_record_id == Xref.record_id, MatchCandidate.right_record_id == Xref.record_id),
        )
        query = query.where(pending if where.in_review else ~pending)
    if after:
        updated_at, gid = decode_cursor(after)
        # A row-value comparison: both databases seek to it in ix_golden_record_page.
        query = query.where(tuple_(GoldenRecord.updated_at, GoldenRecord.id)
                            > tuple_(literal(updated_at, GoldenRecord.updated_at.type), literal(gid, GoldenRecord.id.type)))
    rows = list(session.scalars(query.order_by(GoldenRecord.updated_at, GoldenRecord.id).limit(first + 1)))
    return Page(rows[:first], len(rows) > first)
