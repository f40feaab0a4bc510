"""Golden records as the audit log keeps them: before and after a decision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mdm.resolve.apply import golden_rows
from mdm.store.tables import Xref

CHUNK = 900


def golden_of(session: Session, record_ids: list[int]) -> dict[int, str]:
    """record id -> golden id it belongs to now."""
    found: dict[int, str] = {}
    ids = sorted(set(record_ids))
    for start in range(0, len(ids), CHUNK):
        found.update(session.execute(select(Xref.record_id, Xref.golden_id).where(Xref.record_id.in_(ids[start : start + CHUNK]))).all())
    return found


def member_ids(session: Session, golden_ids: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {g: [] for g in golden_ids}
    ids = sorted(set(golden_ids))
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Xref.golden_id, Xref.record_id).where(Xref.golden_id.in_(ids[start : start + CHUNK])).order_by(Xref.record_id)
        )
        for gid, rid in rows:
            out[gid].append(rid)
    return out


def snapshot(session: Session, golden_ids: list[str]) -> dict[str, dict[str, Any]]:
    """golden id -> status, version, attributes and members (system:key), JSON-ready."""
    ids = sorted(set(golden_ids))
    rows = golden_rows(session, ids)
    members: dict[str, list[dict[str, Any]]] = {g: [] for g in ids}
    for start in range(0, len(ids), CHUNK):
        for gid, rid, system, key in session.execute(
            select(Xref.golden_id, Xref.record_id, Xref.system, Xref.source_key)
            .where(Xref.golden_id.in_(ids[start : start + CHUNK]))
            .order_by(Xref.record_id)
        ):
            members[gid].append({"record_id": rid, "system": system, "source_key": key})
    return {
        gid: {
            "status": row.status, "version": row.version, "merged_into": row.merged_into,
            "attributes": row.attributes, "members": members[gid],
        }
        for gid, row in rows.items()
    }
