import datetime as dt

import pytest

from mdm.standardize import InvalidValue, parse_date, parse_datetime

UTC = dt.timezone.utc
MARCH_5 = dt.date(2024, 3, 5)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-03-05",
        " 2024-03-05 ",
        "2024/03/05",
        "2024-03-05T10:00:00Z",
        "2024-03-05 10:11:12",
        "2024-03-05T23:30:00-05:00",
        "3/5/2024",
        "03/05/2024",
        "03/05/24",
        "3/5/2024 14:30",
        "3/5/2024 2:30 PM",
        "05.03.2024",
        "5.3.2024",
        "20240305",
        20240305,
        20240305.0,
        "20240305101112",
        "05-Mar-2024",
        "5 March 2024",
        "March 5, 2024",
        "Mar 5, 2024",
        dt.date(2024, 3, 5),
        dt.datetime(2024, 3, 5, 10, 0),
    ],
)
def test_parse_date_reads_common_export_formats(raw):
    assert parse_date(raw) == MARCH_5


def test_parse_date_reads_slashes_as_us_month_first():
    assert parse_date("01/02/2024") == dt.date(2024, 1, 2)


def test_parse_date_reads_dots_as_european_day_first():
    assert parse_date("01.02.2024") == dt.date(2024, 2, 1)


@pytest.mark.parametrize("raw, expected", [("03/05/68", dt.date(2068, 3, 5)), ("03/05/69", dt.date(1969, 3, 5)), ("05.03.99", dt.date(1999, 3, 5))])
def test_parse_date_pivots_two_digit_years_like_strptime(raw, expected):
    assert parse_date(raw) == expected


def test_parse_date_uses_the_given_format_first():
    assert parse_date("05/03/2024", fmt="%d/%m/%Y") == MARCH_5


def test_parse_date_falls_back_to_known_formats_when_the_format_does_not_fit():
    assert parse_date("2024-03-05", fmt="%d/%m/%Y") == MARCH_5


def test_parse_date_reads_sap_empty_date_as_none():
    assert parse_date("00000000") is None


def test_parse_date_reads_sap_open_end_date():
    assert parse_date("99991231") == dt.date(9999, 12, 31)


@pytest.mark.parametrize("raw", ["2024-02-30", "02/30/2024", "30.02.2023", "20241301", "13/05/2024", "3/5/2024 13:00 PM"])
def test_parse_date_rejects_impossible_dates(raw):
    with pytest.raises(InvalidValue, match="not a real date|hour"):
        parse_date(raw)


@pytest.mark.parametrize("raw", ["yesterday", "2024", "05-03-2024", "2024-03-05T25:00:00Z", "12345"])
def test_parse_date_rejects_unrecognised_text(raw):
    with pytest.raises(InvalidValue):
        parse_date(raw)


@pytest.mark.parametrize("raw", [None, "", "  ", "NULL", "0000-00-00"])
def test_parse_date_of_nothing_is_none(raw):
    assert parse_date(raw) is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2024-03-05 10:11:12", dt.datetime(2024, 3, 5, 10, 11, 12, tzinfo=UTC)),
        ("2024-03-05T10:11:12Z", dt.datetime(2024, 3, 5, 10, 11, 12, tzinfo=UTC)),
        ("2024-03-05T10:11:12.123+02:00", dt.datetime(2024, 3, 5, 8, 11, 12, 123000, tzinfo=UTC)),
        ("2024-03-05T23:30:00-05:00", dt.datetime(2024, 3, 6, 4, 30, tzinfo=UTC)),
        ("20240305101112", dt.datetime(2024, 3, 5, 10, 11, 12, tzinfo=UTC)),
        ("2024-03-05", dt.datetime(2024, 3, 5, tzinfo=UTC)),
        ("3/5/2024 2:30 PM", dt.datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("3/5/2024 12:15 AM", dt.datetime(2024, 3, 5, 0, 15, tzinfo=UTC)),
        ("05.03.2024 10:11", dt.datetime(2024, 3, 5, 10, 11, tzinfo=UTC)),
        (dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, tzinfo=UTC)),
        (dt.datetime(2024, 3, 5, 10), dt.datetime(2024, 3, 5, 10, tzinfo=UTC)),
    ],
)
def test_parse_datetime_returns_aware_utc(raw, expected):
    parsed = parse_datetime(raw)
    assert parsed == expected
    assert parsed.utcoffset() == dt.timedelta(0)


def test_parse_datetime_converts_aware_datetimes_to_utc():
    plus_two = dt.timezone(dt.timedelta(hours=2))
    parsed = parse_datetime(dt.datetime(2024, 3, 5, 10, tzinfo=plus_two))
    assert parsed == dt.datetime(2024, 3, 5, 8, tzinfo=UTC)
    assert parsed.tzinfo == UTC


def test_parse_datetime_uses_the_given_format():
    assert parse_datetime("05/03/2024 10h11", fmt="%d/%m/%Y %Hh%M") == dt.datetime(2024, 3, 5, 10, 11, tzinfo=UTC)


@pytest.mark.parametrize("raw", [None, "", "00000000", "00000000000000"])
def test_parse_datetime_of_nothing_is_none(raw):
    assert parse_datetime(raw) is None


def test_parse_datetime_rejects_impossible_times():
    with pytest.raises(InvalidValue):
        parse_datetime("2024-03-05 24:61:00")
