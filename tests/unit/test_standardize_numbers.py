from decimal import Decimal

import pytest

from mdm.standardize import InvalidValue, parse_decimal


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1234", "1234"),
        ("1,234.50", "1234.50"),
        ("$1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1 234,50", "1234.50"),
        ("1'234.50", "1234.50"),
        ("1,234", "1234"),
        ("1,234,567", "1234567"),
        ("1.234.567", "1234567"),
        ("1.234.567,8", "1234567.8"),
        ("12,5", "12.5"),
        ("1234,50", "1234.50"),
        ("1.234", "1.234"),
        ("0.5", "0.5"),
        (".5", "0.5"),
        ("12.5 USD", "12.5"),
        ("EUR 12,50", "12.50"),
        ("€12,50", "12.50"),
        ("US$ 99", "99"),
        ("£1,000.00", "1000.00"),
        ("+7", "7"),
        ("1.5E3", "1.5E+3"),
    ],
)
def test_parse_decimal_reads_amounts(raw, expected):
    assert parse_decimal(raw) == Decimal(expected)


@pytest.mark.parametrize("raw, expected", [("-12", "-12"), ("(12.00)", "-12.00"), ("($1,234.50)", "-1234.50"), ("12.00-", "-12.00"), ("-$5", "-5")])
def test_parse_decimal_reads_negatives(raw, expected):
    assert parse_decimal(raw) == Decimal(expected)


def test_parse_decimal_keeps_trailing_zeros_as_written():
    assert str(parse_decimal("1,234.50")) == "1234.50"


@pytest.mark.parametrize("raw, expected", [(12, "12"), (0.1, "0.1"), (1234.5, "1234.5"), (Decimal("3.14"), "3.14")])
def test_parse_decimal_takes_numbers_without_float_noise(raw, expected):
    assert str(parse_decimal(raw)) == expected


@pytest.mark.parametrize(
    "raw",
    ["abc", "12 kg", "12 5", "1 23,5", "1,23,456", "1.234,567,8", "1,2,3", "12..5", "1.2.3,4.5", "--5", "()", "$", True, float("inf")],
)
def test_parse_decimal_rejects_garbage(raw):
    with pytest.raises(InvalidValue):
        parse_decimal(raw)


@pytest.mark.parametrize("raw", [None, "", "  ", "N/A", float("nan")])
def test_parse_decimal_of_nothing_is_none(raw):
    assert parse_decimal(raw) is None
