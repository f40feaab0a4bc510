"""Load one source file through its mapping into the store."""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from mdm import standardize as std
from mdm.ingest.canonicalize import Context, FieldIssue, standardize_column, standardize_columns
from mdm.ingest.mapping import Mapping
from mdm.ingest.readers import SourceTable, read_source
from mdm.models.canonical import MODELS
from mdm.store.source_records import PreparedRecord, store_records
from mdm.store.tables import LoadBatch, Reject

Progress = Callable[[str, int, int], None]


@dataclass
class RejectEntry:
    line: int | None
    column: str | None
    value: Any
    reason: str
    source_key: str | None = None
    row_rejected: bool = True


@dataclass
class LoadResult:
    file: str
    system: str
    domain: str
    read: int = 0
    stored: int = 0
    unchanged: int = 0
    rejected: int = 0
    field_errors: int = 0
    load_id: int | None = None
    rejects: list[RejectEntry] = field(default_factory=list)
    rejects_path: Path | None = None
    record_ids: list[int] = field(default_factory=list)


@dataclass
class PreparedBatch:
    records: list[PreparedRecord]
    rejects: list[RejectEntry]


def content_hash(raw: dict[str, Any]) -> str:
    blob = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, dict)):
        return json.loads(json.dumps(value, default=str))
    return str(value)


def prepare_rows(table: SourceTable, mapping: Mapping, *, default_region: str = "US") -> PreparedBatch:
    """Map, standardize and validate rows. Pure: no I/O."""
    domain = mapping.domain
    model = MODELS[domain]
    rows, lines = table.rows, table.lines
    n = len(rows)
    rejects = [RejectEntry(b.line, None, b.value, b.reason) for b in table.bad]
    ctx = Context(
        default_region=mapping.default_region or default_region,
        date_format=mapping.date_format,
        decimal_comma=mapping.decimal_comma,
    )
    raw_columns = {canon: [row.get(col) for row in rows] for canon, col in mapping.fields.items()}
    clean, issues = standardize_columns(domain, raw_columns, n, ctx)
    updated = [None] * n
    if mapping.updated_at:
        col = mapping.updated_at
        updated = standardize_column(
            [row.get(col) for row in rows], lambda v: std.parse_datetime(v, mapping.date_format), col, issues
        )
    issues_by_row: dict[int, list[FieldIssue]] = {}
    for issue in issues:
        issues_by_row.setdefault(issue.index, []).append(issue)

    mapped_cols = set(mapping.source_columns())
    extra_cols = [c for c in table.columns if c not in mapped_cols]
    column_of = {canon: col for canon, col in mapping.fields.items()}
    column_of.update({"weight_kg": mapping.fields.get("weight_kg") or mapping.fields.get("weight_lb")})
    first_line: dict[str, int] = {}
    records: list[PreparedRecord] = []
    for i in range(n):
        row, line = rows[i], lines[i]
        key = std.clean_text(_jsonable(row.get(mapping.key)))
        if key is None:
            rejects.append(RejectEntry(line, mapping.key, None, "the key column is empty"))
            continue
        if key in first_line:
            rejects.append(
                RejectEntry(line, mapping.key, key, f"duplicate key: already on line {first_line[key]} of this file", key)
            )
            continue
        first_line[key] = line
        row_issues = issues_by_row.get(i, [])
        values = {f: vals[i] for f, vals in clean.items() if vals[i] is not None}
        try:
            canonical = model.model_validate(values)
        except ValidationError as exc:
            reasons = _model_errors(exc, row_issues)
            err_field = _first_field(exc)
            rejects.append(
                RejectEntry(line, column_of.get(err_field, err_field), row.get(column_of.get(err_field, "")), reasons, key)
            )
            continue
        for issue in row_issues:
            column = column_of.get(issue.field, issue.field)
            rejects.append(
                RejectEntry(line, column, issue.value, f"{issue.field}: {issue.reason}", key, row_rejected=False)
            )
        raw = {c: _jsonable(v) for c, v in row.items()}
        records.append(
            PreparedRecord(
                source_key=key,
                content_hash=content_hash(raw),
                raw=raw,
                fields=canonical.model_dump(mode="json", exclude_none=True),
                extra={c: raw.get(c) for c in extra_cols if raw.get(c) not in (None, "")},
                source_updated_at=updated[i],
                line=line,
            )
        )
    return PreparedBatch(records, rejects)


