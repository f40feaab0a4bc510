"""Postal addresses: street lines, cities and postal codes.

Regions and countries live in ``regions`` and ``countries`` and are
re-exported here so callers find every address standardizer in one place.
"""

import re

from ._numeric import digits_from_cell
from .countries import country_code_or_none, normalize_country
from .errors import InvalidValue
from .regions import normalize_region
from .text import clean_text, fold_accents

__all__ = [
    "normalize_street",
    "normalize_city",
    "normalize_postal_code",
    "normalize_region",
    "normalize_country",
]

# USPS Publication 28 street suffixes.
_SUFFIXES = {
    "STREET": "ST", "STR": "ST", "ST": "ST",
    "ROAD": "RD", "RD": "RD",
    "AVENUE": "AVE", "AV": "AVE", "AVE": "AVE", "AVN": "AVE",
    "BOULEVARD": "BLVD", "BLVD": "BLVD", "BOUL": "BLVD",
    "DRIVE": "DR", "DRV": "DR", "DR": "DR",
    "LANE": "LN", "LN": "LN",
    "COURT": "CT", "CRT": "CT", "CT": "CT",
    "PLACE": "PL", "PL": "PL",
    "HIGHWAY": "HWY", "HWY": "HWY",
    "PARKWAY": "PKWY", "PKWY": "PKWY", "PKY": "PKWY",
    "CIRCLE": "CIR", "CIRC": "CIR", "CIR": "CIR",
    "TERRACE": "TER", "TERR": "TER", "TER": "TER",
    "SQUARE": "SQ", "SQR": "SQ", "SQ": "SQ",
    "WAY": "WAY",
    "ALLEY": "ALY", "ALY": "ALY",
    "CRESCENT": "CRES", "CRES": "CRES",
    "EXPRESSWAY": "EXPY", "EXPY": "EXPY",
    "FREEWAY": "FWY", "FWY": "FWY",
    "TRAIL": "TRL", "TRL": "TRL",
    "PLAZA": "PLZ", "PLZ": "PLZ",
    "TURNPIKE": "TPKE", "TPKE": "TPKE",
    "CENTER": "CTR", "CENTRE": "CTR", "CTR": "CTR",
    "CROSSING": "XING", "XING": "XING",
    "HEIGHTS": "HTS", "HTS": "HTS",
    "ROUTE": "RTE", "RTE": "RTE",
}
_DIRECTIONALS = {
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
    "NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW",
}
_UNITS = {
    "SUITE": "STE", "STE": "STE",
    "APARTMENT": "APT", "APT": "APT",
    "UNIT": "UNIT",
    "FLOOR": "FL", "FLR": "FL", "FL": "FL",
    "BUILDING": "BLDG", "BLDG": "BLDG",
    "ROOM": "RM", "RM": "RM",
    "DEPARTMENT": "DEPT", "DEPT": "DEPT",
}
_STREET_TOKEN = re.compile(r"\d+/\d+|[^\W_]+(?:-[^\W_]+)*|#")
_PO_BOX = re.compile(r"\b(?:P\s*O|POST\s+OFFICE|POST|POB)\s*BOX\b|\bPOB\b")
_DOT_APOSTROPHE = re.compile(r"[.']")
_NOT_CITY_WORD = re.compile(r"[^\w-]+")
_SPACE_OR_DASH = re.compile(r"[\s-]")


def normalize_street(s) -> str | None:
    """Street line in upper case with USPS abbreviations, for storage and matching.

    "123 North Main Street, Suite #200" -> "123 N MAIN ST STE 200". A
    suffix or directional word followed by a suffix is part of the street
    name and kept whole ("12 Court Street" -> "12 COURT ST"); a bare "#" is
    read as "UNIT".
    """
    text = clean_text(s)
    if text is None:
        return None
    text = fold_accents(text).upper()
    text = _DOT_APOSTROPHE.sub("", text)  # "P.O." -> "PO", "St." -> "ST"
    # Keep "-" and "/" only inside house numbers and fractions ("12-B", "1/2").
    tokens = _STREET_TOKEN.findall(text)
    tokens = _PO_BOX.sub("PO BOX", " ".join(tokens)).split()
    out: list[str] = []
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        out.append(_street_token(token, following, out[-1] if out else None))
    return " ".join(t for t in out if t) or None


