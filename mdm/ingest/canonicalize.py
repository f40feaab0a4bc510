"""Turn mapped source values into standardized canonical values.

Work is column-wise over distinct values: a file of 100k rows usually holds
far fewer distinct phones, cities or dates, and each is standardized once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mdm import standardize as std
from mdm.standardize import InvalidValue

INACTIVE = {"x", "inactive", "false", "0", "no", "n", "deleted", "blocked", "obsolete", "discontinued", "d"}
ACTIVE = {"active", "true", "1", "yes", "y", "a", "released"}


@dataclass(frozen=True)
class Context:
    """Per-mapping settings a standardizer may need."""

    default_region: str = "US"
    date_format: str | None = None
    decimal_comma: bool = False


@dataclass
class FieldIssue:
    index: int
    field: str
    value: Any
    reason: str


def normalize_status(value: Any, _ctx: Context) -> str | None:
    text = std.clean_text(value)
    if text is None:
        return None
    low = text.lower()
    if low in INACTIVE:
        return "inactive"
    if low in ACTIVE:
        return "active"
    raise InvalidValue(f"unknown status {text!r}; expected active/inactive (or X, true/false)")


def _decimal(value: Any, ctx: Context) -> Decimal | None:
    if ctx.decimal_comma and isinstance(value, str):
        value = value.replace(".", "").replace(" ", "").replace(",", ".")
    return std.parse_decimal(value)


def _non_negative(value: Any, ctx: Context) -> Decimal | None:
    number = _decimal(value, ctx)
    if number is not None and number < 0:
        raise InvalidValue(f"must not be negative, got {number}")
    return number


def _weight_lb(value: Any, ctx: Context) -> Decimal | None:
    return std.lb_to_kg(_non_negative(value, ctx))


def _currency(value: Any, _ctx: Context) -> str | None:
    text = std.clean_text(value)
    if text is None:
        return None
    code = text.upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidValue(f"currency must be a 3-letter ISO 4217 code, got {text!r}")
    return code


def _identifier(value: Any, _ctx: Context) -> str | None:
    text = std.clean_text(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return text.upper() if text else None


def _text(value: Any, _ctx: Context) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return std.clean_text(value)


def _wrap(fn: Callable[[Any], Any]) -> Callable[[Any, Context], Any]:
    return lambda value, _ctx: fn(value)


FieldFn = Callable[[Any, Context], Any]

FIELD_STANDARDIZERS: dict[str, dict[str, FieldFn]] = {
    "customer": {
        "name": _text,
        "given_name": _wrap(std.clean_person_name),
        "family_name": _wrap(std.clean_person_name),
        "organization": _wrap(std.clean_org_name),
        "tax_id": _identifier,
        "email": _wrap(std.normalize_email),
        "address_line1": _wrap(std.normalize_street),
        "address_line2": _wrap(std.normalize_street),
        "city": _wrap(std.normalize_city),
        "country": _wrap(std.normalize_country),
        "date_of_birth": lambda v, ctx: std.parse_date(v, ctx.date_format),
        "credit_limit": _non_negative,
        "payment_terms": _text,
        "segment": _text,
        "account_owner": _text,
        "status": normalize_status,
    },
    "item": {
        "name": _text,
        "description": _text,
        "manufacturer": _wrap(std.clean_org_name),
        "mpn": _text,
        "gtin": _wrap(std.normalize_gtin),
        "sku": _text,
        "category": _text,
        "base_uom": _wrap(std.normalize_uom),
        "uom": _wrap(std.normalize_uom),
        "pack_qty": _wrap(std.parse_pack_qty),
        "weight_kg": _non_negative,
        "weight_lb": _weight_lb,
        "status": normalize_status,
    },
    "price": {
        "item_key": _text,
        "customer_key": _text,
        "price_list": _text,
        "currency": _currency,
        "unit_price": _non_negative,
        "uom": _wrap(std.normalize_uom),
        "min_qty": _non_negative,
        "valid_from": lambda v, ctx: std.parse_date(v, ctx.date_format),
        "valid_to": lambda v, ctx: std.parse_date(v, ctx.date_format),
    },
}
# Fields whose standard form depends on the row's country (else the mapping's region).
COUNTRY_DEPENDENT: dict[str, Callable[[Any, str], Any]] = {
    "postal_code": lambda v, country: std.normalize_postal_code(v, country),
    "region": lambda v, country: std.normalize_region(v, country),
    "phone": lambda v, country: std.to_e164(v, default_region=country),
}
CONVERTED = {"weight_lb": "weight_kg"}


def _hashable(value: Any) -> Any:
    """Cache key of a value: equal only for values of the same type (1, 1.0 and
    True are different values to a standardizer), so a value's result never
    depends on which equal-comparing value came first."""
    cls = value.__class__
    if cls is str or value is None:
        return value
    if cls is tuple:
        return tuple(v if v.__class__ is str else _hashable(v) for v in value)
    if cls in (int, float, bool):
        return cls, value
    return cls, repr(value)


def standardize_column(
    values: list[Any], fn: Callable[[Any], Any], field: str, issues: list[FieldIssue]
) -> list[Any]:
    """Apply fn once per distinct value; invalid values become None plus an issue."""
    cache: dict[Any, tuple[bool, Any]] = {}
    out: list[Any] = []
    for i, value in enumerate(values):
        key = value if value.__class__ is str else _hashable(value)
        hit = cache.get(key)
        if hit is None:
            try:
                hit = (True, fn(value))
            except InvalidValue as exc:
                hit = (False, str(exc))
            cache[key] = hit
        ok, result = hit
        if ok:
            out.append(result)
        else:
            out.append(None)
            issues.append(FieldIssue(i, field, value, result))
    return out


def standardize_columns(
    domain: str, columns: dict[str, list[Any]], n_rows: int, ctx: Context
) -> tuple[dict[str, list[Any]], list[FieldIssue]]:
    """columns: canonical (or converted) field -> raw values. Returns canonical
    field -> standardized values, and the field-level issues."""
    issues: list[FieldIssue] = []
    table = FIELD_STANDARDIZERS[domain]
    out: dict[str, list[Any]] = {}
    for field, values in columns.items():
        if field in COUNTRY_DEPENDENT:
            continue
        fn = table[field]
        out[CONVERTED.get(field, field)] = standardize_column(values, lambda v, fn=fn: fn(v, ctx), field, issues)
    country = out.get("country") or [None] * n_rows
    for field, fn in COUNTRY_DEPENDENT.items():
        if field not in columns:
            continue
        pairs = list(zip(columns[field], (c or ctx.default_region for c in country)))
        out[field] = standardize_column(pairs, lambda p, fn=fn: fn(p[0], p[1]), field, issues)
        for issue in issues:
            if issue.field == field and isinstance(issue.value, tuple):
                issue.value = issue.value[0]
    if domain == "customer" and "name" in out:
        _derive_customer_names(out, n_rows)
    return out, issues


def _derive_customer_names(out: dict[str, list[Any]], n_rows: int) -> None:
    """A full `name` given alone is parsed: an organization, or given + family."""
    for field in ("given_name", "family_name", "organization"):
        out.setdefault(field, [None] * n_rows)
    parsed: dict[str, tuple[str, Any]] = {}
    for i, name in enumerate(out["name"]):
        if not name or out["given_name"][i] or out["family_name"][i] or out["organization"][i]:
            continue
        hit = parsed.get(name)
        if hit is None:
            if std.is_organization_name(name):
                hit = ("org", std.clean_org_name(name))
            else:
                hit = ("person", std.split_full_name(name))
            parsed[name] = hit
        kind, value = hit
        if kind == "org":
            out["organization"][i] = value
        else:
            out["given_name"][i] = value.get("given_name")
            out["family_name"][i] = value.get("family_name")
