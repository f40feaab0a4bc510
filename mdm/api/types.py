"""GraphQL object types over the store's rows."""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, NewType, TypeVar

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from mdm.api import reads
from mdm.store import tables
from mdm.survivorship.lineage import expand as expand_lineage

BigInt = NewType("BigInt", int)
BIG_INT = strawberry.scalar(
    name="BigInt",
    serialize=int,
    parse_value=int,
    description="A 64-bit integer (event sequences), sent as a JSON number.",
)


@strawberry.enum(description="What a golden record is about.")
class Domain(enum.Enum):
    CUSTOMER = "customer"
    ITEM = "item"
    PRICE = "price"


@strawberry.enum(description="ACTIVE; MERGED into another record (its id is an alias now); DELETED (no members left).")
class GoldenStatus(enum.Enum):
    ACTIVE = "active"
    MERGED = "merged"
    DELETED = "deleted"


@strawberry.enum(description="Whether a golden record's members wait in the steward review queue.")
class ReviewState(enum.Enum):
    PENDING = "pending"
    NONE = "none"


# --- source records, lineage, history -------------------------------------------------


@strawberry.type(description="A source system's record as the hub holds it now (its latest version).")
class SourceRecord:
    id: int
    system: str
    domain: Domain
    key: str = strawberry.field(description="The source system's own primary key.")
    version: int
    deleted: bool
    fields: JSON = strawberry.field(description="Standardized canonical fields of the latest version.")
    raw: JSON = strawberry.field(description="The record as the source sent it.")
    extra: JSON = strawberry.field(description="Source columns that map to no canonical field.")
    source_updated_at: datetime | None
    loaded_at: datetime
    golden_id: strawberry.ID | None
    linked_by: str | None = strawberry.field(description="How it joined its golden record: auto | review | steward | new.")
    match_probability: float | None

    @classmethod
    def of(cls, member: reads.MemberRecord) -> SourceRecord:
        r, v, x = member.record, member.current, member.xref
        return cls(
            id=r.id, system=r.system, domain=Domain(r.domain), key=r.source_key, version=r.version,
            deleted=r.deleted, fields=v.fields, raw=v.raw, extra=v.extra,
            source_updated_at=reads.as_utc(v.source_updated_at), loaded_at=reads.as_utc(v.loaded_at),
            golden_id=strawberry.ID(x.golden_id) if x else None, linked_by=x.decided_by if x else None,
            match_probability=x.match_probability if x else None,
        )


@strawberry.type(description="A value that competed for a golden attribute.")
class LineageCandidate:
    value: JSON | None
    system: str | None
    source_key: str | None
    source_record_id: int | None
    outcome: str | None = strawberry.field(description="won | lost | dropped, when survivorship recorded it.")
    reason: str | None


@strawberry.type(description="Why a golden attribute has its value.")
class AttributeLineage:
    attribute: str
    value: JSON | None
    system: str | None = strawberry.field(description="Source system of the winning value.")
    source_key: str | None
    source_record_id: int | None
    strategy: str | None
    rule: str | None
    overridden: bool = strawberry.field(description="A steward pinned this value.")
    candidates: list[LineageCandidate]
    trace: JSON = strawberry.field(description="The full survivorship trace as stored.")

    @strawberry.field(description="The source record that supplied the value.")
    async def source_record(self, info: Info) -> SourceRecord | None:
        if self.source_record_id is None:
            return None
        member = await info.context.loaders.source_records.load(self.source_record_id)
        return SourceRecord.of(member) if member else None

    @classmethod
    def of(cls, attribute: str, value: Any, entry: Any) -> AttributeLineage:
        entry = entry if isinstance(entry, dict) else {"value": entry}
        winner = entry.get("winner") if isinstance(entry.get("winner"), dict) else entry
        return cls(
            attribute=attribute, value=value, system=winner.get("system"), source_key=winner.get("source_key"),
            source_record_id=_int(winner.get("record_id")), strategy=entry.get("strategy"), rule=entry.get("rule"),
            overridden=bool(entry.get("override")), candidates=[_candidate(c) for c in entry.get("candidates") or []],
            trace=entry,
        )


def _candidate(trace: Any) -> LineageCandidate:
    trace = trace if isinstance(trace, dict) else {"value": trace}
    inner = trace.get("candidate") if isinstance(trace.get("candidate"), dict) else trace
    return LineageCandidate(
        value=inner.get("value"), system=inner.get("system"), source_key=inner.get("source_key"),
        source_record_id=_int(inner.get("record_id")), outcome=trace.get("outcome"), reason=trace.get("reason"),
    )


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def lineage_list(attributes: dict, lineage: dict, only: str | None = None) -> list[AttributeLineage]:
    """Per attribute, its lineage; ``lineage`` as stored (compact or verbose, see ``expand_lineage``)."""
    lineage = expand_lineage(lineage or {}, only)
    names = [only] if only is not None else sorted(set(attributes) | set(lineage))
    return [
        AttributeLineage.of(name, attributes.get(name), lineage.get(name))
        for name in names
        if name in attributes or name in lineage
    ]


