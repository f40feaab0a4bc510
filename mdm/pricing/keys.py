"""The identity of a golden price: what it is the price of, for whom, in what terms."""

from decimal import Decimal
from typing import NamedTuple

SEPARATOR = "|"


class PriceKey(NamedTuple):
    """Prices with equal keys are the same price, possibly over different periods."""

    item: str
    customer: str
    price_list: str
    currency: str
    uom: str
    min_qty: str

    def __str__(self) -> str:
        return SEPARATOR.join(self)


def golden_price_key(
    item_golden_id: str,
    customer_golden_id: str | None,
    price_list: str | None,
    currency: str,
    uom: str | None,
    min_qty: Decimal | str | int | None,
) -> PriceKey:
    """A normalized, hashable key; ``str(key)`` is its stable text form.

    A missing ``min_qty`` is the base tier, the same as 0; "10.00" and "10" are one tier.
    """
    return PriceKey(
        item=str(item_golden_id),
        customer="" if customer_golden_id is None else str(customer_golden_id),
        price_list=(price_list or "").strip(),
        currency=currency.strip().upper(),
        uom=(uom or "").strip().upper(),
        min_qty=_quantity_text(min_qty),
    )


def _quantity_text(min_qty: Decimal | str | int | None) -> str:
    if min_qty is None or min_qty == "":
        return "0"
    quantity = Decimal(str(min_qty))
    return "0" if quantity == 0 else format(quantity.normalize(), "f")
