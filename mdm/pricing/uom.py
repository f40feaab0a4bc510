"""Unit-of-measure conversion of prices, through the golden item's pack quantity."""

from decimal import Decimal

from mdm.standardize import InvalidValue, normalize_uom, uom_factor


class UomConversionError(ValueError):
    """A price cannot be converted between two units of measure."""


def eaches(uom: str, pack_qty: int | None, *, converting: str) -> int:
    """How many eaches one ``uom`` holds; ``converting`` names the conversion for the error."""
    try:
        code = normalize_uom(uom)
        factor = uom_factor(code, pack_qty)
    except InvalidValue as exc:
        raise UomConversionError(f"cannot convert {converting}: {exc}") from None
    if factor is not None:
        return factor
    # A unit that counts with a pack quantity of 1 is a pack unit whose size is missing.
    if uom_factor(code, 1) is not None:
        raise UomConversionError(
            f"cannot convert {converting}: {code} holds the item's pack quantity, which is unknown"
        )
    raise UomConversionError(f"cannot convert {converting}: {code} is not a countable unit")


def convert_uom(
    unit_price: Decimal | str | int, from_uom: str, to_uom: str, pack_qty: int | None = None
) -> Decimal:
    """The price per ``to_uom`` of a price per ``from_uom``: a CS of 12 at 24.00 is 2.00 per EA.

    EA is 1, DZ 12 and PR 2 eaches; pack units (CS, BX, PK, CT, ...) hold
    ``pack_qty`` eaches, and a conversion through one without it raises
    ``UomConversionError``. The result is not rounded.
    """
    price = Decimal(str(unit_price))
    if (from_uom or "").strip().upper() == (to_uom or "").strip().upper():
        return price
    converting = f"a price per {from_uom} to {to_uom}"
    return price * eaches(to_uom, pack_qty, converting=converting) / eaches(from_uom, pack_qty, converting=converting)


def convert_quantity(quantity: Decimal | str | int, from_uom: str, to_uom: str, pack_qty: int | None = None) -> Decimal:
    """The same amount counted in ``to_uom``: 2 CS of 12 is 24 EA."""
    amount = Decimal(str(quantity))
    if (from_uom or "").strip().upper() == (to_uom or "").strip().upper():
        return amount
    converting = f"a quantity in {from_uom} to {to_uom}"
    return amount * eaches(from_uom, pack_qty, converting=converting) / eaches(to_uom, pack_qty, converting=converting)
