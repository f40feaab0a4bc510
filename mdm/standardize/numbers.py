"""Decimal amounts from the ways spreadsheets and ERPs write them.

Separator rule, applied to the digits after currency and signs are removed:

- both "." and "," present: the one that comes last is the decimal point,
  the other groups thousands ("1,234.50", "1.234,50");
- only ",": a single comma followed by 1 or 2 digits is a decimal comma
  ("12,5", "1234,50"); otherwise commas group thousands ("1,234", "1,234,567");
- only ".": a single dot is a decimal point ("1.234" is 1.234); several dots
  group thousands ("1.234.567");
- spaces and apostrophes between digits group thousands ("1 234,50", "1'234.50").

Thousands groups must be three digits. Negative: "-12", "(12.00)", or SAP's
trailing minus "12.00-". Currency symbols and ISO codes ("$", "€", "USD")
are ignored; scientific notation ("1.5E3") is accepted.
"""

import math
import re
from decimal import Decimal

from .errors import InvalidValue
from .text import clean_text

_CURRENCY = re.compile(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$|[$€£¥₹₩₽¢]|\b(?:US|CA|AU|NZ|HK|S)\$")
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?[eE][+-]?\d+")
# A space or apostrophe groups thousands only before exactly three digits.
_GROUP_SPACE = re.compile(r"(?<=\d)[\s'’](?=\d{3}(?!\d))")
_GROUPED = re.compile(r"\d{1,3}(?:[,.]\d{3})+")


def parse_decimal(s) -> Decimal | None:
    """Decimal from a number or amount text; see the module docstring for the rule."""
    if isinstance(s, bool):
        raise InvalidValue(f"{s!r} is not a number")
    if isinstance(s, Decimal):
        return None if s.is_nan() else s
    if isinstance(s, int):
        return Decimal(s)
    if isinstance(s, float):
        if math.isnan(s):
            return None
        if math.isinf(s):
            raise InvalidValue(f"{s!r} is not a finite number")
        return Decimal(repr(s))  # repr gives the shortest exact text: 0.1 -> "0.1"
    text = clean_text(s)
    if text is None:
        return None
    number, negative = _strip_sign(_CURRENCY.sub("", text.upper()).strip(), text)
    number = _GROUP_SPACE.sub("", number)
    if _SCIENTIFIC.fullmatch(number):
        value = Decimal(number)
    else:
        value = _plain_decimal(number, text)
    return -value if negative else value


def _strip_sign(number: str, original: str) -> tuple[str, bool]:
    negative = False
    if number.startswith("(") and number.endswith(")"):
        number, negative = number[1:-1].strip(), True
    if number.endswith("-"):
        number, negative = number[:-1].strip(), not negative
    if number[:1] in "+-" and number:
        negative ^= number[0] == "-"
        number = number[1:].strip()
    if not number:
        raise InvalidValue(f"{original!r} is not a number")
    return _CURRENCY.sub("", number).strip(), negative


def _plain_decimal(number: str, original: str) -> Decimal:
    """The value of digits and separators, following the separator rule."""
    if not re.fullmatch(r"[\d.,]*\d[\d.,]*", number) or number[0] in ",":
        raise InvalidValue(f"{original!r} is not a number")
    last_dot, last_comma = number.rfind("."), number.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        point = max(last_dot, last_comma)
    elif last_comma >= 0:
        single_decimal = number.count(",") == 1 and 1 <= len(number) - last_comma - 1 <= 2
        point = last_comma if single_decimal else -1
    elif number.count(".") == 1:
        point = last_dot
    else:
        point = -1
    whole, fraction = (number[:point], number[point + 1 :]) if point >= 0 else (number, "")
    if not fraction.isdigit() and fraction:
        raise InvalidValue(f"{original!r} is not a number")
    if any(c in whole for c in ".,"):
        if not _GROUPED.fullmatch(whole) or len(set(re.findall(r"[.,]", whole))) > 1:
            raise InvalidValue(f"{original!r} has misplaced thousands separators")
        whole = re.sub(r"[.,]", "", whole)
    return Decimal(f"{whole or '0'}.{fraction}" if fraction else whole)
