"""Canonical models: what a customer, item and price look like inside the hub."""

from mdm.models.canonical import MODELS, CanonicalModel, Customer, Item, Price, SourceRecord
from mdm.models.fields import CANONICAL_FIELDS, CONVERTED_FIELDS, DOMAINS, mappable_fields

__all__ = [
    "CANONICAL_FIELDS", "CONVERTED_FIELDS", "DOMAINS", "MODELS", "CanonicalModel",
    "Customer", "Item", "Price", "SourceRecord", "mappable_fields",
]
