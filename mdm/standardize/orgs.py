"""Organization names: display cleaning, match keys and legal forms."""

import re

from .text import clean_text, fold_accents

# Legal-form code -> spellings, written as match-key tokens (lower case,
# dots dropped, '&' spelled "and"). Longer spellings win over their tails.
_LEGAL_FORMS = {
    "INC": ["inc", "incorporated"],
    "CORP": ["corp", "corporation"],
    "CO": ["co", "company", "and co", "and company", "cie", "and cie"],
    "LLC": ["llc", "l l c", "limited liability company"],
    "LTD": ["ltd", "limited", "co ltd", "company limited", "co limited"],
    "LP": ["lp", "limited partnership"],
    "LLP": ["llp", "limited liability partnership"],
    "LLLP": ["lllp"],
    "PLLC": ["pllc"],
    "PC": ["pc"],
    "PLC": ["plc", "public limited company"],
    "GMBH": ["gmbh", "mbh"],
    "GMBHCOKG": ["gmbh and co kg", "gmbh co kg"],
    "AG": ["ag"],
    "KG": ["kg", "kgaa"],
    "SE": ["se"],
    "SA": ["sa"],
    "SADECV": ["sa de cv", "s de rl de cv", "sapi de cv"],
    "SAS": ["sas"],
    "SARL": ["sarl"],
    "SPA": ["spa"],
    "SRL": ["srl"],
    "SL": ["sl", "slu"],
    "BV": ["bv"],
    "NV": ["nv"],
    "PTYLTD": ["pty ltd", "pty limited", "pty"],
    "PTELTD": ["pte ltd", "pte"],
    "PVTLTD": ["pvt ltd", "private limited"],
    "OY": ["oy", "oyj"],
    "AB": ["ab", "publ ab"],
    "AS": ["as", "asa", "aps"],
    "KK": ["kk", "kabushiki kaisha"],
    "SDNBHD": ["sdn bhd"],
}

# Longest spelling first so "pty ltd" is tried before "ltd".
_SUFFIXES: list[tuple[tuple[str, ...], str]] = sorted(
    ((tuple(spelling.split()), code) for code, spellings in _LEGAL_FORMS.items() for spelling in spellings),
    key=lambda item: -len(item[0]),
)

# The same list by last token: a spelling can end the name only if its last
# token does, so only those are tried (in the order above).
_SUFFIXES_BY_LAST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _spelling, _code in _SUFFIXES:
    _SUFFIXES_BY_LAST.setdefault(_spelling[-1], []).append((_spelling, _code))
del _spelling, _code

_A_S = re.compile(r"\ba/s\b")
_JOINERS = re.compile(r"[.'\u2019]")
_KEY_TOKEN = re.compile(r"[^\W_]+")


def _key_tokens(text: str) -> list[str]:
    # Folding twice: case-folding can expose new accents ("ẞ" -> "ß" -> "ss").
    text = fold_accents(fold_accents(text).casefold()).replace("&", " and ")
    text = _A_S.sub("as", text)
    # Dots and apostrophes join ("L.L.C." -> "llc", "McDonald's" -> "mcdonalds").
    text = _JOINERS.sub("", text)
    return _KEY_TOKEN.findall(text)


def _trailing_suffix(tokens: list[str]) -> tuple[int, str] | None:
    if not tokens:
        return None
    for spelling, code in _SUFFIXES_BY_LAST.get(tokens[-1], ()):
        n = len(spelling)
        # Keep at least one token of the name itself.
        if len(tokens) > n and tuple(tokens[-n:]) == spelling:
            return n, code
    return None


def org_match_key(s) -> str | None:
    """Matching form of an organization name.

    "The ACME Supply Co., Inc." -> "acme supply": lower case, accents folded,
    '&' -> "and", punctuation gone, trailing legal forms and a leading "The"
    removed.
    """
    text = clean_text(s)
    if text is None:
        return None
    tokens = _key_tokens(text)
    while len(tokens) > 1 and tokens[0] == "the":
        del tokens[0]
    while (found := _trailing_suffix(tokens)) is not None:
        del tokens[-found[0] :]
    return " ".join(tokens) or None


def legal_form(s) -> str | None:
    """Canonical code of the legal form ending the name ("INC", "GMBH", ...)."""
    text = clean_text(s)
    if text is None:
        return None
    found = _trailing_suffix(_key_tokens(text))
    return found[1] if found else None


# How legal forms and small words read in title case.
_DISPLAY_CASE = {
    "inc": "Inc", "corp": "Corp", "co": "Co", "ltd": "Ltd", "gmbh": "GmbH",
    "mbh": "mbH", "spa": "SpA", "pty": "Pty", "oy": "Oy", "kgaa": "KGaA",
    "llc": "LLC", "llp": "LLP", "lp": "LP", "plc": "PLC", "ag": "AG", "kg": "KG",
    "sa": "SA", "sas": "SAS", "sarl": "SARL", "srl": "SRL", "bv": "BV", "nv": "NV",
    "ab": "AB", "se": "SE", "pte": "Pte",
}
# Short words that are words, not acronyms, when written in capitals.
_SHORT_WORDS = frozenset(
    """
    a an and the of for in on at by to or as is it de la le du des del von van
    big top new old red one two all pro bay sun oak air car art bar way hub fit
    box pet dog cat bed web far low hot ice sea sky star toy tea tin gas oil
    fox owl elm ash key map net pot run sew win zoo bee ace arc aim eco
    """.split()
)
_LOWER_INSIDE = frozenset("a an and the of for in on at by to or de la du des del von van".split())
_VOWELS = frozenset("AEIOUY")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.])")
_COMMA_BEFORE_LETTER = re.compile(r",(?=[^\W\d_])")
_DOTTED = re.compile(r"\w\.\w")
_LETTERS = re.compile(r"[^\W\d_]+")


def clean_org_name(s) -> str | None:
    """Display form of an organization name.

    Whitespace is tidied and the legal form kept. An ALL-CAPS name becomes
    title case, keeping acronyms ("ABC", "IBM", "HSBC") upper; any other
    casing is the source's choice and is left alone.
    """
    text = clean_text(s)
    if text is None:
        return None
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _COMMA_BEFORE_LETTER.sub(", ", text)
    if not (any(c.isalpha() for c in text) and text == text.upper()):
        return text
    words = text.split(" ")
    return " ".join(_title_word(word, first=i == 0) for i, word in enumerate(words))


def _title_word(word: str, first: bool) -> str:
    bare = word.strip(".,()").lower()
    if any(c.isdigit() for c in word) or "&" in word or _DOTTED.search(word):
        return word  # "3M", "AT&T", "U.S.A."
    if bare in _DISPLAY_CASE:
        return word.replace(word.strip(".,()"), _DISPLAY_CASE[bare])
    letters = [c for c in word.upper() if c.isalpha()]
    if not letters:
        return word
    if not _VOWELS.intersection(letters) or (len(letters) <= 3 and bare not in _SHORT_WORDS):
        return word
    if not first and bare in _LOWER_INSIDE:
        return word.lower()
    return _LETTERS.sub(lambda m: _capitalize(m.group()), word).replace("'S", "'s")


def _capitalize(part: str) -> str:
    if part.lower().startswith("mc") and len(part) > 2:
        return "Mc" + part[2:].capitalize()
    return part.capitalize()
