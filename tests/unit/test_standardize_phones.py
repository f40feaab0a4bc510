import pytest

from mdm.standardize import InvalidValue, to_e164


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("(555) 123-4567", "+15551234567"),
        ("555-123-4567", "+15551234567"),
        ("555.123.4567 x12", "+15551234567"),
        ("555-123-4567 ext. 99", "+15551234567"),
        ("+1 555 123 4567", "+15551234567"),
        ("1-555-123-4567", "+15551234567"),
        ("001-555-123-4567", "+15551234567"),
        ("011 49 30 1234567", "+49301234567"),
        ("0049 30 1234567", "+49301234567"),
        ("+44 20 7946 0958", "+442079460958"),
        ("tel:+1-555-123-4567", "+15551234567"),
        (5551234567, "+15551234567"),
        (5551234567.0, "+15551234567"),
        ("5551234567.0", "+15551234567"),
    ],
)
def test_to_e164_reads_us_and_international_shapes(raw, expected):
    assert to_e164(raw) == expected


@pytest.mark.parametrize(
    "raw, region, expected",
    [("030 1234567", "DE", "+49301234567"), ("030 1234567", "de", "+49301234567"), ("020 7946 0958", "GB", "+442079460958"), ("+1 555 123 4567", None, "+15551234567")],
)
def test_to_e164_reads_national_numbers_in_the_default_region(raw, region, expected):
    assert to_e164(raw, default_region=region) == expected


@pytest.mark.parametrize("raw", ["123", "555-1234", "1-800-FLOWERS", "call me", "000-000-0000", "+999 123 4567", "12345678901234567"])
def test_to_e164_rejects_garbage(raw):
    with pytest.raises(InvalidValue):
        to_e164(raw)


@pytest.mark.parametrize("raw", [None, "", " ", "N/A"])
def test_to_e164_of_nothing_is_none(raw):
    assert to_e164(raw) is None
