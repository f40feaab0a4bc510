"""Standardization: pure functions from messy source values to canonical ones.

Every function returns None for empty input (None, "", "N/A", ...) and
raises :class:`InvalidValue` for a value that is present but unusable.
"""

from .addresses import (
    normalize_city,
    normalize_country,
    normalize_postal_code,
    normalize_region,
    normalize_street,
)
from .dates import parse_date, parse_datetime
from .emails import normalize_email
from .errors import InvalidValue
from .gtin import gtin_check_digit, is_valid_gtin, normalize_gtin
from .names import clean_person_name, is_organization_name, nickname_key, split_full_name
from .numbers import parse_decimal
from .orgs import clean_org_name, legal_form, org_match_key
from .phones import to_e164
from .text import clean_text, fold_accents
from .units import lb_to_kg, normalize_uom, parse_pack_qty, uom_factor

__all__ = [
    "InvalidValue",
    "clean_org_name",
    "clean_person_name",
    "clean_text",
    "fold_accents",
    "gtin_check_digit",
    "is_organization_name",
    "is_valid_gtin",
    "lb_to_kg",
    "legal_form",
    "nickname_key",
    "normalize_city",
    "normalize_country",
    "normalize_email",
    "normalize_gtin",
    "normalize_postal_code",
    "normalize_region",
    "normalize_street",
    "normalize_uom",
    "org_match_key",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_pack_qty",
    "split_full_name",
    "to_e164",
    "uom_factor",
]
