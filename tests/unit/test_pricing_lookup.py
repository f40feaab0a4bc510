"""price_on: the price of item X for customer Y on day D in currency C."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from mdm.pricing import PriceCandidate, UomConversionError, price_on, settle_overlaps
from mdm.survivorship import load_survivorship

RULES = load_survivorship(Path(__file__).resolve().parents[2] / "rules" / "price.yaml")
NOW = datetime(2024, 6, 1, tzinfo=UTC)
_ids = iter(range(1, 10_000))


def price(unit_price, *, customer=None, price_list=None, min_qty=None, uom="EA", currency="EUR",
          valid_from=date(2024, 1, 1), valid_to=date(2024, 12, 31)):
    record_id = next(_ids)
    return PriceCandidate(
        item_key="G-ITEM-1", customer_key=customer, price_list=price_list, currency=currency, uom=uom,
        unit_price=Decimal(unit_price), min_qty=min_qty, valid_from=valid_from, valid_to=valid_to,
        system="ERP", record_id=record_id, source_key=f"P-{record_id}", updated_at=NOW,
    )


PRICES = settle_overlaps(
    [
        price("10.00"),
        price("9.00", min_qty=Decimal(100)),
        price("8.50", price_list="WHOLESALE"),
        price("7.90", customer="G-CUST-7"),
        price("11.00", valid_from=date(2025, 1, 1), valid_to=None),
        price("9.20", currency="USD"),
        price("110.00", uom="CS"),
    ],
    RULES,
    now=NOW,
).prices


def test_a_customer_specific_price_comes_first():
    quote = price_on(PRICES, item_key="G-ITEM-1", customer_key="G-CUST-7", on=date(2024, 5, 1), currency="EUR")
    assert (quote.unit_price, quote.basis) == (Decimal("7.90"), "customer")


def test_without_a_customer_price_the_customers_price_list_applies():
    quote = price_on(PRICES, item_key="G-ITEM-1", customer_key="G-CUST-8", price_list="WHOLESALE",
                     on=date(2024, 5, 1), currency="EUR")
    assert (quote.unit_price, quote.basis) == (Decimal("8.50"), "price_list")


def test_without_customer_price_or_price_list_the_list_price_applies():
    quote = price_on(PRICES, item_key="G-ITEM-1", customer_key="G-CUST-8", on=date(2024, 5, 1), currency="EUR")
    assert (quote.unit_price, quote.basis) == (Decimal("10.00"), "list")


def test_the_price_valid_on_the_day_is_the_one_returned():
    quote = price_on(PRICES, item_key="G-ITEM-1", on=date(2025, 2, 1), currency="EUR")
    assert quote.unit_price == Decimal("11.00")


def test_the_currency_must_match():
    assert price_on(PRICES, item_key="G-ITEM-1", on=date(2024, 5, 1), currency="usd").unit_price == Decimal("9.20")
    assert price_on(PRICES, item_key="G-ITEM-1", on=date(2024, 5, 1), currency="CHF") is None


def test_a_quantity_reaching_a_break_gets_the_break_price():
    quote = price_on(PRICES, item_key="G-ITEM-1", on=date(2024, 5, 1), currency="EUR", quantity=150)
    assert quote.unit_price == Decimal("9.00")


def test_a_quantity_below_the_break_gets_the_base_price():
    quote = price_on(PRICES, item_key="G-ITEM-1", on=date(2024, 5, 1), currency="EUR", quantity=99)
    assert quote.unit_price == Decimal("10.00")


def test_without_a_quantity_the_base_tier_applies():
    assert price_on(PRICES, item_key="G-ITEM-1", on=date(2024, 5, 1), currency="EUR").unit_price == Decimal("10.00")


def test_a_price_in_the_requested_unit_is_preferred():
    quote = price_on(PRICES, item_key="G-ITEM-1", on=date(2024, 5, 1), currency="EUR", uom="CS")
    assert (quote.unit_price, quote.uom, quote.converted_from) == (Decimal("110.00"), "CS", None)


def test_a_price_in_another_unit_is_converted_through_the_pack_quantity():
    quote = price_on(PRICES, item_key="G-ITEM-1", customer_key="G-CUST-7", on=date(2024, 5, 1), currency="EUR",
                     uom="CS", pack_qty=12)
    assert (quote.unit_price, quote.uom, quote.converted_from) == (Decimal("94.80"), "CS", "EA")


def test_converting_without_a_pack_quantity_is_a_clear_error():
    with pytest.raises(UomConversionError, match="pack quantity"):
        price_on(PRICES, item_key="G-ITEM-1", customer_key="G-CUST-7", on=date(2024, 5, 1), currency="EUR", uom="CS")


def test_no_price_for_the_day_is_none():
    assert price_on(PRICES, item_key="G-ITEM-1", on=date(2023, 5, 1), currency="EUR") is None
