"""Repository of source records: bulk, idempotent storage of versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from mdm.store import jsonenc
from mdm.store.bulk import bulk_insert, insert_plain, plain_converter
from mdm.store.tables import SourceRecord, SourceRecordVersion

KEY_CHUNK = 900  # stays under SQLite's bound-parameter limit


@dataclass
class PreparedRecord:
    source_key: str
    content_hash: str
    raw: dict[str, Any]
    fields: dict[str, Any]
    extra: dict[str, Any]
    source_updated_at: datetime | None
    line: int | None = None


@dataclass
class StoreOutcome:
    stored: int
    unchanged: int
    record_ids: list[int]


def existing_records(session: Session, system: str, domain: str, keys: list[str]) -> dict[str, tuple[int, int, str]]:
    """source_key -> (record id, version, content hash) for the keys that exist."""
    found: dict[str, tuple[int, int, str]] = {}
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        rows = session.execute(
            select(SourceRecord.source_key, SourceRecord.id, SourceRecord.version, SourceRecord.content_hash).where(
                SourceRecord.system == system, SourceRecord.domain == domain, SourceRecord.source_key.in_(chunk)
            )
        )
        for key, rid, version, content_hash in rows:
            found[key] = (rid, version, content_hash)
    return found


def store_records(
    session: Session,
    system: str,
    domain: str,
    records: list[PreparedRecord],
    *,
    now: datetime,
    load_id: int | None,
    correlation_id: str | None = None,
) -> StoreOutcome:
    """Store new records and new versions of changed ones; skip identical content."""
    existing = existing_records(session, system, domain, [r.source_key for r in records])
    new = [r for r in records if r.source_key not in existing]
    changed = [r for r in records if r.source_key in existing and existing[r.source_key][2] != r.content_hash]
    touched: list[int] = []
    versions: list[tuple] = []

    when = plain_converter(session, SourceRecordVersion.__table__.c.source_updated_at)
    stamp = when(now)
    if new:
        # Plain tuples (executemany on SQLite, COPY on PostgreSQL), then one keyed
        # read-back of the ids: RETURNING would make SQLite run one statement per row.
        insert_plain(session, SourceRecord, RECORD_COLUMNS,
                     [(system, domain, r.source_key, 1, r.content_hash, False, stamp, stamp) for r in new])
        created = existing_records(session, system, domain, [r.source_key for r in new])
        ids = [created[r.source_key][0] for r in new]
        for rid, record in zip(ids, new):
            versions.append(_version_tuple(rid, 1, record, stamp, load_id, correlation_id, when))
        touched.extend(ids)

    if changed:
        updates = []
        for record in changed:
            rid, version, _ = existing[record.source_key]
            updates.append(
                {"rid": rid, "version": version + 1, "content_hash": record.content_hash, "deleted": False, "updated_at": now}
            )
            versions.append(_version_tuple(rid, version + 1, record, stamp, load_id, correlation_id, when))
            touched.append(rid)
        table = SourceRecord.__table__
        session.connection().execute(
            update(table).where(table.c.id == bindparam("rid")).values(
                version=bindparam("version"), content_hash=bindparam("content_hash"),
                deleted=bindparam("deleted"), updated_at=bindparam("updated_at"),
                matched_version=None,  # pending for the matcher again
            ),
            updates,
        )

    insert_plain(session, SourceRecordVersion, VERSION_COLUMNS, versions)
    return StoreOutcome(stored=len(new) + len(changed), unchanged=len(records) - len(new) - len(changed), record_ids=touched)


RECORD_COLUMNS = ("system", "domain", "source_key", "version", "content_hash", "deleted", "created_at", "updated_at")
VERSION_COLUMNS = ("record_id", "version", "content_hash", "raw", "fields", "extra", "source_updated_at", "loaded_at",
                   "load_id", "line", "correlation_id")


def _version_tuple(rid, version, record: PreparedRecord, stamp, load_id, correlation_id, when) -> tuple:
    """A version row for ``insert_plain``: JSON encoded as the engine encodes it, times as it binds them."""
    return (rid, version, record.content_hash, jsonenc.encode(record.raw), jsonenc.encode(record.fields),
            jsonenc.encode(record.extra), when(record.source_updated_at), stamp, load_id, record.line, correlation_id)


def mark_deleted(
    session: Session, system: str, domain: str, keys: list[str], *, now: datetime, correlation_id: str | None = None
) -> list[int]:
    """Mark source records deleted at their source: a new, empty version.
    The next match removes them from their golden records."""
    found = existing_records(session, system, domain, keys)
    rows = session.execute(
        select(SourceRecord.id, SourceRecord.version, SourceRecord.deleted).where(
            SourceRecord.id.in_([v[0] for v in found.values()])
        )
    ).all()
    live = [(rid, version) for rid, version, deleted in rows if not deleted]
    for rid, version in live:
        session.execute(
            update(SourceRecord)
            .where(SourceRecord.id == rid)
            .values(version=version + 1, content_hash=DELETED_HASH, deleted=True, updated_at=now, matched_version=None)
        )
    if live:
        bulk_insert(
            session,
            SourceRecordVersion,
            [
                {"record_id": rid, "version": version + 1, "content_hash": DELETED_HASH, "raw": {}, "fields": {},
                 "extra": {}, "source_updated_at": now, "loaded_at": now, "load_id": None, "line": None,
                 "correlation_id": correlation_id}
                for rid, version in live
            ],
        )
    return [rid for rid, _ in live]


DELETED_HASH = "deleted"
