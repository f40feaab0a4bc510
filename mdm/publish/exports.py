"""File exports for batch consumers: the change log, a golden-record snapshot
and the xref, as CSV, JSON Lines or Parquet.

Files are written whole or not at all: rows go to a temporary file beside the
target, which is fsynced and renamed into place. A named change consumer's
watermark moves only after that rename, so a consumer that crashes halfway
gets the same changes again on its next run and loses nothing."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mdm.publish.changelog import SCAN, stable_through
from mdm.publish.events import aware
from mdm.publish.policy import contiguous_end
from mdm.store import Store
from mdm.store.publishing_tables import ExportWatermark
from mdm.store.tables import GoldenRecord, OutboxEvent, Xref

FORMATS = ("csv", "jsonl", "parquet")
CHUNK = 5000

CHANGE_COLUMNS = {
    "sequence": pa.int64(), "event_id": pa.string(), "type": pa.string(), "domain": pa.string(),
    "subject": pa.string(), "version": pa.int64(), "created_at": pa.string(), "correlation_id": pa.string(),
    "data": pa.string(),
}
XREF_COLUMNS = {
    "system": pa.string(), "source_key": pa.string(), "golden_id": pa.string(), "domain": pa.string(),
    "decided_by": pa.string(), "match_probability": pa.float64(), "linked_at": pa.string(),
}
GOLDEN_FIXED = {
    "golden_id": pa.string(), "domain": pa.string(), "version": pa.int64(), "status": pa.string(),
    "created_at": pa.string(), "updated_at": pa.string(),
}


class ExportError(ValueError):
    pass


def format_of(path: Path, fmt: str | None) -> str:
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)} (or a file ending in one), not {fmt!r}")
    return fmt


def _iso(moment: datetime | None) -> str | None:
    return aware(moment).isoformat() if moment else None


def _flat(value: Any) -> Any:
    # CSV and Parquet cells are scalars; nested values travel as JSON text.
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, (dict, list)) else value


class AtomicTableWriter:
    """Rows to `path` in one format; the file appears only on `commit()`."""

    def __init__(self, path: Path, fmt: str, columns: dict[str, pa.DataType]):
        self.path, self.fmt, self.columns = Path(path), fmt, columns
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self.rows = 0
        self._fh = None
        self._csv = None
        self._parquet = None
        if fmt == "parquet":
            self._schema = pa.schema(list(columns.items()))
            self._parquet = pq.ParquetWriter(self.tmp, self._schema)
        else:
            self._fh = self.tmp.open("w", newline="", encoding="utf-8")
            if fmt == "csv":
                self._csv = csv.DictWriter(self._fh, fieldnames=list(columns), extrasaction="ignore")
                self._csv.writeheader()

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.fmt == "jsonl":
            self._fh.writelines(json.dumps(r, default=str) + "\n" for r in rows)
        else:
            flat = [{k: _flat(r.get(k)) for k in self.columns} for r in rows]
            if self.fmt == "csv":
                self._csv.writerows(flat)
            else:
                self._parquet.write_table(pa.Table.from_pylist(flat, schema=self._schema))
        self.rows += len(rows)

    def commit(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
            with self.tmp.open("rb+") as fh:
                os.fsync(fh.fileno())
        else:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        os.replace(self.tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def abort(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        elif self._fh is not None:
            self._fh.close()
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicTableWriter:
        return self

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is not None:
            self.abort()


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    # changes: the cursor range exported (after, through]; golden: the change
    # log position of the snapshot, to follow with `changes --since`.
    after: int | None = None
    through: int | None = None


def change_row(row: OutboxEvent) -> dict[str, Any]:
    return {
        "sequence": row.sequence, "event_id": row.event_id, "type": row.type, "domain": row.domain,
        "subject": row.subject, "version": row.version, "created_at": _iso(row.created_at),
        "correlation_id": row.correlation_id, "data": row.data,
    }


def export_changes(
    store: Store, domain: str, out: Path, *, fmt: str | None = None, since: int | None = None,
    consumer: str | None = None, now: datetime | None = None,
) -> ExportResult:
    """Changes of a domain after a cursor (`since`) or after a named
    consumer's watermark, which then moves to the end of this export."""
    if (since is None) == (consumer is None):
        raise ExportError("give exactly one of a cursor (--since) and a consumer name (--consumer)")
    fmt = format_of(out, fmt)
    with store.session() as session:
        after = since if consumer is None else _watermark(session, consumer, domain)
        pos = after
        with AtomicTableWriter(out, fmt, CHANGE_COLUMNS) as writer:
            while (through := stable_through(session, pos)) > pos:
                for chunk in _chunks(session, select(OutboxEvent).where(
                    OutboxEvent.domain == domain, OutboxEvent.sequence > pos, OutboxEvent.sequence <= through,
                ).order_by(OutboxEvent.sequence)):
                    writer.write([change_row(r) for r in chunk])
                pos = through
            writer.commit()
        if consumer is not None:
            _move_watermark(session, consumer, domain, pos, now or datetime.now(timezone.utc))
    return ExportResult(Path(out), writer.rows, after, pos)


