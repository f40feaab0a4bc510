"""Query root: lookups, lists, search and prices."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import strawberry
from strawberry.types import Info

from mdm.api import reads
from mdm.api.auth import require_role
from mdm.api.errors import DomainError
from mdm.api.keys import list_keys
from mdm.api.mutations import ApiKeyInfo
from mdm.api.ops import OpsStats, ops_stats
from mdm.api.types import (
    Connection,
    Customer,
    Domain,
    GoldenRecord,
    GoldenRecordFilter,
    Item,
    Price,
    ReviewState,
    SearchHit,
    golden_type,
)

MAX_PAGE = 200
MAX_SEARCH = 100


@strawberry.type(description="The calling API key.")
class Caller:
    role: str
    system: str | None
    name: str | None
    prefix: str


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


async def _golden(info: Info, gid: str, domain: str | None = None):
    require_role(info, "reader")
    found = await info.context.loaders.golden.load(gid)
    if found is None or (domain is not None and found.row.domain != domain):
        return None
    return golden_type(found)


async def _page(info: Info, domain: str, first: int, after: str | None, filter: GoldenRecordFilter | None):
    require_role(info, "reader")
    if not 0 <= first <= MAX_PAGE:
        raise DomainError(f"first must be between 0 and {MAX_PAGE}, got {first}")
    f = filter or GoldenRecordFilter()
    where = reads.PageFilter(
        domain=domain, status=f.status.value, updated_since=_utc(f.updated_since), source_system=f.source_system,
        in_review=None if f.review_state is None else f.review_state == ReviewState.PENDING,
    )
    if after:
        try:
            reads.decode_cursor(after)
        except ValueError as exc:
            raise DomainError(str(exc)) from None
    page = await info.context.db(reads.page_of_golden, where, first, after)
    return page


@strawberry.type
class Query:
    @strawberry.field(description="The calling API key's role and system.")
    def me(self, info: Info) -> Caller:
        p = require_role(info, "reader")
        return Caller(role=p.role, system=p.system, name=p.name, prefix=p.prefix)

    @strawberry.field(description="Every API key, revoked ones too (admin).")
    async def api_keys(self, info: Info) -> list[ApiKeyInfo]:
        require_role(info, "admin")
        return [ApiKeyInfo.of(r) for r in await info.context.db(list_keys)]

    @strawberry.field(description="A golden customer by id; a merged (alias) id resolves to its survivor.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        return await _golden(info, str(id), "customer")

    @strawberry.field(description="A golden item by id; a merged (alias) id resolves to its survivor.")
    async def item(self, info: Info, id: strawberry.ID) -> Item | None:
        return await _golden(info, str(id), "item")

    @strawberry.field(description="Any golden record by id; a merged (alias) id resolves to its survivor.")
    async def golden_record(self, info: Info, id: strawberry.ID) -> GoldenRecord | None:
        return await _golden(info, str(id))

    @strawberry.field(description="The golden record a source system's record belongs to, by that system's own key.")
    async def by_source_key(self, info: Info, system: str, domain: Domain, key: str) -> GoldenRecord | None:
        require_role(info, "reader")
        gid = await info.context.loaders.by_source_key.load((system, domain.value, key))
        return await _golden(info, gid) if gid else None

    @strawberry.field(description="Golden customers, oldest change first (keyset pages).")
    async def customers(
        self, info: Info, first: int = 20, after: str | None = None, filter: GoldenRecordFilter | None = None
    ) -> Connection[Customer]:
        page = await _page(info, "customer", first, after, filter)
        return Connection.of(page, Customer.of, bool(after))

    @strawberry.field(description="Golden items, oldest change first (keyset pages).")
    async def items(
        self, info: Info, first: int = 20, after: str | None = None, filter: GoldenRecordFilter | None = None
    ) -> Connection[Item]:
        page = await _page(info, "item", first, after, filter)
        return Connection.of(page, Item.of, bool(after))

    @strawberry.field(description="Golden records of any domain, oldest change first (keyset pages).")
    async def golden_records(
        self, info: Info, domain: Domain, first: int = 20, after: str | None = None,
        filter: GoldenRecordFilter | None = None,
    ) -> Connection[GoldenRecord]:
        page = await _page(info, domain.value, first, after, filter)
        return Connection.of(page, golden_type, bool(after))

    @strawberry.field(description="Fuzzy search over active golden customers or items, best first.")
    async def search(self, info: Info, domain: Domain, text: str, first: int = 10) -> list[SearchHit]:
        require_role(info, "reader")
        if domain == Domain.PRICE:
            raise DomainError("search covers customers and items; look prices up with `price`")
        if not 1 <= first <= MAX_SEARCH:
            raise DomainError(f"first must be between 1 and {MAX_SEARCH}, got {first}")
        if len(text.strip()) < 2:
            raise DomainError("search text needs at least 2 characters")
        index = info.context.services.search_index(domain.value)
        hits = await info.context.db(index.search, text[:200], first)
        records = await info.context.loaders.golden.load_many([h.golden_id for h in hits])
        return [
            SearchHit(score=h.score, matched_on=h.matched_on, record=golden_type(r))
            for h, r in zip(hits, records)
            if r is not None and r.row.status == "active"
        ]

    @strawberry.field(
        description="The price of an item on a date: a customer's own price before the price list, "
        "then the highest quantity break not above `quantity`."
    )
    async def price(
        self, info: Info, item: strawberry.ID, customer: strawberry.ID | None = None, date: date | None = None,
        currency: str | None = None, quantity: Decimal = Decimal(1),
    ) -> Price | None:
        require_role(info, "reader")
        item_rec = await info.context.loaders.golden.load(str(item))
        if item_rec is None:
            return None
        customer_rec = await info.context.loaders.golden.load(str(customer)) if customer else None
        customer_id = customer_rec.row.id if customer_rec else None
        candidates = await info.context.loaders.prices.load(("item", item_rec.row.id))
        chosen = choose_price(
            [r.attributes or {} for r in candidates], customer_id=customer_id, on=date or datetime.now(timezone.utc).date(),
            currency=currency.upper() if currency else None, quantity=quantity,
        )
        return Price.of(reads.Resolved(candidates[chosen])) if chosen is not None else None

    ops_stats: OpsStats = strawberry.field(
        resolver=ops_stats,
        description="Trends and health for the operations page: golden changes and review items per day, "
        "golden counts, review queues, delivery per subscriber, rejects per source system.",
    )


def choose_price(prices: list[dict], *, customer_id: str | None, on: date, currency: str | None, quantity: Decimal) -> int | None:
    """Index of the applicable price: valid on the date, in the currency, for
    this customer (or no customer), min_qty reached; the customer's own price
    first, then the highest quantity break, then the latest valid_from."""
    best, best_key = None, None
    for i, p in enumerate(prices):
        if currency and p.get("currency") != currency:
            continue
        if p.get("customer_id") not in (None, customer_id):
            continue
        start, end = p.get("valid_from"), p.get("valid_to")
        if (start and str(start) > on.isoformat()) or (end and str(end) < on.isoformat()):
            continue
        try:
            min_qty = Decimal(str(p.get("min_qty") or 0))
        except ArithmeticError:
            continue
        if min_qty > quantity:
            continue
        key = (p.get("customer_id") is not None, min_qty, str(start or ""))
        if best_key is None or key > best_key:
            best, best_key = i, key
    return best
