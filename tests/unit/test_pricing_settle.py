"""Settling overlapping prices from several sources into non-overlapping golden periods."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.pricing import PriceCandidate, settle_overlaps
from mdm.survivorship import load_survivorship

RULES = load_survivorship(Path(__file__).resolve().parents[2] / "rules" / "price.yaml")
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def price(record_id, system, unit_price, valid_from=None, valid_to=None, **extra):
    return PriceCandidate(
        item_key="G-ITEM-1",
        price_list="LIST",
        currency="EUR",
        uom="EA",
        unit_price=Decimal(unit_price),
        valid_from=valid_from,
        valid_to=valid_to,
        system=system,
        record_id=record_id,
        source_key=f"{system}-{record_id}",
        updated_at=extra.pop("updated_at", datetime(2024, 1, 1, tzinfo=UTC)),
        **extra,
    )


def periods(settled):
    return [(p.valid_from, p.valid_to, p.unit_price, p.winner.system) for p in settled.prices]


def test_erp_wins_where_it_overlaps_and_the_other_source_fills_the_rest():
    settled = settle_overlaps(
        [price(1, "ERP", "10.00", date(2024, 1, 1), date(2024, 6, 30)),
         price(2, "CRM", "10.10", date(2024, 4, 1), date(2024, 12, 31))],
        RULES,
        now=NOW,
    )
    assert periods(settled) == [
        (date(2024, 1, 1), date(2024, 6, 30), Decimal("10.00"), "ERP"),
        (date(2024, 7, 1), date(2024, 12, 31), Decimal("10.10"), "CRM"),
    ]


def test_a_price_inside_a_longer_one_splits_nothing_when_the_longer_one_wins():
    settled = settle_overlaps(
        [price(1, "ERP", "10.00", date(2024, 1, 1), date(2024, 12, 31)),
         price(2, "CRM", "10.00", date(2024, 3, 1), date(2024, 3, 31))],
        RULES,
        now=NOW,
    )
    assert periods(settled) == [(date(2024, 1, 1), date(2024, 12, 31), Decimal("10.00"), "ERP")]


def test_a_winning_price_inside_a_longer_one_splits_it_in_three():
    two_erp = [
        price(1, "ERP", "10.00", date(2024, 1, 1), date(2024, 12, 31), updated_at=datetime(2024, 1, 1, tzinfo=UTC)),
        price(2, "ERP", "8.00", date(2024, 3, 1), date(2024, 3, 31), updated_at=datetime(2024, 2, 1, tzinfo=UTC)),
    ]
    assert periods(settle_overlaps(two_erp, RULES, now=NOW)) == [
        (date(2024, 1, 1), date(2024, 2, 29), Decimal("10.00"), "ERP"),
        (date(2024, 3, 1), date(2024, 3, 31), Decimal("8.00"), "ERP"),
        (date(2024, 4, 1), date(2024, 12, 31), Decimal("10.00"), "ERP"),
    ]


def test_settled_periods_never_overlap():
    settled = settle_overlaps(
        [price(1, "ERP", "10.00", date(2024, 1, 1), None),
         price(2, "CRM", "11.00", None, date(2024, 3, 31)),
         price(3, "WMS", "9.00", date(2024, 2, 1), date(2024, 8, 31))],
        RULES,
        now=NOW,
    )
    found = [p.period for p in settled.prices]
    assert all(not a.overlaps(b) for i, a in enumerate(found) for b in found[i + 1:])
    assert [p.winner.system for p in settled.prices] == ["CRM", "ERP"]


def test_each_settled_period_carries_the_trace_of_who_lost_and_why():
    settled = settle_overlaps(
        [price(1, "ERP", "10.00", date(2024, 1, 1), date(2024, 12, 31)),
         price(2, "CRM", "10.05", date(2024, 1, 1), date(2024, 12, 31))],
        RULES,
        now=NOW,
    )
    decision = settled.prices[0].decision
    assert decision.rule == "price.unit_price[0]: source_priority [ERP, CRM]"
    assert [(t.candidate.system, t.outcome, t.reason) for t in decision.candidates] == [
        ("ERP", "won", "chosen by price.unit_price[0]: source_priority [ERP, CRM]"),
        ("CRM", "lost", "lower source priority: CRM after ERP"),
    ]


def test_prices_with_different_keys_are_settled_apart():
    settled = settle_overlaps(
        [price(1, "ERP", "10.00"), price(2, "CRM", "100.00", customer_key="G-CUST-7")], RULES, now=NOW
    )
    assert sorted(p.unit_price for p in settled.prices) == [Decimal("10.00"), Decimal("100.00")]
    assert settled.conflicts == []


def test_sources_disagreeing_beyond_the_tolerance_on_an_overlap_raise_a_conflict():
    settled = settle_overlaps(
        [price(1, "ERP", "10.00", date(2024, 1, 1), date(2024, 6, 30)),
         price(2, "CRM", "10.50", date(2024, 4, 1), date(2024, 12, 31))],
        RULES,
        now=NOW,
    )
    [conflict] = settled.conflicts
    assert (conflict.winner.system, conflict.other.system) == ("ERP", "CRM")
    assert (conflict.valid_from, conflict.valid_to) == (date(2024, 4, 1), date(2024, 6, 30))
    assert round(conflict.relative_difference, 4) == Decimal("0.0476")


def test_a_conflict_spans_the_whole_overlap_even_where_a_third_source_splits_it():
    settled = settle_overlaps(
        [price(1, "ERP", "10.00", date(2024, 1, 1), date(2024, 12, 31)),
         price(2, "CRM", "10.50", date(2024, 3, 1), date(2024, 12, 31)),
         price(3, "WMS", "10.00", date(2024, 6, 1), date(2024, 6, 30))],
        RULES,
        now=NOW,
    )
    assert [(c.other.system, c.valid_from, c.valid_to) for c in settled.conflicts] == [
        ("CRM", date(2024, 3, 1), date(2024, 12, 31))
    ]


def test_a_difference_within_the_tolerance_is_no_conflict():
    settled = settle_overlaps(
        [price(1, "ERP", "10.00"), price(2, "CRM", "10.15")], RULES, now=NOW
    )
    assert settled.conflicts == []


def test_the_tolerance_is_configurable():
    candidates = [price(1, "ERP", "10.00"), price(2, "CRM", "10.15")]
    assert len(settle_overlaps(candidates, RULES, Decimal("0.01"), now=NOW).conflicts) == 1


def test_prices_that_do_not_overlap_never_conflict():
    settled = settle_overlaps(
        [price(1, "ERP", "10.00", date(2024, 1, 1), date(2024, 6, 30)),
         price(2, "CRM", "20.00", date(2024, 7, 1), date(2024, 12, 31))],
        RULES,
        now=NOW,
    )
    assert settled.conflicts == []
    assert len(settled.prices) == 2


days = st.integers(min_value=0, max_value=60).map(lambda n: date(2024, 1, 1) + timedelta(days=n))


@st.composite
def overlapping_prices(draw):
    prices = []
    for record_id in range(1, draw(st.integers(min_value=1, max_value=5)) + 1):
        start, end = sorted([draw(days), draw(days)])
        prices.append(
            price(
                record_id,
                draw(st.sampled_from(["ERP", "CRM", "WMS"])),
                draw(st.sampled_from(["10.00", "10.10", "12.00"])),
                draw(st.one_of(st.none(), st.just(start))),
                draw(st.one_of(st.none(), st.just(end))),
                updated_at=datetime(2024, 1, draw(st.integers(1, 28)), tzinfo=UTC),
            )
        )
    return prices


@settings(max_examples=50, deadline=None)
@given(candidates=overlapping_prices())
def test_every_day_some_source_prices_has_exactly_one_settled_price(candidates):
    settled = settle_overlaps(candidates, RULES, now=NOW).prices
    for day in (date(2024, 1, 1) + timedelta(days=n) for n in range(-1, 63)):
        covering = [p for p in settled if p.period.contains(day)]
        assert len(covering) == (1 if any(c.period.contains(day) for c in candidates) else 0)
        if covering:
            assert covering[0].winner.period.contains(day)