def _street_token(token: str, following: str | None, previous: str | None) -> str:
    names_a_street = following in _SUFFIXES
    if token == "#":
        # "APT # 4" keeps its designator; a bare "# 4" becomes "UNIT 4".
        return "" if previous in _UNITS.values() else "UNIT"
    if token in _UNITS:
        return _UNITS[token]
    if token in _DIRECTIONALS and not names_a_street:
        return _DIRECTIONALS[token]
    if token in _SUFFIXES and not names_a_street:
        return _SUFFIXES[token]
    return token


_CITY_WORDS = {"ST": "SAINT", "STE": "SAINTE", "FT": "FORT", "MT": "MOUNT", "PT": "PORT"}


def normalize_city(s) -> str | None:
    """City in upper case, accents folded, "St." / "Ft" / "Mt" spelled out."""
    text = clean_text(s)
    if text is None:
        return None
    text = _DOT_APOSTROPHE.sub("", fold_accents(text).upper())
    tokens = _NOT_CITY_WORD.sub(" ", text).replace("_", " ").split()
    return " ".join(_CITY_WORDS.get(token, token) for token in tokens) or None


_GB_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
_CA_POSTCODE = re.compile(r"^[A-Z][0-9][A-Z][0-9][A-Z][0-9]$")
_NL_POSTCODE = re.compile(r"^[0-9]{4}[A-Z]{2}$")
# Five-digit postal codes whose leading zero spreadsheets drop.
_FIVE_DIGIT = frozenset({"DE", "FR", "IT", "ES"})


def normalize_postal_code(s, country: str | None = "US") -> str | None:
    """Postal code in its country's standard form.

    US: "12345" or ZIP+4 "12345-6789"; 3- and 4-digit ZIPs (and 7-8 digit
    ZIP+4s) that lost leading zeros in a spreadsheet are zero-padded
    ("2134.0" -> "02134"). GB, CA, NL get their standard space; DE, FR, IT,
    ES are five digits. Other countries: upper case, single spaces.
    """
    text = digits_from_cell(s)
    if text is None:
        return None
    code = text.upper()
    compact = _SPACE_OR_DASH.sub("", code)
    match country_code_or_none(country):
        case "US":
            return _us_zip(code)
        case "GB" if _GB_POSTCODE.match(compact):
            return f"{compact[:-3]} {compact[-3:]}"
        case "CA" if _CA_POSTCODE.match(compact):
            return f"{compact[:3]} {compact[3:]}"
        case "NL" if _NL_POSTCODE.match(compact):
            return f"{compact[:4]} {compact[4:]}"
        case "GB" | "CA" | "NL" as known:
            raise InvalidValue(f"{text!r} is not a {known} postal code")
        case known if known in _FIVE_DIGIT:
            if not (compact.isdigit() and 4 <= len(compact) <= 5):
                raise InvalidValue(f"{text!r} is not a {known} postal code: expected 5 digits")
            return compact.zfill(5)
    return " ".join(code.split())


_US_ZIP = re.compile(r"(\d{3,5})(?:[\s-]*(\d{4}))?")


def _us_zip(code: str) -> str:
    match = _US_ZIP.fullmatch(code)
    if match is None:
        raise InvalidValue(f"{code!r} is not a US ZIP code: expected 5 digits or ZIP+4")
    zip5, plus4 = match.group(1).zfill(5), match.group(2)
    return f"{zip5}-{plus4}" if plus4 else zip5
