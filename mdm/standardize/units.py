"""Units of measure, pack quantities and weight conversion."""

import re
from decimal import ROUND_HALF_UP, Decimal

from .errors import InvalidValue
from .numbers import parse_decimal
from .text import clean_text

KG_PER_LB = Decimal("0.45359237")  # exact, by international definition

# Code -> spellings, compared lower case without dots.
_UOM_SPELLINGS = {
    "EA": "each ea pc pcs pce piece pieces unit units un c62 h87",
    "CS": "case cases cs cse",
    "BX": "box boxes bx",
    "PK": "pack packs pk pak pkg package packet",
    "PL": "pallet pallets pl plt pal",
    "DZ": "dozen dz doz",
    "KG": "kg kgs kgm kilogram kilograms kilo kilos",
    "LB": "lb lbs lbr pound pounds",
    "G": "g gr grm gram grams",
    "L": "l lt ltr liter liters litre litres",
    "ML": "ml mls mlt milliliter milliliters millilitre millilitres",
    "M": "m mtr meter meters metre metres",
    "FT": "ft foot feet",
    "RL": "roll rolls rl",
    "BG": "bag bags bg",
    "DR": "drum drums dr",
    "CT": "carton cartons ctn ct",
    "PR": "pair pairs pr",
    "ST": "set sets st",
}
_UOM_INDEX = {spelling: code for code, spellings in _UOM_SPELLINGS.items() for spelling in spellings.split()}

# Each-count of one unit for units whose size never varies.
_FIXED_FACTORS = {"EA": 1, "PR": 2, "DZ": 12}
# Units that hold a number of eaches given by the item's pack quantity.
_PACKAGING = frozenset({"CS", "BX", "PK", "CT", "PL", "BG", "DR", "RL", "ST"})


def normalize_uom(s) -> str | None:
    """Unit-of-measure code ("Each", "PCE" -> "EA"; "Carton" -> "CT")."""
    text = clean_text(s)
    if text is None:
        return None
    code = _UOM_INDEX.get(text.lower().replace(".", "").strip())
    if code is None:
        raise InvalidValue(f"unknown unit of measure {text!r}")
    return code


def lb_to_kg(x) -> Decimal | None:
    """Pounds to kilograms, rounded to 4 decimals; accepts "12.5 lb"."""
    if isinstance(x, str):
        x = re.sub(r"\s*(?:lbs?|#)\.?\s*$", "", x.strip(), flags=re.IGNORECASE)
    pounds = parse_decimal(x)
    if pounds is None:
        return None
    if pounds < 0:
        raise InvalidValue(f"weight {x!r} is negative")
    return (pounds * KG_PER_LB).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


_TIMES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[x×*]\s*(\d+(?:\.\d+)?)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def parse_pack_qty(s) -> int | None:
    """Eaches per pack: "12", 12.0, "12/CS", "CS/12", "12 EA/CS", "Pack of 12".

    "AxB" forms multiply ("1x12" and "12 x 1" are 12, "2x6" is 12). Text with
    more than one other number is ambiguous and rejected.
    """
    if isinstance(s, (int, float)) and not isinstance(s, bool):
        return _whole_positive(parse_decimal(s), s)
    text = clean_text(s)
    if text is None:
        return None
    if (times := _TIMES.match(text)) is not None:
        return _whole_positive(parse_decimal(times.group(1)), text) * _whole_positive(
            parse_decimal(times.group(2)), text
        )
    if re.search(r"(?:^|\s)-\s*\d", text):
        raise InvalidValue(f"pack quantity {text!r} is not a positive whole number")
    numbers = _NUMBER.findall(text)
    if len(numbers) != 1:
        reason = "has no number" if not numbers else "has more than one number"
        raise InvalidValue(f"pack quantity {text!r} {reason}")
    return _whole_positive(parse_decimal(numbers[0]), text)


def _whole_positive(value: Decimal | None, original) -> int | None:
    if value is None:
        return None
    if value != value.to_integral_value() or value <= 0:
        raise InvalidValue(f"pack quantity {original!r} is not a positive whole number")
    return int(value)


def uom_factor(uom, pack_qty=None) -> int | None:
    """How many eaches one unit of ``uom`` holds.

    EA is 1, PR 2, DZ 12; packaging units (CS, BX, PK, CT, PL, BG, DR, RL,
    ST) hold ``pack_qty`` and give None without it; weights, volumes and
    lengths are not countable and give None.
    """
    code = normalize_uom(uom)
    if code is None:
        return None
    if code in _FIXED_FACTORS:
        return _FIXED_FACTORS[code]
    if code in _PACKAGING:
        return parse_pack_qty(pack_qty)
    return None