def _chunks(session: Session, query) -> Iterable[list[Any]]:
    for partition in session.execute(query.execution_options(yield_per=CHUNK)).scalars().partitions(CHUNK):
        yield list(partition)


def _watermark(session: Session, consumer: str, domain: str) -> int:
    found = session.get(ExportWatermark, (consumer, domain))
    return found.sequence if found else 0


def _move_watermark(session: Session, consumer: str, domain: str, sequence: int, now: datetime) -> None:
    found = session.get(ExportWatermark, (consumer, domain))
    if found is None:
        session.add(ExportWatermark(consumer=consumer, domain=domain, sequence=sequence, updated_at=now))
    else:
        found.sequence, found.updated_at = sequence, now
    session.commit()


def watermark(store: Store, consumer: str, domain: str) -> int:
    with store.session() as session:
        return _watermark(session, consumer, domain)


def _snapshot_session(store: Store) -> Session:
    # One read transaction; REPEATABLE READ keeps every query on one snapshot.
    session = store.session()
    if store.engine.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


def export_golden(store: Store, domain: str, out: Path, *, fmt: str | None = None) -> ExportResult:
    """A consistent snapshot of the domain's active golden records, one column
    per attribute; `through` is the change log position it reflects."""
    fmt = format_of(out, fmt)
    with _snapshot_session(store) as session:
        through = _snapshot_position(session)
        active = (GoldenRecord.domain == domain, GoldenRecord.status == "active")
        names: set[str] = set()
        for chunk in _chunks(session, select(GoldenRecord.attributes).where(*active)):
            for attributes in chunk:
                names.update(attributes)
        columns = {**GOLDEN_FIXED, **{n: pa.string() for n in sorted(names - set(GOLDEN_FIXED))}}
        with AtomicTableWriter(out, fmt, columns) as writer:
            for chunk in _chunks(session, select(GoldenRecord).where(*active).order_by(GoldenRecord.id)):
                writer.write([_golden_row(g, fmt) for g in chunk])
            writer.commit()
        session.rollback()
    return ExportResult(Path(out), writer.rows, None, through)


def _snapshot_position(session: Session) -> int:
    """The change log position the snapshot reflects: the end of the gap-free
    run of visible sequences (an event still in flight at snapshot time is
    not in the snapshot, so the follow-up `changes --since` must include it)."""
    last = session.execute(select(func.coalesce(func.max(OutboxEvent.sequence), 0))).scalar_one()
    low = max(0, last - SCAN)
    seqs = session.execute(
        select(OutboxEvent.sequence).where(OutboxEvent.sequence > low).order_by(OutboxEvent.sequence)
    ).scalars().all()
    return contiguous_end(low, seqs)


def _golden_row(g: GoldenRecord, fmt: str) -> dict[str, Any]:
    attrs = g.attributes if fmt == "jsonl" else {k: None if v is None else str(_flat(v)) for k, v in g.attributes.items()}
    return {
        **attrs, "golden_id": g.id, "domain": g.domain, "version": g.version, "status": g.status,
        "created_at": _iso(g.created_at), "updated_at": _iso(g.updated_at),
    }


def export_xref(store: Store, domain: str, out: Path, *, fmt: str | None = None) -> ExportResult:
    """Which golden record each source record belongs to."""
    fmt = format_of(out, fmt)
    with _snapshot_session(store) as session:
        with AtomicTableWriter(out, fmt, XREF_COLUMNS) as writer:
            for chunk in _chunks(session, select(Xref).where(Xref.domain == domain).order_by(Xref.system, Xref.source_key)):
                writer.write([
                    {"system": x.system, "source_key": x.source_key, "golden_id": x.golden_id, "domain": x.domain,
                     "decided_by": x.decided_by, "match_probability": x.match_probability,
                     "linked_at": _iso(x.linked_at)}
                    for x in chunk
                ])
            writer.commit()
        session.rollback()
    return ExportResult(Path(out), writer.rows)
