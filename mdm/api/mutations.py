"""Mutation root: source systems push and delete records; admins manage keys."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from mdm.api import ingest, keys
from mdm.api.auth import require_role
from mdm.api.errors import DomainError
from mdm.api.types import Domain, GoldenRecord, GoldenStatus, golden_type
from mdm.logging import current_correlation_id


@strawberry.enum(description="What happened to a pushed record.")
class RecordOutcome(enum.Enum):
    STORED = "stored"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@strawberry.enum(description="How matching placed a record: joined others, stands alone, or waits for a steward.")
class MatchDecision(enum.Enum):
    MERGED = "merged"
    NEW = "new"
    REVIEW = "review"


@strawberry.type(description="A problem with one field (or the whole record when field is null).")
class FieldError:
    field: str | None
    message: str
    value: str | None


@strawberry.type(description="The result for one pushed record, in the order sent.")
class RecordResult:
    index: int = strawberry.field(description="Position in `records`, from 0.")
    key: str | None
    outcome: RecordOutcome
    golden_id: strawberry.ID | None
    decision: MatchDecision | None
    errors: list[FieldError] = strawberry.field(description="Why the record was rejected.")
    warnings: list[FieldError] = strawberry.field(description="Fields dropped from a stored record.")

    @strawberry.field(description="The golden record it belongs to now.")
    async def golden_record(self, info: Info) -> GoldenRecord | None:
        if self.golden_id is None:
            return None
        return golden_type(await info.context.loaders.golden.load(str(self.golden_id)))


@strawberry.type
class UpsertResult:
    system: str
    domain: Domain
    replayed: bool = strawberry.field(description="True when this is the stored response of an earlier call with the same idempotency key.")
    correlation_id: str | None
    stored: int
    unchanged: int
    rejected: int
    records: list[RecordResult]


@strawberry.type
class DeleteResult:
    system: str
    domain: Domain
    key: str
    already_deleted: bool
    golden_id: strawberry.ID | None = strawberry.field(description="The golden record the source record belonged to.")
    golden_status: GoldenStatus | None = strawberry.field(description="That golden record's status now.")


@strawberry.type(description="An API key (never its secret).")
class ApiKeyInfo:
    prefix: str
    role: str
    system: str | None
    name: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, row) -> ApiKeyInfo:
        return cls(
            prefix=row.prefix, role=row.role, system=row.system, name=row.name, created_at=row.created_at,
            revoked_at=row.revoked_at, last_used_at=row.last_used_at,
        )


@strawberry.type
class CreatedApiKey:
    key: str = strawberry.field(description="The secret; shown once, store it now.")
    info: ApiKeyInfo


def _errors(entries: list[dict]) -> list[FieldError]:
    return [FieldError(field=e.get("field"), message=e["message"], value=e.get("value")) for e in entries]


def _upsert_result(response: ingest.UpsertResponse) -> UpsertResult:
    records = [
        RecordResult(
            index=r.index, key=r.key, outcome=RecordOutcome(r.outcome),
            golden_id=strawberry.ID(r.golden_id) if r.golden_id else None,
            decision=MatchDecision(r.decision) if r.decision else None,
            errors=_errors(r.errors), warnings=_errors(r.warnings),
        )
        for r in response.records
    ]
    count = lambda outcome: sum(1 for r in records if r.outcome == outcome)  # noqa: E731
    return UpsertResult(
        system=response.system, domain=Domain(response.domain), replayed=response.replayed,
        correlation_id=response.correlation_id, stored=count(RecordOutcome.STORED),
        unchanged=count(RecordOutcome.UNCHANGED), rejected=count(RecordOutcome.REJECTED), records=records,
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create or update source records of one system. Each record is a JSON object of canonical "
        "field names plus `key` (the source's primary key) and optionally `updated_at`; other names are kept "
        "as extra attributes. Records are validated like file loads, matched and merged before the call returns. "
        "Same content makes no new version; a repeated idempotencyKey replays the first response."
    )
    async def upsert_source_records(
        self, info: Info, system: str, domain: Domain, records: list[JSON], idempotency_key: str | None = None
    ) -> UpsertResult:
        require_role(info, "publisher", system=system)
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 255:
            raise DomainError("idempotencyKey must be 1 to 255 characters")
        services = info.context.services
        response = await info.context.db(
            ingest.upsert_records, system, domain.value, list(records),
            rules_for=services.rules_for, now=datetime.now(timezone.utc), idempotency_key=idempotency_key,
            default_region=services.settings.default_region, correlation_id=current_correlation_id(),
        )
        return _upsert_result(response)

    @strawberry.mutation(
        description="Mark a source record deleted; re-matching takes it out of its golden record "
        "(deleted when no member is left)."
    )
    async def delete_source_record(self, info: Info, system: str, domain: Domain, key: str) -> DeleteResult:
        require_role(info, "publisher", system=system)
        services = info.context.services
        r = await info.context.db(
            ingest.delete_record, system, domain.value, key, rules_for=services.rules_for, now=datetime.now(timezone.utc),
            correlation_id=current_correlation_id(),
        )
        return DeleteResult(
            system=r.system, domain=Domain(r.domain), key=r.key, already_deleted=r.already_deleted,
            golden_id=strawberry.ID(r.golden_id) if r.golden_id else None,
            golden_status=GoldenStatus(r.golden_status) if r.golden_status else None,
        )

    @strawberry.mutation(description="Create an API key (admin).")
    async def create_api_key(
        self, info: Info, role: str, system: str | None = None, name: str | None = None
    ) -> CreatedApiKey:
        require_role(info, "admin")
        try:
            created = await info.context.db(lambda s: keys.create_key(s, role, system=system, name=name))
        except ValueError as exc:
            raise DomainError(str(exc)) from None
        return CreatedApiKey(key=created.key, info=ApiKeyInfo.of(created.row))

    @strawberry.mutation(description="Revoke API keys by prefix or name (admin); returns the keys revoked.")
    async def revoke_api_key(self, info: Info, prefix_or_name: str) -> list[ApiKeyInfo]:
        require_role(info, "admin")
        rows = await info.context.db(keys.revoke_key, prefix_or_name)
        return [ApiKeyInfo.of(r) for r in rows]