def _first_field(exc: ValidationError) -> str | None:
    for err in exc.errors():
        if err["loc"]:
            return str(err["loc"][0])
    return None


def _model_errors(exc: ValidationError, row_issues: list[FieldIssue]) -> str:
    by_field = {i.field: i.reason for i in row_issues}
    parts = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"])
        reason = by_field.get(name) or err["msg"]
        parts.append(f"{name}: {reason}" if name else reason)
    return "; ".join(parts)


def load_file(
    session: Session,
    path: str | Path,
    mapping: Mapping,
    *,
    default_region: str = "US",
    batch_size: int = 5000,
    rejects_path: str | Path | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> LoadResult:
    """Read, standardize and store one file; commits once at the end."""
    path = Path(path)
    now = now or datetime.now(timezone.utc)
    notify = progress or (lambda stage, done, total: None)
    notify("read", 0, 1)
    table = read_source(path, mapping)
    notify("read", 1, 1)
    notify("standardize", 0, 1)
    batch = prepare_rows(table, mapping, default_region=default_region)
    notify("standardize", 1, 1)

    result = LoadResult(file=str(path), system=mapping.source, domain=mapping.domain, read=table.read)
    load = LoadBatch(system=mapping.source, domain=mapping.domain, file=str(path), started_at=now)
    session.add(load)
    session.flush()
    correlation_id = f"load-{uuid.uuid4()}"
    total = len(batch.records)
    for start in range(0, total, batch_size):
        chunk = batch.records[start : start + batch_size]
        outcome = store_records(
            session, mapping.source, mapping.domain, chunk, now=now, load_id=load.id, correlation_id=correlation_id
        )
        result.stored += outcome.stored
        result.unchanged += outcome.unchanged
        result.record_ids.extend(outcome.record_ids)
        notify("store", min(start + batch_size, total), total)
    result.rejects = batch.rejects
    finish_load(session, load, read=result.read, stored=result.stored, unchanged=result.unchanged,
                rejects=batch.rejects, now=datetime.now(timezone.utc))
    result.rejected, result.field_errors = load.rejected, load.field_errors
    session.commit()
    result.load_id = load.id
    if batch.rejects:
        result.rejects_path = write_rejects(batch.rejects, rejects_path or default_rejects_path(path))
    return result


def finish_load(
    session: Session, load: LoadBatch, *, read: int, stored: int, unchanged: int, rejects: list[RejectEntry],
    now: datetime,
) -> None:
    """Record a load's counts and its rejects (rows and fields) in the store."""
    rejected = sum(1 for r in rejects if r.row_rejected)
    load.read, load.stored, load.unchanged = read, stored, unchanged
    load.rejected, load.field_errors = rejected, len(rejects) - rejected
    load.finished_at = now
    session.add_all(
        Reject(
            load_id=load.id, line=r.line, source_key=r.source_key, column=r.column,
            value=None if r.value is None else str(r.value)[:1000], reason=r.reason, row_rejected=r.row_rejected,
        )
        for r in rejects
    )


def default_rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.rejects.csv")


def write_rejects(rejects: list[RejectEntry], path: str | Path) -> Path:
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["line", "column", "value", "reason", "source_key", "row_rejected"])
        for r in sorted(rejects, key=lambda r: (r.line or 0, r.column or "")):
            value = "" if r.value is None else str(r.value)
            writer.writerow([r.line, r.column or "", value[:1000], r.reason, r.source_key or "", r.row_rejected])
    return path
