"""Load one source file through its mapping into the store."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import operator
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from mdm import standardize as std
from mdm.ingest.canonicalize import Context, FieldIssue, standardize_column, standardize_columns
from mdm.ingest.mapping import Mapping
from mdm.ingest.parallel import load_workers, map_chunks
from mdm.ingest.readers import SourceTable, read_source
from mdm.memory import cycles_between_stages
from mdm.models.canonical import MODELS
from mdm.store.bulk import refresh_statistics
from mdm.store.source_records import PreparedRecord, store_records
from mdm.store.tables import LoadBatch, Reject

# A load that stores this many rows, then twice as many, and so on, refreshes the
# planner statistics of the tables it fills (PostgreSQL only; see ``store_next``).
ANALYZE_AFTER = 20_000
LOAD_TABLES = ("source_record", "source_record_version")

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


# json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":")), one encoder for all rows.
_HASH_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


def content_hash(raw: dict[str, Any]) -> str:
    blob = _HASH_JSON.encode(raw)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, dict)):
        return json.loads(json.dumps(value, default=str))
    return str(value)


def prepare_rows(
    table: SourceTable, mapping: Mapping, *, default_region: str = "US", workers: int | None = None
) -> PreparedBatch:
    """Map, standardize and validate rows. Pure: no I/O.

    A large table is prepared in contiguous chunks by forked worker processes
    (``workers``; default from MDM_LOAD_WORKERS, 1 below
    ``parallel.PARALLEL_MIN_ROWS`` rows); the result is the same either way."""
    batch = PreparedBatch([], [])
    for part in prepare_chunks(table, mapping, default_region=default_region, workers=workers):
        batch.records += part.records
        batch.rejects += part.rejects
    return batch


def prepare_chunks(
    table: SourceTable, mapping: Mapping, *, default_region: str = "US", workers: int | None = None,
    progress: Progress | None = None,
) -> Iterator[PreparedBatch]:
    """``prepare_rows`` a chunk of rows at a time, in row order, as the chunks
    are ready (so a caller can store one chunk while workers prepare the next);
    the first chunk's rejects begin with the unreadable rows."""
    n = len(table.rows)
    if workers is None:
        workers = load_workers(n)
    region = mapping.default_region or default_region
    assemble = _Assembler(table, mapping)
    done = 0
    for keys, outcomes in map_chunks(partial(_prepare_chunk, table, mapping, region), n, workers):
        done += len(keys)
        if progress is not None:
            progress("standardize", done, n)
        yield assemble(keys, outcomes)


# A prepared record as it travels back from a worker: (content_hash, raw,
# fields, extra, source_updated_at); raw is None when it is the row itself (every
# value kept as read), which the parent holds already.
RecordParts = tuple[str, dict[str, Any] | None, dict[str, Any], dict[str, Any], datetime | None]
# Per row of a chunk: (key, outcome). The outcome is None when the row is not
# prepared (empty key, or a key already seen in the chunk), else the record
# (None when the row is rejected) and the row's rejects.
RowOutcome = tuple[RecordParts | None, list[RejectEntry]]
Chunk = tuple[list[str | None], list[RowOutcome | None]]


def _prepare_chunk(table: SourceTable, mapping: Mapping, default_region: str, start: int, stop: int) -> Chunk:
    """Prepare rows ``start:stop``; a row's outcome depends on that row alone."""
    domain = mapping.domain
    model = MODELS[domain]
    rows, lines = table.rows[start:stop], table.lines[start:stop]
    n = len(rows)
    ctx = Context(default_region=default_region, date_format=mapping.date_format, decimal_comma=mapping.decimal_comma)
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
    key_col = mapping.key
    fields = list(clean)
    values_by_row = zip(*clean.values()) if fields else itertools.repeat(())
    validate, dump = model.model_validate, partial(model.model_dump, mode="json", exclude_none=True)
    seen: set[str] = set()
    keys: list[str | None] = []
    outcomes: list[RowOutcome | None] = []
    for i, (row, line, row_values) in enumerate(zip(rows, lines, values_by_row)):
        key = std.clean_text(_jsonable(row.get(key_col)))
        keys.append(key)
        if key is None or key in seen:
            outcomes.append(None)  # rejected by _Assembler, which sees the whole table
            continue
        seen.add(key)
        row_issues = issues_by_row.get(i, ())
        values = {f: v for f, v in zip(fields, row_values) if v is not None}
        try:
            canonical = validate(values)
        except ValidationError as exc:
            reasons = _model_errors(exc, row_issues)
            err_field = _first_field(exc)
            outcomes.append(
                (None, [RejectEntry(line, column_of.get(err_field, err_field), row.get(column_of.get(err_field, "")),
                                    reasons, key)])
            )
            continue
        row_rejects = [
            RejectEntry(line, column_of.get(issue.field, issue.field), issue.value, f"{issue.field}: {issue.reason}",
                        key, row_rejected=False)
            for issue in row_issues
        ]
        raw = {c: v if v.__class__ is str else _jsonable(v) for c, v in row.items()}
        as_read = all(map(operator.is_, raw.values(), row.values()))
        extra = {c: raw.get(c) for c in extra_cols if raw.get(c) not in (None, "")}
        record = (content_hash(raw), None if as_read else raw, dump(canonical), extra, updated[i])
        outcomes.append((record, row_rejects))
    return keys, outcomes