@strawberry.type(description="One version of a golden record, as it was after a change.")
class GoldenRecordVersion:
    version: int
    change_type: str
    changed_at: datetime
    values: JSON
    members: list[int] = strawberry.field(description="Source record ids that made up the record.")
    correlation_id: str | None
    _lineage: strawberry.Private[dict]

    @strawberry.field
    def lineage(self, attribute: str | None = None) -> list[AttributeLineage]:
        return lineage_list(self.values or {}, self._lineage, attribute)

    @classmethod
    def of(cls, row: tables.GoldenRecordVersion) -> GoldenRecordVersion:
        return cls(
            version=row.version, change_type=row.change_type, changed_at=reads.as_utc(row.changed_at),
            values=row.attributes, members=list(row.members or []), correlation_id=row.correlation_id,
            _lineage=row.lineage or {},
        )


@strawberry.type(description="A pair of source records in the review band, waiting for a steward.")
class MatchCandidate:
    id: int
    kind: str
    status: str
    match_probability: float | None
    match_weight: float | None
    explanation: JSON
    created_at: datetime
    left_record_id: int
    right_record_id: int

    @strawberry.field
    async def left(self, info: Info) -> SourceRecord | None:
        member = await info.context.loaders.source_records.load(self.left_record_id)
        return SourceRecord.of(member) if member else None

    @strawberry.field
    async def right(self, info: Info) -> SourceRecord | None:
        member = await info.context.loaders.source_records.load(self.right_record_id)
        return SourceRecord.of(member) if member else None

    @classmethod
    def of(cls, row: tables.MatchCandidate) -> MatchCandidate:
        return cls(
            id=row.id, kind=row.kind, status=row.status, match_probability=row.match_probability,
            match_weight=row.match_weight, explanation=row.explanation, created_at=reads.as_utc(row.created_at),
            left_record_id=row.left_record_id, right_record_id=row.right_record_id,
        )


# --- golden records -------------------------------------------------------------------


@strawberry.interface(description="The hub's trusted record of one real-world customer, item or price.")
class GoldenRecord:
    id: strawberry.ID
    domain: Domain
    status: GoldenStatus
    version: int
    created_at: datetime
    updated_at: datetime
    resolved_from: strawberry.ID | None = strawberry.field(
        description="The retired id that was asked for, when it was merged into this record."
    )
    merged_into: strawberry.ID | None = strawberry.field(
        description="The survivor the asked-for id was merged into (this record), else null."
    )
    values: JSON = strawberry.field(description="All golden attribute values, as stored.")
    _row: strawberry.Private[Any]

    @strawberry.field(description="Per attribute: the winning source, the rule that chose it, the candidates it beat.")
    def lineage(self, attribute: str | None = None) -> list[AttributeLineage]:
        return lineage_list(self._row.attributes or {}, self._row.lineage or {}, attribute)

    @strawberry.field(description="The member source records.")
    async def source_records(self, info: Info) -> list[SourceRecord]:
        return [SourceRecord.of(m) for m in await info.context.loaders.members.load(str(self.id))]

    @strawberry.field(description="Every version, oldest first.")
    async def history(self, info: Info) -> list[GoldenRecordVersion]:
        return [GoldenRecordVersion.of(v) for v in await info.context.loaders.history.load(str(self.id))]

    @strawberry.field(description="The version that was current at `time` (null before the record existed).")
    async def as_of(self, info: Info, time: datetime) -> GoldenRecordVersion | None:
        at = time if time.tzinfo else time.replace(tzinfo=timezone.utc)
        versions = await info.context.loaders.history.load(str(self.id))
        current = [v for v in versions if reads.as_utc(v.changed_at) <= at]
        return GoldenRecordVersion.of(current[-1]) if current else None

    @strawberry.field(description="Pending match candidates that involve any member.")
    async def match_candidates(self, info: Info) -> list[MatchCandidate]:
        return [MatchCandidate.of(c) for c in await info.context.loaders.candidates.load(str(self.id))]


def _base(resolved: reads.Resolved) -> dict[str, Any]:
    row = resolved.row
    return {
        "id": strawberry.ID(row.id), "domain": Domain(row.domain), "status": GoldenStatus(row.status),
        "version": row.version, "created_at": reads.as_utc(row.created_at), "updated_at": reads.as_utc(row.updated_at),
        "resolved_from": strawberry.ID(resolved.resolved_from) if resolved.resolved_from else None,
        "merged_into": strawberry.ID(row.id) if resolved.resolved_from else None,
        "values": row.attributes or {}, "_row": row,
    }


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value not in (None, "") else None
    except ValueError:
        return None


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@strawberry.type
class CustomerAttributes:
    name: str | None
    given_name: str | None
    family_name: str | None
    organization: str | None
    tax_id: str | None
    email: str | None
    phone: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    date_of_birth: date | None
    credit_limit: Decimal | None
    payment_terms: str | None
    segment: str | None
    account_owner: str | None
    status: str | None


