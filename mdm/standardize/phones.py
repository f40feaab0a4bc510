"""Telephone numbers to E.164."""

import re

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from ._numeric import digits_from_cell
from .errors import InvalidValue

_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*\d+\s*$", re.IGNORECASE)
_TEL_PREFIX = re.compile(r"^tel:", re.IGNORECASE)
_NON_DIGIT = re.compile(r"\D")
_REASONS = {
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "of an invalid length",
    ValidationResult.INVALID_COUNTRY_CODE: "in an unknown country code",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "missing its area code",
}


def to_e164(s, default_region: str | None = "US") -> str | None:
    """Phone number in E.164 form ("+15551234567"); extensions are dropped.

    Numbers without a country code are read in ``default_region``. A
    leading "00" is read as the international prefix. Only the length is
    checked (``is_possible_number``), so 555 test numbers pass.
    """
    text = digits_from_cell(s)
    if text is None:
        return None
    number = _EXTENSION.sub("", _TEL_PREFIX.sub("", text)).strip()
    if any(c.isalpha() for c in number):
        raise InvalidValue(f"phone number {text!r} contains letters")
    digits = _NON_DIGIT.sub("", number)
    if not digits or set(digits) == {"0"}:
        raise InvalidValue(f"phone number {text!r} has no digits")
    if number.startswith("00"):
        number = "+" + number[2:]
    try:
        region = None if number.startswith("+") or not default_region else default_region.upper()
        parsed = phonenumbers.parse(number, region)
    except NumberParseException:
        raise InvalidValue(f"phone number {text!r} cannot be parsed") from None
    result = phonenumbers.is_possible_number_with_reason(parsed)
    if result != ValidationResult.IS_POSSIBLE:
        raise InvalidValue(f"phone number {text!r} is {_REASONS.get(result, 'not possible')}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
