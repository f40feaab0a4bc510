import pytest

from mdm.standardize import InvalidValue, gtin_check_digit, is_valid_gtin, normalize_gtin


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("036000291452", "00036000291452"),  # UPC-A
        ("4006381333931", "04006381333931"),  # EAN-13
        ("96385074", "00000096385074"),  # GTIN-8
        ("10036000291459", "10036000291459"),  # GTIN-14
        ("0 36000 29145 2", "00036000291452"),
        ("0-36000-29145-2", "00036000291452"),
        ("36000291452", "00036000291452"),  # UPC that lost its leading zero
        (36000291452, "00036000291452"),
        (4006381333931.0, "04006381333931"),
        ("4006381333931.0", "04006381333931"),
        (1.23456789012e11, "00123456789012"),
        ("4.006381333931E+12", "04006381333931"),
    ],
)
def test_normalize_gtin_returns_gtin14(raw, expected):
    assert normalize_gtin(raw) == expected


def test_normalize_gtin_names_the_expected_check_digit():
    with pytest.raises(InvalidValue, match="GTIN check digit is 3, expected 2"):
        normalize_gtin("036000291453")


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("12345", "has 5 digits"),
        ("123456789012345", "has 15 digits"),
        ("03600029145X", "only digits"),
        ("00000000", "all zeros"),
        ("4.00638E+12", "check digit"),
        (1234.5, "whole number"),
    ],
)
def test_normalize_gtin_rejects_malformed_codes(raw, reason):
    with pytest.raises(InvalidValue, match=reason):
        normalize_gtin(raw)


@pytest.mark.parametrize("raw", [None, "", "  ", "N/A"])
def test_normalize_gtin_of_nothing_is_none(raw):
    assert normalize_gtin(raw) is None


@pytest.mark.parametrize("body, digit", [("03600029145", 2), ("400638133393", 1), ("9638507", 4), ("1003600029145", 9)])
def test_gtin_check_digit(body, digit):
    assert gtin_check_digit(body) == digit


def test_gtin_check_digit_rejects_non_digits():
    with pytest.raises(InvalidValue):
        gtin_check_digit("12A4")


@pytest.mark.parametrize("raw, expected", [("036000291452", True), ("036000291453", False), ("junk", False), (None, False)])
def test_is_valid_gtin(raw, expected):
    assert is_valid_gtin(raw) is expected
