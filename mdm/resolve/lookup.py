"""Reading golden records back: alias resolution, versions, lineage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mdm.store.tables import GoldenAlias, GoldenRecord, GoldenRecordVersion
from mdm.survivorship import Decision
from mdm.survivorship.lineage import expand as expand_lineage


def resolve_golden_id(session: Session, golden_id: str) -> str | None:
    """The surviving golden id for an id or a retired alias; None if unknown."""
    alias = session.get(GoldenAlias, golden_id)
    if alias is not None:
        return alias.golden_id
    return golden_id if session.get(GoldenRecord, golden_id) is not None else None


def golden_version(
    session: Session, golden_id: str, *, version: int | None = None, at: datetime | None = None
) -> GoldenRecordVersion | None:
    """A golden record's version: the given one, the one current at a time, or the latest."""
    query = select(GoldenRecordVersion).where(GoldenRecordVersion.golden_id == golden_id)
    if version is not None:
        query = query.where(GoldenRecordVersion.version == version)
    if at is not None:
        query = query.where(GoldenRecordVersion.changed_at <= at)
    return session.scalars(query.order_by(GoldenRecordVersion.version.desc()).limit(1)).first()


def decisions(lineage: dict) -> dict[str, Decision]:
    """Stored lineage JSON (compact or verbose) back into survivorship decisions."""
    return {name: Decision.model_validate(entry) for name, entry in expand_lineage(lineage).items()}
