"""Canonical field names per domain (DESIGN.md contract: add, never rename)."""

from __future__ import annotations

from typing import Literal

Domain = Literal["customer", "item", "price"]
DOMAINS: tuple[str, ...] = ("customer", "item", "price")

CUSTOMER_FIELDS = (
    "name", "given_name", "family_name", "organization", "tax_id", "email", "phone",
    "address_line1", "address_line2", "city", "region", "postal_code", "country",
    "date_of_birth", "credit_limit", "payment_terms", "segment", "account_owner", "status",
)
ITEM_FIELDS = (
    "name", "description", "manufacturer", "mpn", "gtin", "sku", "category",
    "base_uom", "uom", "pack_qty", "weight_kg", "status",
)
PRICE_FIELDS = (
    "item_key", "customer_key", "price_list", "currency", "unit_price", "uom",
    "min_qty", "valid_from", "valid_to",
)
CANONICAL_FIELDS: dict[str, tuple[str, ...]] = {
    "customer": CUSTOMER_FIELDS,
    "item": ITEM_FIELDS,
    "price": PRICE_FIELDS,
}
# Mapping-only names converted on load into a canonical field.
CONVERTED_FIELDS: dict[str, dict[str, str]] = {
    "customer": {},
    "item": {"weight_lb": "weight_kg"},
    "price": {},
}


def mappable_fields(domain: str) -> set[str]:
    return set(CANONICAL_FIELDS[domain]) | set(CONVERTED_FIELDS[domain])
