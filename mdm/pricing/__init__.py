"""Price logic for the price domain: keys, validity periods, unit conversion,
overlap settlement between sources, and the price on a day.

    settled = settle_overlaps(candidates, load_survivorship("rules/price.yaml"), now=now)
    settled.conflicts                      # for the stewards' review queue
    price_on(settled.prices, item_key="I-1", customer_key="C-7", on=date(2024, 5, 1), currency="EUR")
"""

from mdm.pricing.keys import PriceKey, golden_price_key
from mdm.pricing.lookup import PriceQuote, price_on
from mdm.pricing.periods import Period
from mdm.pricing.settle import (
    DEFAULT_TOLERANCE,
    PriceCandidate,
    PriceConflict,
    SettledPrice,
    SettledPrices,
    relative_difference,
    settle_overlaps,
)
from mdm.pricing.uom import UomConversionError, convert_quantity, convert_uom

__all__ = [
    "DEFAULT_TOLERANCE",
    "Period",
    "PriceCandidate",
    "PriceConflict",
    "PriceKey",
    "PriceQuote",
    "SettledPrice",
    "SettledPrices",
    "UomConversionError",
    "convert_quantity",
    "convert_uom",
    "golden_price_key",
    "price_on",
    "relative_difference",
    "settle_overlaps",
]
