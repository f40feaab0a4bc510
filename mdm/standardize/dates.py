"""Dates and timestamps from the formats source systems export.

Slashes are read US style (month/day/year) and dots European style
(day.month.year). Two-digit years follow Python's ``%y`` pivot: 69-99 are
19xx, 00-68 are 20xx. SAP's empty date "00000000" is None.
"""

import datetime as dt
import re

from ._numeric import digits_from_cell
from .errors import InvalidValue

UTC = dt.timezone.utc

_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*([AaPp][Mm])?)?"
_PATTERNS = [
    # (regex, order of the year, month and day groups)
    (re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + _TIME), "ymd"),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})" + _TIME), "mdy"),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})" + _TIME), "dmy"),
    (re.compile(r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?()()"), "ymd"),
]
# Month-name forms, tried last: "05-Mar-2024", "March 5, 2024".
_NAMED_MONTH_FORMATS = ("%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y")
_EMPTY_DATES = frozenset({"00000000", "00000000000000", "0000-00-00", "0000-00-00 00:00:00"})
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def parse_date(s, fmt: str | None = None) -> dt.date | None:
    """A calendar date from text, a date or a datetime.

    ``fmt`` (a ``strptime`` format) is tried first, then the built-in
    formats. A timestamp's date is taken as written, before any time-zone
    conversion.
    """
    if isinstance(s, dt.datetime):
        return s.date()
    if isinstance(s, dt.date):
        return s
    parsed = _parse(s, fmt)
    return None if parsed is None else parsed.date()


def parse_datetime(s, fmt: str | None = None) -> dt.datetime | None:
    """A time-zone-aware UTC datetime; naive input is taken to be UTC.

    Accepts everything ``parse_date`` does (a date alone is midnight) plus
    "2024-03-05 10:11:12", ISO 8601 with offsets or "Z", and compact
    "20240305101112".
    """
    if isinstance(s, dt.datetime):
        parsed = s
    elif isinstance(s, dt.date):
        parsed = dt.datetime(s.year, s.month, s.day)
    else:
        parsed = _parse(s, fmt)
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse(s, fmt: str | None) -> dt.datetime | None:
    """Datetime as written in the text: naive, or aware with its own offset."""
    text = digits_from_cell(s)
    if text is None or text in _EMPTY_DATES:
        return None
    if fmt is not None:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            pass
    try:
        # ISO 8601 with seconds, fractions, offsets and "Z".
        if _ISO_DATETIME.match(text):
            return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern, order in _PATTERNS:
        if (match := pattern.fullmatch(text)) is not None:
            return _build(text, match.groups(), order)
    for named in _NAMED_MONTH_FORMATS:
        try:
            return dt.datetime.strptime(text, named)
        except ValueError:
            continue
    raise InvalidValue(f"{text!r} is not a recognised date")


def _build(text: str, groups: tuple, order: str) -> dt.datetime:
    fields = dict(zip(order, groups[:3]))
    year = int(fields["y"])
    if len(fields["y"]) == 2:
        year += 1900 if year >= 69 else 2000
    hour, minute, second, fraction, meridiem = groups[3:]
    hour = int(hour or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            raise InvalidValue(f"{text!r} has hour {hour} with {meridiem.upper()}")
        hour = hour % 12 + (12 if meridiem.lower() == "pm" else 0)
    try:
        return dt.datetime(
            year,
            int(fields["m"]),
            int(fields["d"]),
            hour,
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError as exc:
        raise InvalidValue(f"{text!r} is not a real date: {exc}") from None
