"""GTIN / UPC / EAN item codes, validated and stored as GTIN-14."""

import re
from decimal import Decimal, InvalidOperation

from ._numeric import digits_from_cell
from .errors import InvalidValue

_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")


def gtin_check_digit(body: str) -> int:
    """GS1 mod-10 check digit for the digits before it (any GTIN length)."""
    if not body or not body.isdigit():
        raise InvalidValue(f"GTIN body {body!r} must be digits")
    # Weights 3, 1, 3, ... from the rightmost body digit.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_gtin(s) -> str | None:
    """14-digit GTIN from a GTIN-8, UPC-A, EAN-13 or GTIN-14, check digit verified.

    Spaces and dashes are ignored; integer-valued floats and Excel's
    scientific text ("1.23456789012E+11") are read as integers. Codes of 8
    to 14 digits are accepted: a shorter code is a longer one that lost its
    leading zeros (an 11-digit UPC), and left-padding never changes a
    GTIN's check digit.
    """
    text = digits_from_cell(s)
    if text is None:
        return None
    digits = re.sub(r"[\s-]", "", text)
    if _SCIENTIFIC.fullmatch(digits):
        digits = _integer_text(digits, text)
    if not digits.isdigit():
        raise InvalidValue(f"GTIN {text!r} must contain only digits")
    if not 8 <= len(digits) <= 14:
        raise InvalidValue(f"GTIN {text!r} has {len(digits)} digits, expected 8, 12, 13 or 14")
    if not digits.strip("0"):
        raise InvalidValue("GTIN is all zeros")
    expected = gtin_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise InvalidValue(f"GTIN check digit is {digits[-1]}, expected {expected}")
    return digits.zfill(14)


def _integer_text(scientific: str, original: str) -> str:
    try:
        value = Decimal(scientific)
    except InvalidOperation:
        raise InvalidValue(f"GTIN {original!r} is not a number") from None
    if value != value.to_integral_value():
        raise InvalidValue(f"GTIN {original!r} lost digits in scientific notation")
    return str(int(value))


def is_valid_gtin(s) -> bool:
    """True when ``s`` normalizes to a GTIN with a correct check digit."""
    try:
        return normalize_gtin(s) is not None
    except InvalidValue:
        return False
