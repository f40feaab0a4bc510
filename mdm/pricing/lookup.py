"""The price of an item for a customer on a day: customer price first, then price list, then list price."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from mdm.pricing.settle import SettledPrice
from mdm.pricing.uom import convert_quantity, convert_uom

Basis = Literal["customer", "price_list", "list"]
EACH = "EA"


class PriceQuote(BaseModel):
    """A price answer and where it came from."""

    model_config = ConfigDict(frozen=True)

    unit_price: Decimal
    currency: str
    uom: str | None
    basis: Basis
    price: SettledPrice
    # The golden price's own unit when the quote was converted into another.
    converted_from: str | None = None


def price_on(
    prices: Iterable[SettledPrice],
    *,
    item_key: str,
    on: date,
    currency: str,
    customer_key: str | None = None,
    price_list: str | None = None,
    quantity: Decimal | int | str | None = None,
    uom: str | None = None,
    pack_qty: int | None = None,
) -> PriceQuote | None:
    """The price of ``item_key`` for ``customer_key`` on day ``on`` in ``currency``, or None.

    Looks for a customer-specific price, then one on ``price_list`` (the
    customer's list), then the list price (no customer, no price list). With a
    ``quantity`` the highest ``min_qty`` tier not above it applies; without, the
    base tier. With a ``uom`` a price in that unit is preferred, else one in
    another unit is converted through ``pack_qty``; without, an each (EA)
    price is preferred, else the price in the unit it is quoted in.
    """
    valid = [
        p for p in prices
        if p.item_key == item_key and p.currency == currency.upper() and p.period.contains(on)
    ]
    tiers: list[tuple[Basis, list[SettledPrice]]] = [
        ("customer", [p for p in valid if customer_key is not None and p.customer_key == customer_key]),
        ("price_list", [p for p in valid if price_list is not None and p.customer_key is None
                        and p.price_list == price_list]),
        ("list", [p for p in valid if p.customer_key is None and not p.price_list]),
    ]
    for basis, rows in tiers:
        quote = _best(rows, basis, quantity, uom, pack_qty)
        if quote is not None:
            return quote
    return None


def _best(
    rows: list[SettledPrice], basis: Basis, quantity, uom: str | None, pack_qty: int | None
) -> PriceQuote | None:
    wanted_uoms = (None, EACH) if uom is None else (uom.upper(),)
    rows = [p for p in rows if p.uom in wanted_uoms] or rows
    eligible = []
    for p in rows:
        tier = p.min_qty or Decimal(0)
        if quantity is not None:
            wanted = convert_quantity(quantity, uom, p.uom, pack_qty) if uom and p.uom else Decimal(str(quantity))
            if tier > wanted:
                continue
        eligible.append(p)
    if not eligible:
        return None
    # Highest tier that applies when a quantity is given; else the base (lowest) tier.
    pick = max if quantity is not None else min
    best = pick(sorted(eligible, key=lambda p: p.uom or ""), key=lambda p: p.min_qty or Decimal(0))
    if uom is None or best.uom is None or best.uom == uom.upper():
        return PriceQuote(unit_price=best.unit_price, currency=best.currency, uom=best.uom, basis=basis, price=best)
    return PriceQuote(
        unit_price=convert_uom(best.unit_price, best.uom, uom, pack_qty),
        currency=best.currency,
        uom=uom.upper(),
        basis=basis,
        price=best,
        converted_from=best.uom,
    )