class _Assembler:
    """Records and rejects of the whole table, in row order, from its chunks in
    order: unreadable rows first, then per row an empty or duplicate key (which
    only the whole table shows), or the row's own outcome."""

    def __init__(self, table: SourceTable, mapping: Mapping) -> None:
        self.key_column = mapping.key
        self.rows, self.lines = iter(table.rows), iter(table.lines)
        self.bad = [RejectEntry(b.line, None, b.value, b.reason) for b in table.bad]
        self.first_line: dict[str, int] = {}

    def __call__(self, keys: list[str | None], outcomes: list[RowOutcome | None]) -> PreparedBatch:
        rejects, self.bad = self.bad, []
        records: list[PreparedRecord] = []
        first_line = self.first_line
        for key, outcome, row, line in zip(keys, outcomes, self.rows, self.lines):
            if key is None:
                rejects.append(RejectEntry(line, self.key_column, None, "the key column is empty"))
                continue
            if key in first_line:
                rejects.append(RejectEntry(
                    line, self.key_column, key, f"duplicate key: already on line {first_line[key]} of this file", key
                ))
                continue
            first_line[key] = line
            record, row_rejects = outcome  # a key's first row is also the first in its chunk
            rejects.extend(row_rejects)
            if record is not None:
                digest, raw, fields, extra, updated = record
                records.append(PreparedRecord(
                    source_key=key, content_hash=digest, raw=dict(row) if raw is None else raw, fields=fields,
                    extra=extra, source_updated_at=updated, line=line,
                ))
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
    # Rows, prepared records and their dicts stay alive until the commit: the cyclic collector's
    # passes over them are paused (standardizing workers still collect their own).
    with cycles_between_stages():
        return _load_file(session, Path(path), mapping, default_region=default_region, batch_size=batch_size,
                          rejects_path=rejects_path, progress=progress, now=now)


def _load_file(session, path: Path, mapping: Mapping, *, default_region, batch_size, rejects_path, progress,
               now) -> LoadResult:
    now = now or datetime.now(timezone.utc)
    notify = progress or (lambda stage, done, total: None)
    notify("read", 0, 1)
    table = read_source(path, mapping)
    notify("read", 1, 1)
    notify("standardize", 0, len(table.rows))

    result = LoadResult(file=str(path), system=mapping.source, domain=mapping.domain, read=table.read)
    correlation_id = f"load-{uuid.uuid4()}"
    load: LoadBatch | None = None
    batch = PreparedBatch([], [])
    stored = 0  # how many of batch.records are stored

    next_analyze = ANALYZE_AFTER

    def store_next() -> None:
        nonlocal stored, next_analyze
        chunk = batch.records[stored : stored + batch_size]
        outcome = store_records(
            session, mapping.source, mapping.domain, chunk, now=now, load_id=load.id, correlation_id=correlation_id
        )
        result.stored += outcome.stored
        result.unchanged += outcome.unchanged
        result.record_ids.extend(outcome.record_ids)
        stored += len(chunk)
        notify("store", stored, len(table.rows))
        if result.stored >= next_analyze:
            # Each batch looks its keys up among the rows stored before it. Without statistics
            # PostgreSQL plans that lookup for a near-empty table (the keys as a filter over
            # every row of the system, not an index search): each batch then costs more than the
            # last. Analyzed as the load doubles the table, it stays an index search.
            refresh_statistics(session, LOAD_TABLES)
            next_analyze *= 2

    # Whole batches are stored while workers prepare the following chunks. The
    # first chunk is asked for before the session is used, so the workers
    # start before this load opens a transaction.
    for part in prepare_chunks(table, mapping, default_region=default_region, progress=notify):
        if load is None:
            load = _start_load(session, mapping, path, now)
        batch.records += part.records
        batch.rejects += part.rejects
        while len(batch.records) - stored >= batch_size:
            store_next()
    if load is None:  # (prepare_chunks yields at least one chunk; this is for safety)
        load = _start_load(session, mapping, path, now)
    while stored < len(batch.records):
        store_next()
    notify("store", stored, stored)
    result.rejects = batch.rejects
    finish_load(session, load, read=result.read, stored=result.stored, unchanged=result.unchanged,
                rejects=batch.rejects, now=datetime.now(timezone.utc))
    result.rejected, result.field_errors = load.rejected, load.field_errors
    session.commit()
    result.load_id = load.id
    if batch.rejects:
        result.rejects_path = write_rejects(batch.rejects, rejects_path or default_rejects_path(path))
    return result


def _start_load(session: Session, mapping: Mapping, path: Path, now: datetime) -> LoadBatch:
    load = LoadBatch(system=mapping.source, domain=mapping.domain, file=str(path), started_at=now)
    session.add(load)
    session.flush()
    return load


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
