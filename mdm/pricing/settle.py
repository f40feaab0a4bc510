"""Settle overlapping prices from several sources into one price per key and period.

For each price key, the validity periods of all its candidates are cut at
every boundary; each elementary period is decided by the survivorship rules
for ``unit_price`` (ERP by default, via source priority), and neighbouring
periods with the same winner are joined again. Where a losing candidate
disagrees with the winner by more than the tolerance, stewards get a
``PriceConflict``.
"""

from datetime import date, datetime
from decimal import Decimal
from collections.abc import Hashable, Iterable
from itertools import pairwise

from pydantic import AwareDatetime, BaseModel, ConfigDict

from mdm.models.canonical import Price
from mdm.pricing.keys import PriceKey, golden_price_key
from mdm.pricing.periods import Period
from mdm.survivorship import CandidateTrace, Decision, MemberRecord, SurvivorshipRules, decide

DEFAULT_TOLERANCE = Decimal("0.02")
PRICE_ATTRIBUTE = "unit_price"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PriceCandidate(Price):
    """One source price (the canonical price's fields), its item and customer
    already resolved to golden ids through the xref."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    system: str
    record_id: int
    source_key: str
    version: int = 1
    updated_at: AwareDatetime

    @property
    def key(self) -> PriceKey:
        return golden_price_key(
            self.item_key, self.customer_key, self.price_list, self.currency, self.uom, self.min_qty
        )

    @property
    def period(self) -> Period:
        return Period(self.valid_from, self.valid_to)

    def member(self) -> MemberRecord:
        fields = self.model_dump(
            mode="json", include={"item_key", "customer_key", "price_list", "currency", "unit_price", "uom",
                                  "min_qty", "valid_from", "valid_to"}
        )
        return MemberRecord(
            record_id=self.record_id, system=self.system, source_key=self.source_key,
            version=self.version, updated_at=self.updated_at, fields=fields,
        )


class SettledPrice(_Frozen):
    """The golden price of one key over one period, with the decision that chose it."""

    key: PriceKey
    item_key: str
    customer_key: str | None
    price_list: str | None
    currency: str
    unit_price: Decimal
    uom: str | None
    min_qty: Decimal | None
    valid_from: date | None
    valid_to: date | None
    winner: PriceCandidate
    decision: Decision

    @property
    def period(self) -> Period:
        return Period(self.valid_from, self.valid_to)


class PriceConflict(_Frozen):
    """Two candidates for the same price and period that disagree beyond the tolerance."""

    key: PriceKey
    valid_from: date | None
    valid_to: date | None
    winner: PriceCandidate
    other: PriceCandidate
    relative_difference: Decimal


class SettledPrices(_Frozen):
    prices: list[SettledPrice]
    conflicts: list[PriceConflict]


def relative_difference(a: Decimal, b: Decimal) -> Decimal:
    """|a - b| relative to the larger of the two: symmetric, 0 for equal prices, at most 1."""
    larger = max(abs(a), abs(b))
    return Decimal(0) if larger == 0 else abs(a - b) / larger


def settle_overlaps(
    prices: list[PriceCandidate],
    rules: SurvivorshipRules,
    tolerance: Decimal = DEFAULT_TOLERANCE,
    *,
    now: datetime,
) -> SettledPrices:
    """Non-overlapping periods per price key, one winner each, plus the conflicts stewards should see."""
    groups: dict[PriceKey, list[PriceCandidate]] = {}
    for price in prices:
        groups.setdefault(price.key, []).append(price)
    settled: list[SettledPrice] = []
    conflicts: list[PriceConflict] = []
    for key in sorted(groups, key=str):
        group_prices, group_conflicts = _settle_key(key, groups[key], rules, Decimal(tolerance), now)
        settled += group_prices
        conflicts += group_conflicts
    return SettledPrices(prices=settled, conflicts=conflicts)


def _settle_key(
    key: PriceKey, prices: list[PriceCandidate], rules: SurvivorshipRules, tolerance: Decimal, now: datetime
) -> tuple[list[SettledPrice], list[PriceConflict]]:
    ids = [p.record_id for p in prices]
    if len(set(ids)) != len(ids):
        raise ValueError(f"price {key}: record ids must be unique, got {sorted(ids)}")
    by_id = {p.record_id: p for p in prices}
    members = [p.member() for p in prices]
    bounds = sorted({p.period.start for p in prices} | {p.period.end for p in prices})
    # Elementary periods: (start, end, decision), in date order.
    pieces: list[tuple[int, int, Decision]] = []
    for start, end in pairwise(bounds):
        covering = [m for m, p in zip(members, prices) if p.period.start <= start and end <= p.period.end]
        if not covering:
            continue
        decision = decide(rules, PRICE_ATTRIBUTE, covering, now=now)
        if decision.winner is not None:
            pieces.append((start, end, decision))

    settled = [
        _settled_price(key, by_id[winner], start, end, [d for s, _, d in pieces if start <= s < end])
        for start, end, winner in _join((s, e, d.winner.record_id) for s, e, d in pieces)
    ]
    disagreements = (
        (s, e, (d.winner.record_id, t.candidate.record_id))
        for s, e, d in pieces
        for t in d.candidates
        if t.outcome == "lost" and relative_difference(by_id[d.winner.record_id].unit_price,
                                                       by_id[t.candidate.record_id].unit_price) > tolerance
    )
    conflicts = []
    for start, end, (winner, other) in sorted(_join(sorted(disagreements, key=lambda x: (x[2], x[0]))),
                                             key=lambda x: (x[0], x[2])):
        period = Period.from_ordinals(start, end)
        conflicts.append(
            PriceConflict(
                key=key,
                valid_from=period.valid_from,
                valid_to=period.valid_to,
                winner=by_id[winner],
                other=by_id[other],
                relative_difference=relative_difference(by_id[winner].unit_price, by_id[other].unit_price),
            )
        )
    return settled, conflicts


def _join(spans: Iterable[tuple[int, int, Hashable]]) -> list[tuple[int, int, Hashable]]:
    """Join consecutive spans that touch and carry the same tag."""
    joined: list[tuple[int, int, Hashable]] = []
    for start, end, tag in spans:
        if joined and joined[-1][1] == start and joined[-1][2] == tag:
            joined[-1] = (joined[-1][0], end, tag)
        else:
            joined.append((start, end, tag))
    return joined


def _settled_price(
    key: PriceKey, winner: PriceCandidate, start: int, end: int, decisions: list[Decision]
) -> SettledPrice:
    period = Period.from_ordinals(start, end)
    # One trace for the joined period: each candidate's first fate in it.
    traces: dict[int, CandidateTrace] = {}
    for decision in decisions:
        for trace in decision.candidates:
            traces.setdefault(trace.candidate.record_id, trace)
    decision = decisions[0].model_copy(update={"candidates": list(traces.values())})
    return SettledPrice(
        key=key,
        item_key=winner.item_key,
        customer_key=winner.customer_key,
        price_list=winner.price_list,
        currency=winner.currency,
        unit_price=winner.unit_price,
        uom=winner.uom,
        min_qty=winner.min_qty,
        valid_from=period.valid_from,
        valid_to=period.valid_to,
        winner=winner,
        decision=decision,
    )