@strawberry.type
class ItemAttributes:
    name: str | None
    description: str | None
    manufacturer: str | None
    mpn: str | None
    gtin: str | None
    sku: str | None
    category: str | None
    base_uom: str | None
    uom: str | None
    pack_qty: int | None
    weight_kg: Decimal | None
    status: str | None


@strawberry.type
class PriceAttributes:
    item_id: strawberry.ID | None
    customer_id: strawberry.ID | None
    price_list: str | None
    currency: str | None
    unit_price: Decimal | None
    uom: str | None
    min_qty: Decimal | None
    valid_from: date | None
    valid_to: date | None


_CONVERT = {date: _date, Decimal: _decimal, int: lambda v: _int(v)}


def _typed(cls: type, values: dict[str, Any]):
    kwargs = {}
    for f in cls.__strawberry_definition__.fields:
        raw = values.get(f.python_name)
        annotation = f.type.of_type if hasattr(f.type, "of_type") else f.type
        kwargs[f.python_name] = _CONVERT.get(annotation, _text)(raw)
    return cls(**kwargs)


@strawberry.type(description="A golden customer (person or organization).")
class Customer(GoldenRecord):
    attributes: CustomerAttributes

    @strawberry.field(description="Customer-specific prices (golden price records whose customer_id is this record).")
    async def prices(self, info: Info) -> list[Price]:
        return [Price.of(reads.Resolved(r)) for r in await info.context.loaders.prices.load(("customer", str(self.id)))]

    @classmethod
    def of(cls, resolved: reads.Resolved) -> Customer:
        return cls(**_base(resolved), attributes=_typed(CustomerAttributes, resolved.row.attributes or {}))


@strawberry.type(description="A golden item (product, part, SKU).")
class Item(GoldenRecord):
    attributes: ItemAttributes

    @strawberry.field(description="Prices of this item (golden price records whose item_id is this record).")
    async def prices(self, info: Info) -> list[Price]:
        return [Price.of(reads.Resolved(r)) for r in await info.context.loaders.prices.load(("item", str(self.id)))]

    @classmethod
    def of(cls, resolved: reads.Resolved) -> Item:
        return cls(**_base(resolved), attributes=_typed(ItemAttributes, resolved.row.attributes or {}))


@strawberry.type(description="A golden price: an item's price for a customer or a price list.")
class Price(GoldenRecord):
    attributes: PriceAttributes

    @strawberry.field
    async def item(self, info: Info) -> Item | None:
        if not self.attributes.item_id:
            return None
        found = await info.context.loaders.golden.load(str(self.attributes.item_id))
        return Item.of(found) if found and found.row.domain == "item" else None

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        if not self.attributes.customer_id:
            return None
        found = await info.context.loaders.golden.load(str(self.attributes.customer_id))
        return Customer.of(found) if found and found.row.domain == "customer" else None

    @classmethod
    def of(cls, resolved: reads.Resolved) -> Price:
        return cls(**_base(resolved), attributes=_typed(PriceAttributes, resolved.row.attributes or {}))


GOLDEN_TYPES: dict[str, type] = {"customer": Customer, "item": Item, "price": Price}


def golden_type(resolved: reads.Resolved | None) -> GoldenRecord | None:
    if resolved is None:
        return None
    return GOLDEN_TYPES[resolved.row.domain].of(resolved)


# --- pagination (Relay connections) ----------------------------------------------------

N = TypeVar("N")


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    node: N
    cursor: str


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo

    @classmethod
    def of(cls, page: reads.Page, convert, had_cursor: bool):
        edges = [Edge(node=convert(reads.Resolved(r)), cursor=reads.encode_cursor(r)) for r in page.rows]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, has_previous_page=had_cursor,
                start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.input(description="Narrows a list of golden records.")
class GoldenRecordFilter:
    updated_since: datetime | None = strawberry.field(default=None, description="Changed at or after this time.")
    status: GoldenStatus = GoldenStatus.ACTIVE
    source_system: str | None = strawberry.field(default=None, description="Has a member from this source system.")
    review_state: ReviewState | None = None


@strawberry.type(description="A search result: the record and how well it matched.")
class SearchHit:
    score: float = strawberry.field(description="0..100, higher is better.")
    matched_on: str = strawberry.field(description="The attribute that matched best.")
    record: GoldenRecord
