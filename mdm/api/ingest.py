"""Source systems pushing records through the API: validated exactly as file
loads are (mapping -> prepare_rows -> store_records), then matched and merged
within the call, with idempotency keys replaying a stored response."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from mdm.api.errors import Conflict, DomainError, NotFound
from mdm.ingest import Mapping, SourceTable, prepare_rows
from mdm.ingest.loader import finish_load
from mdm.ingest.readers import BadRow
from mdm.match.rules import MatchRules
from mdm.models.fields import CANONICAL_FIELDS, DOMAINS
from mdm.resolve.run import MatchModelOutdated, check_incremental, match_domain
from mdm.rules import MATCHED_DOMAINS
from mdm.resolve.locks import domain_lock
from mdm.store.source_records import mark_deleted, store_records
from mdm.store.tables import (
    GoldenRecord,
    IdempotencyKey,
    LoadBatch,
    MatchCandidate,
    SourceRecord,
    Xref,
)

KEY_FIELD = "key"  # the source's primary key inside each record
UPDATED_FIELD = "updated_at"  # the source's change time, optional
MAX_RECORDS = 1000
# An API call may bulk-match a domain this small (the first records of a new
# hub); a larger one needs `mdm match` (or `--retrain` after a rules change)
# first, never a whole-domain re-match inside a request.
MAX_BULK_IN_REQUEST = 5000

RulesFor = Callable[[str], MatchRules]
log = logging.getLogger(__name__)


@dataclass
class RecordResult:
    index: int
    key: str | None
    outcome: str  # stored | unchanged | rejected
    golden_id: str | None = None
    decision: str | None = None  # merged | new | review
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class UpsertResponse:
    system: str
    domain: str
    records: list[RecordResult]
    replayed: bool = False
    correlation_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UpsertResponse:
        return cls(**{**data, "records": [RecordResult(**r) for r in data["records"]]})


@dataclass
class DeleteResponse:
    system: str
    domain: str
    key: str
    golden_id: str | None
    golden_status: str | None
    already_deleted: bool


def api_mapping(system: str, domain: str, records: list[dict[str, Any]]) -> Mapping:
    """A mapping whose columns are the canonical names themselves."""
    fields = {name: name for name in CANONICAL_FIELDS[domain]}
    present = {k for r in records for k in r}
    if domain == "item" and "weight_lb" in present and "weight_kg" not in present:
        fields["weight_lb"] = fields.pop("weight_kg")
    try:
        return Mapping(source=system, domain=domain, key=KEY_FIELD, updated_at=UPDATED_FIELD, fields=fields)
    except ValueError as exc:
        raise DomainError(f"invalid system name {system!r}: use letters, digits, '_', '.', '-'") from exc


def source_table(records: list[Any]) -> SourceTable:
    """Records as the rows of a file: line = position in the call, 1-based."""
    table = SourceTable(columns=[])
    seen: dict[str, None] = {}
    for line, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            table.bad.append(BadRow(line, "a record must be a JSON object", _short(record)))
            continue
        nested = next((k for k, v in record.items() if isinstance(v, (dict, list))), None)
        if nested is not None:
            table.bad.append(BadRow(line, f"field {nested!r} must be a string, number, boolean or null", _short(record[nested])))
            continue
        seen.update(dict.fromkeys(record))
        table.rows.append({str(k): v for k, v in record.items()})
        table.lines.append(line)
    table.columns = list(seen)
    return table


def _short(value: Any) -> str:
    return json.dumps(value, default=str)[:200]


def request_hash(system: str, domain: str, records: list[Any]) -> str:
    blob = json.dumps([system, domain, records], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def upsert_records(
    session: Session,
    system: str,
    domain: str,
    records: list[Any],
    *,
    rules_for: RulesFor,
    now: datetime,
    idempotency_key: str | None = None,
    default_region: str = "US",
    correlation_id: str | None = None,
) -> UpsertResponse:
    """Validate, store, match and merge; one result per record, in order."""
    if domain not in DOMAINS:
        raise DomainError(f"unknown domain {domain!r}")
    if len(records) > MAX_RECORDS:
        raise DomainError(f"at most {MAX_RECORDS} records per call, got {len(records)}")
    digest = request_hash(system, domain, records)
    scope = f"upsert:{system}"[:64]
    mapping = api_mapping(system, domain, [r for r in records if isinstance(r, dict)])
    batch = prepare_rows(source_table(records), mapping, default_region=default_region)
    correlation_id = correlation_id or f"api-{uuid.uuid4()}"

    with domain_lock(session, domain):
        if idempotency_key:
            stored = session.get(IdempotencyKey, (idempotency_key, scope))
            if stored is not None:
                if stored.request_hash != digest:
                    raise Conflict(
                        f"idempotency key {idempotency_key!r} was used for a different request", idempotency_key=idempotency_key
                    )
                return UpsertResponse.from_json({**stored.response, "replayed": True})
        if domain in MATCHED_DOMAINS and batch.records:
            try:
                check_incremental(session, domain, rules_for(domain), MAX_BULK_IN_REQUEST - len(batch.records))
            except MatchModelOutdated as exc:
                raise Conflict(str(exc)) from exc
        load = LoadBatch(system=system, domain=domain, file=None, started_at=now, read=len(records))
        session.add(load)
        session.flush()
        outcome = store_records(session, system, domain, batch.records, now=now, load_id=load.id, correlation_id=correlation_id)
        finish_load(session, load, read=len(records), stored=outcome.stored, unchanged=outcome.unchanged,
                    rejects=batch.rejects, now=now)
        if outcome.stored and domain in MATCHED_DOMAINS:
            # Stored and matched in one transaction (match_domain commits both): one durable
            # commit per request, and a request that fails leaves nothing half done.
            match_domain(session, domain, rules_for(domain), now=now, correlation_id=correlation_id,
                         max_bulk=MAX_BULK_IN_REQUEST)
        else:
            session.commit()
        response = UpsertResponse(
            system, domain, _record_results(session, system, domain, records, batch, set(outcome.record_ids)),
            correlation_id=correlation_id,
        )
        if idempotency_key:
            session.add(
                IdempotencyKey(key=idempotency_key, scope=scope, request_hash=digest, response=response.to_json(), created_at=now)
            )
        session.commit()
    log.info(
        "upsert %s %s: %d stored, %d unchanged, %d rejected", system, domain, outcome.stored, outcome.unchanged,
        load.rejected, extra={"system": system, "domain": domain, "stored": outcome.stored,
                              "unchanged": outcome.unchanged, "rejected": load.rejected},
    )
    return response


def _record_results(session, system, domain, records, batch, touched: set[int]) -> list[RecordResult]:
    by_line = {r.line: r for r in batch.records}
    errors: dict[int, list[dict[str, Any]]] = {}
    warnings: dict[int, list[dict[str, Any]]] = {}
    for r in batch.rejects:
        entry = {"field": r.column, "message": r.reason, "value": None if r.value is None else str(r.value)[:200]}
        (errors if r.row_rejected else warnings).setdefault(r.line, []).append(entry)
    keys = [r.source_key for r in batch.records]
    linked = _linked(session, system, domain, keys)
    results = []
    for line, raw in enumerate(records, start=1):
        prepared = by_line.get(line)
        if prepared is None:
            key = raw.get(KEY_FIELD) if isinstance(raw, dict) else None
            results.append(RecordResult(line - 1, None if key is None else str(key), "rejected", errors=errors.get(line, [])))
            continue
        record_id, golden_id, decision = linked.get(prepared.source_key, (None, None, None))
        results.append(
            RecordResult(
                line - 1, prepared.source_key, "stored" if record_id in touched else "unchanged",
                golden_id=golden_id, decision=decision, warnings=warnings.get(line, []),
            )
        )
    return results


def _linked(session: Session, system: str, domain: str, keys: list[str]) -> dict[str, tuple[int, str | None, str | None]]:
    """source key -> (record id, golden id, decision) after matching."""
    out: dict[str, tuple[int, str | None, str | None]] = {}
    for start in range(0, len(keys), 900):
        chunk = keys[start : start + 900]
        rows = session.execute(
            select(SourceRecord.source_key, SourceRecord.id, Xref.golden_id)
            .outerjoin(Xref, Xref.record_id == SourceRecord.id)
            .where(SourceRecord.system == system, SourceRecord.domain == domain, SourceRecord.source_key.in_(chunk))
        ).all()
        ids = [r[1] for r in rows]
        goldens = sorted({r[2] for r in rows if r[2]})
        sizes = dict(
            session.execute(
                select(Xref.golden_id, func.count()).where(Xref.golden_id.in_(goldens)).group_by(Xref.golden_id)
            ).all()
        ) if goldens else {}
        # Found through the record indexes (one statement, a branch per side) and filtered here:
        # the status index would visit every pending pair.
        either_side = union_all(
            select(MatchCandidate.left_record_id, MatchCandidate.status).where(MatchCandidate.left_record_id.in_(ids)),
            select(MatchCandidate.right_record_id, MatchCandidate.status).where(MatchCandidate.right_record_id.in_(ids)),
        )
        in_review = {rid for rid, status in session.execute(either_side) if status == "pending"}
        for key, rid, gid in rows:
            if gid is None:
                decision = None
            elif rid in in_review:
                decision = "review"
            else:
                decision = "merged" if sizes.get(gid, 1) > 1 else "new"
            out[key] = (rid, gid, decision)
    return out


def delete_record(
    session: Session, system: str, domain: str, key: str, *, rules_for: RulesFor, now: datetime,
    correlation_id: str | None = None,
) -> DeleteResponse:
    """Mark a source record deleted (a new version) and re-match, which takes
    it out of its golden record; a golden record left empty is deleted."""
    if domain not in DOMAINS:
        raise DomainError(f"unknown domain {domain!r}")
    correlation_id = correlation_id or f"api-{uuid.uuid4()}"
    with domain_lock(session, domain):
        record = session.scalars(
            select(SourceRecord).where(
                SourceRecord.system == system, SourceRecord.domain == domain, SourceRecord.source_key == key
            )
        ).one_or_none()
        if record is None:
            raise NotFound(f"no {domain} record {key!r} from {system}")
        golden_id = session.scalar(select(Xref.golden_id).where(Xref.record_id == record.id))
        already = record.deleted
        if not already:
            mark_deleted(session, system, domain, [key], now=now, correlation_id=correlation_id)
            if domain in MATCHED_DOMAINS:  # marked and re-matched in one transaction, as upserts are
                match_domain(session, domain, rules_for(domain), now=now, correlation_id=correlation_id,
                             max_bulk=MAX_BULK_IN_REQUEST)
        status = None
        if golden_id is not None:
            status = session.scalar(select(GoldenRecord.status).where(GoldenRecord.id == golden_id))
        session.commit()
    log.info("delete %s %s %s: golden %s now %s", system, domain, key, golden_id, status,
             extra={"system": system, "domain": domain, "source_key": key, "golden_id": golden_id})
    return DeleteResponse(system, domain, key, golden_id, status, already)
