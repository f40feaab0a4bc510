"""Value helpers shared by strategies: emptiness, identity and ordering.

Values arrive JSON-ready (strings, ISO dates, decimals as strings), so
"100.5" must order as a number and "2024-03-01" as a date.
"""

import json
import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict, tuple)) and not value)


def identity(value: Any) -> str:
    """Exact identity of a value: "100" and "100.0" are different values."""
    return json.dumps(value, sort_keys=True, default=str)


def as_number(value: Any) -> Decimal | None:
    """A finite number, else None: NaN and infinities (a float column's
    missing values) are not numbers to compare or validate."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        return Decimal(str(value)) if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and _DATE.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    # Naive values are read as UTC so dates and aware timestamps still compare.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def order_keys(values: list[Any]) -> list[Any]:
    """Sort keys for ``values``: numeric when all are numbers, else dates, else text."""
    numbers = [as_number(v) for v in values]
    if all(n is not None for n in numbers):
        return numbers
    moments = [as_datetime(v) for v in values]
    if all(m is not None for m in moments):
        return moments
    return [v if isinstance(v, str) else identity(v) for v in values]


def show(value: Any) -> str:
    """A value as it reads in a trace."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value if isinstance(value, str) else identity(value)


def show_moment(earlier: datetime, later: datetime) -> tuple[str, str]:
    """Two timestamps at the precision that tells them apart."""
    if earlier.date() != later.date():
        return earlier.date().isoformat(), later.date().isoformat()
    return earlier.isoformat(), later.isoformat()
