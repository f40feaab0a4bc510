"""Spreadsheet numbers as digit strings."""

import math

from .errors import InvalidValue
from .text import clean_text


def digits_from_cell(s) -> str | None:
    """Text of a cell that may hold a number: 5551234567.0 -> "5551234567".

    Excel and pandas turn numeric codes into floats; an integral float (or
    its "….0" text) is read back as the integer it was.
    """
    if isinstance(s, bool):
        raise InvalidValue(f"{s!r} is not a code")
    if isinstance(s, float):
        if math.isnan(s):
            return None
        if not s.is_integer():
            raise InvalidValue(f"{s!r} is not a whole number")
        return str(int(s))
    text = clean_text(s)
    if text is not None and text.endswith(".0") and text[:-2].isdigit():
        return text[:-2]
    return text
