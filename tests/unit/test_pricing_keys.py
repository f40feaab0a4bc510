"""Golden price keys and validity periods."""

from datetime import date

import pytest

from mdm.pricing import Period, golden_price_key


def test_a_price_key_normalizes_currency_unit_and_quantity_tier():
    key = golden_price_key("G-ITEM-1", "G-CUST-9", None, " eur", "cs", "10.00")
    assert key == golden_price_key("G-ITEM-1", "G-CUST-9", "", "EUR", "CS", 10)
    assert str(key) == "G-ITEM-1|G-CUST-9||EUR|CS|10"


def test_a_missing_minimum_quantity_is_the_base_tier():
    assert golden_price_key("I", None, "LIST", "EUR", "EA", None) == golden_price_key("I", None, "LIST", "EUR", "EA", 0)


def test_customer_price_and_list_price_have_different_keys():
    assert golden_price_key("I", "C", None, "EUR", "EA", None) != golden_price_key("I", None, "LIST", "EUR", "EA", None)


def test_a_period_includes_both_its_first_and_last_day():
    period = Period(date(2024, 1, 1), date(2024, 12, 31))
    assert period.contains(date(2024, 1, 1)) and period.contains(date(2024, 12, 31))
    assert not period.contains(date(2025, 1, 1))


def test_an_open_period_has_no_end():
    assert Period(date(2024, 1, 1), None).contains(date(2999, 1, 1))


def test_periods_that_share_a_day_overlap_and_adjacent_ones_do_not():
    year = Period(date(2024, 1, 1), date(2024, 12, 31))
    assert year.overlaps(Period(date(2024, 12, 31), None))
    assert not year.overlaps(Period(date(2025, 1, 1), None))


def test_a_reversed_period_is_refused():
    with pytest.raises(ValueError, match="valid_to 2024-01-01 is before valid_from 2024-02-01"):
        Period(date(2024, 2, 1), date(2024, 1, 1))
