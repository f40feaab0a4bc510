"""Small text helpers shared by every standardizer."""

import math
import re
import unicodedata

# Spreadsheet and database exports spell "no value" in many ways.
NULL_TOKENS = frozenset({"", "null", "n/a", "#n/a", "-", "--", "nan", "none"})

_WHITESPACE = re.compile(r"\s+")


def clean_text(s) -> str | None:
    """Trim and collapse whitespace; None for empty or null-like values."""
    if s is None:
        return None
    if isinstance(s, float) and math.isnan(s):
        return None
    # NFC: macOS and some exports write "é" as "e" plus a combining accent.
    text = unicodedata.normalize("NFC", str(s))
    text = _WHITESPACE.sub(" ", text.replace("\u00a0", " ")).strip()
    if text.lower() in NULL_TOKENS:
        return None
    return text


def fold_accents(s: str) -> str:
    """Remove diacritics: "Müller" -> "Muller", "Ørsted" -> "Orsted"."""
    # NFKD splits "é" into "e" + combining accent; a few letters have no
    # decomposition and are mapped by hand afterwards ("Ǽ" -> "Æ" -> "AE").
    decomposed = unicodedata.normalize("NFKD", s)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_NO_DECOMPOSITION)


_NO_DECOMPOSITION = str.maketrans(
    {
        "ß": "ss",
        "Ø": "O",
        "ø": "o",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Þ": "Th",
        "þ": "th",
    }
)
