"""Reconciliation: compare a full snapshot of one source system with what
the hub holds for it, and optionally fix the hub. The safety net for
messages that never arrived."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from mdm.ingest.loader import PreparedBatch, prepare_rows
from mdm.ingest.mapping import Mapping
from mdm.ingest.readers import read_source
from mdm.store.source_records import mark_deleted, store_records
from mdm.store.tables import SourceRecord, SourceRecordVersion

MISSING, VANISHED, DIFFERS = "missing", "vanished", "differs"


@dataclass
class Difference:
    kind: str  # missing: the hub lacks it; vanished: the source no longer has it; differs
    source_key: str
    columns: list[str] = field(default_factory=list)


@dataclass
class ReconcileReport:
    system: str
    domain: str
    snapshot_rows: int
    hub_records: int
    differences: list[Difference]
    rejected: int = 0

    def count(self, kind: str) -> int:
        return sum(1 for d in self.differences if d.kind == kind)


def hub_state(session: Session, system: str, domain: str) -> dict[str, tuple[str, dict]]:
    """source_key -> (content hash, raw row) of the live records the hub holds."""
    rows = session.execute(
        select(SourceRecord.source_key, SourceRecord.content_hash, SourceRecordVersion.raw)
        .join(SourceRecordVersion, and_(SourceRecordVersion.record_id == SourceRecord.id,
                                        SourceRecordVersion.version == SourceRecord.version))
        .where(SourceRecord.system == system, SourceRecord.domain == domain, SourceRecord.deleted.is_(False))
    ).all()
    return {key: (digest, raw) for key, digest, raw in rows}


def compare(batch: PreparedBatch, hub: dict[str, tuple[str, dict]]) -> list[Difference]:
    """Pure: the differences between a prepared snapshot and the hub's state.

    A snapshot row that was rejected is reported as rejected, never taken as
    the record having vanished."""
    snapshot = {r.source_key: r for r in batch.records}
    rejected = {r.source_key for r in batch.rejects if r.row_rejected and r.source_key}
    out = []
    for key in sorted(snapshot.keys() - hub.keys()):
        out.append(Difference(MISSING, key))
    for key in sorted(hub.keys() - snapshot.keys() - rejected):
        out.append(Difference(VANISHED, key))
    for key in sorted(snapshot.keys() & hub.keys()):
        digest, raw = hub[key]
        if snapshot[key].content_hash != digest:
            new = snapshot[key].raw
            columns = sorted(c for c in set(new) | set(raw) if new.get(c) != raw.get(c))
            out.append(Difference(DIFFERS, key, columns))
    return out


def reconcile(
    session: Session, path: Path, mapping: Mapping, *, apply: bool, now: datetime, default_region: str = "US"
) -> tuple[ReconcileReport, PreparedBatch]:
    batch = prepare_rows(read_source(path, mapping), mapping, default_region=default_region)
    hub = hub_state(session, mapping.source, mapping.domain)
    report = ReconcileReport(
        mapping.source, mapping.domain, len(batch.records), len(hub), compare(batch, hub),
        rejected=sum(1 for r in batch.rejects if r.row_rejected),
    )
    if apply:
        fix = {d.source_key for d in report.differences if d.kind in (MISSING, DIFFERS)}
        correlation_id = f"reconcile-{now:%Y%m%dT%H%M%S}"
        store_records(session, mapping.source, mapping.domain, [r for r in batch.records if r.source_key in fix],
                      now=now, load_id=None, correlation_id=correlation_id)
        gone = [d.source_key for d in report.differences if d.kind == VANISHED]
        mark_deleted(session, mapping.source, mapping.domain, gone, now=now, correlation_id=correlation_id)
        session.commit()
    return report, batch


def write_report(report: ReconcileReport, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["kind", "system", "domain", "source_key", "columns"])
        for d in report.differences:
            writer.writerow([d.kind, report.system, report.domain, d.source_key, ";".join(d.columns)])
    return path
