"""Canonical customer, item and price models and the source-record envelope.

Values here are already standardized; the raw row travels beside them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Status = Literal["active", "inactive"]


class CanonicalModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Customer(CanonicalModel):
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    organization: str | None = None
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{4,14}$")
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    date_of_birth: date | None = None
    credit_limit: Decimal | None = Field(default=None, ge=0)
    payment_terms: str | None = None
    segment: str | None = None
    account_owner: str | None = None
    status: Status | None = None

    @model_validator(mode="after")
    def _has_a_name(self) -> Customer:
        if not (self.name or self.given_name or self.family_name or self.organization):
            raise ValueError("a customer needs a name, given_name, family_name or organization")
        return self


class Item(CanonicalModel):
    name: str | None = None
    description: str | None = None
    manufacturer: str | None = None
    mpn: str | None = None
    gtin: str | None = Field(default=None, pattern=r"^\d{14}$")
    sku: str | None = None
    category: str | None = None
    base_uom: str | None = None
    uom: str | None = None
    pack_qty: int | None = Field(default=None, gt=0)
    weight_kg: Decimal | None = Field(default=None, ge=0)
    status: Status | None = None

    @model_validator(mode="after")
    def _is_identifiable(self) -> Item:
        if not (self.name or self.description or self.mpn or self.gtin or self.sku):
            raise ValueError("an item needs a name, description, mpn, gtin or sku")
        return self


class Price(CanonicalModel):
    item_key: str
    customer_key: str | None = None
    price_list: str | None = None
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    unit_price: Decimal = Field(ge=0)
    uom: str | None = None
    min_qty: Decimal | None = Field(default=None, ge=0)
    valid_from: date | None = None
    valid_to: date | None = None

    @model_validator(mode="after")
    def _period_is_ordered(self) -> Price:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self


MODELS: dict[str, type[CanonicalModel]] = {"customer": Customer, "item": Item, "price": Price}


class SourceRecord(BaseModel):
    """The envelope of one source record version."""

    system: str = Field(min_length=1, max_length=64)
    domain: Literal["customer", "item", "price"]
    source_key: str = Field(min_length=1, max_length=255)
    updated_at: datetime | None = None
    raw: dict[str, Any]
    fields: Customer | Item | Price
    extra: dict[str, Any] = Field(default_factory=dict)
    correlation_id: str | None = None
