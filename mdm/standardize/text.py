"""Small text helpers shared by every standardizer."""

import math
import re
import unicodedata

# Spreadsheet and database exports spell "no value" in many ways.
NULL_TOKENS = frozenset({"", "null", "n/a", "#n/a", "-", "--", "nan", "none"})
_LONGEST_NULL_TOKEN = max(map(len, NULL_TOKENS))

_WHITESPACE = re.compile(r"\s+")


def clean_text(s) -> str | None:
    """Trim and collapse whitespace; None for empty or null-like values."""
    if s is None:
        return None
    if s.__class__ is not str:
        if isinstance(s, float) and math.isnan(s):
            return None
        s = str(s)
    if s.isascii():
        text = _WHITESPACE.sub(" ", s).strip()
    else:
        # NFC: macOS and some exports write "é" as "e" plus a combining accent.
        text = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", s).replace("\u00a0", " ")).strip()
    # Lower-casing never shortens a text, so only short ones can be a null token.
    if len(text) <= _LONGEST_NULL_TOKEN and text.lower() in NULL_TOKENS:
        return None
    return text


def fold_accents(s: str) -> str:
    """Remove diacritics: "Müller" -> "Muller", "Ørsted" -> "Orsted"."""
    if s.isascii():
        return s  # nothing to decompose, drop or map
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
