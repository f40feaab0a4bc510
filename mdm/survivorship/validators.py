"""Built-in validation rules: a candidate value that fails one is dropped before the chain runs.

A rule is ``fn(value, param) -> reason | None``; the reason reads after
"invalid: " in the trace. A new rule is one function and one line::

    @validators.register("max_length", param=int)
    def max_length(value, limit): ...
"""

import re
from datetime import date
from typing import Any

from mdm.standardize import InvalidValue, gtin_check_digit, normalize_email
from mdm.survivorship.registry import validators
from mdm.survivorship.values import as_number, show


@validators.register("not_empty")
def not_empty(value: Any, _: None) -> str | None:
    return "empty" if isinstance(value, str) and not value.strip() else None


@validators.register("email")
def email(value: Any, _: None) -> str | None:
    try:
        normalize_email(value)
    except InvalidValue as exc:
        return f"email syntax ({exc})"
    return None


@validators.register("gtin")
def gtin(value: Any, _: None) -> str | None:
    """GS1 mod-10 check digit on the 14-digit GTIN the standardizer produces."""
    text = str(value)
    if len(text) != 14 or not text.isdigit():
        return f"gtin must be 14 digits, got {text!r}"
    expected = gtin_check_digit(text[:-1])
    return None if int(text[-1]) == expected else f"gtin check digit {text[-1]}, expected {expected}"


@validators.register("non_negative")
def non_negative(value: Any, _: None) -> str | None:
    number = as_number(value)
    if number is None:
        return f"not a number: {show(value)}"
    return f"negative: {show(value)}" if number < 0 else None


@validators.register("positive")
def positive(value: Any, _: None) -> str | None:
    number = as_number(value)
    if number is None:
        return f"not a number: {show(value)}"
    return f"not positive: {show(value)}" if number <= 0 else None


@validators.register("iso_date")
def iso_date(value: Any, _: None) -> str | None:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return f"not an ISO date: {show(value)}"
    return None


@validators.register("regex", param=re.Pattern)
def regex(value: Any, pattern: re.Pattern) -> str | None:
    return None if pattern.fullmatch(str(value)) else f"does not match {pattern.pattern}"


@validators.register("one_of", param=list[Any])
def one_of(value: Any, allowed: list[Any]) -> str | None:
    return None if value in allowed else f"{show(value)} not one of {', '.join(map(show, allowed))}"
