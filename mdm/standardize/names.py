"""Person names: display cleaning, splitting, nickname keys, org detection."""

import re
import unicodedata
from functools import lru_cache

from nameparser import HumanName

from .nicknames import NICKNAMES
from .orgs import legal_form
from .text import clean_text, fold_accents

# Lower-case name particles that stay lower case after the first word.
_PARTICLES = frozenset("van von der den de del della di da du dos das la le ten ter bin al".split())
# Tokens that keep their trailing period ("Dr.", "Jr.").
_ABBREVIATIONS = frozenset({"dr", "mr", "mrs", "ms", "mx", "jr", "sr", "prof", "rev", "st", "hon"})
_ROMAN = frozenset({"ii", "iii", "iv", "vii", "viii"})  # not "vi": a given name
# "Mac" is a prefix only in these surnames: "Mack", "Macy", "Machado" are not.
_MAC_NAMES = frozenset(
    """
    macdonald macleod mackenzie macarthur macgregor macintyre macmillan mackay
    maclean macneil macpherson macdougall maclachlan macaulay
    """.split()
)

_REPEATED = re.compile(r"([-'.])[-'.]+")
# An ASCII character that is not a letter or name punctuation.
_NOT_NAME_ASCII = re.compile(r"[^A-Za-z'\-.,]")
_WORD_PART = re.compile(r"[^\-'.]+")
_LOWER_WORD = re.compile(r"[a-z]+")


def clean_person_name(s) -> str | None:
    """Display form of a person name: "  mcDONALD " -> "McDonald".

    Strips stray punctuation and digits, collapses whitespace and fixes case
    word by word; a word that is already sensibly mixed case ("DeVito") is
    left alone.
    """
    text = clean_text(s)
    if text is None:
        return None
    # NFKC: ligatures and full-width or compatibility letters ("ﬁ", "Ｊ") as plain letters.
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("`", "'")
    # Anything but letters, their accents and name punctuation is stray.
    if text.isascii():
        text = _NOT_NAME_ASCII.sub(" ", text)  # the same, one character at a time
    else:
        text = "".join(c if c.isalpha() or unicodedata.combining(c) or c in "'-.," else " " for c in text)
    words: list[str] = []
    for token in text.replace(",", " , ").split():
        if token == ",":
            # One comma, and only between words ("Smith, John").
            if words and words[-1] != ",":
                words.append(token)
        elif tidy := _tidy_word(token):
            words.append(tidy)
    while words and words[-1] == ",":
        words.pop()
    if not words:
        return None
    cased = [word if word == "," else _case_word(word, first=i == 0) for i, word in enumerate(words)]
    # NFC again: lower-casing "İ" yields "i" plus a combining dot.
    return unicodedata.normalize("NFC", " ".join(cased).replace(" ,", ","))


def _tidy_word(token: str) -> str:
    token = _REPEATED.sub(r"\1", token)
    bare = token.strip("-'.")
    last_part = bare.rsplit(".", 1)[-1].lower()
    # Initials and abbreviations keep their period ("A.", "J.R.R.", "Jr.").
    keeps_period = token.endswith(".") and (len(last_part) == 1 or last_part in _ABBREVIATIONS)
    return bare + "." if bare and keeps_period else bare


def _is_sane_mixed_case(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return (
        len(letters) > 1
        and letters[0].isupper()
        and any(c.islower() for c in letters)
        and any(c.isupper() for c in letters[1:])
    )


def _case_word(word: str, first: bool) -> str:
    if _is_sane_mixed_case(word):
        return word
    if not first and word.lower() in _PARTICLES:
        return word.lower()
    cased = _WORD_PART.sub(lambda m: _case_part(m.group()), word)
    return cased.upper() if cased.rstrip(".").lower() in _ROMAN else cased


def _case_part(part: str) -> str:
    lower = part.lower()
    if lower.startswith("mc") and len(lower) > 2:
        return "Mc" + _capitalize(lower[2:])
    if lower in _MAC_NAMES:
        return "Mac" + _capitalize(lower[3:])
    return _capitalize(lower)


def _capitalize(lower: str) -> str:
    head = lower[:1].upper()
    # "ß".upper() is "SS": keep such letters as they are so the length holds.
    return (head if len(head) == 1 else lower[:1]) + lower[1:]


_NAME_PARTS = {
    "given_name": "first",
    "middle_name": "middle",
    "family_name": "last",
    "title": "title",
    "suffix": "suffix",
}


def split_full_name(s) -> dict[str, str | None]:
    """Split a full person name into given, middle, family, title and suffix.

    Handles "Smith, John A." and "Dr. John Smith Jr.". Every key is present;
    absent parts are None.
    """
    # Case is fixed on the whole name so particles keep their context
    # ("Ludwig van Beethoven" -> family name "van Beethoven").
    text = clean_person_name(s)
    if text is None:
        return dict.fromkeys(_NAME_PARTS)
    return dict(zip(_NAME_PARTS, _parsed_parts(text)))


@lru_cache(maxsize=1 << 16)
def _parsed_parts(text: str) -> tuple[str | None, ...]:
    # Parsing is the costly part, and different spellings often clean to the
    # same text ("JOHN SMITH", "John Smith").
    parsed = HumanName(text)
    return tuple(clean_text(getattr(parsed, attr).strip(" ,")) for attr in _NAME_PARTS.values())


_ORG_WORDS = frozenset(
    """
    corp corporation company co inc incorporated llc ltd limited supply supplies
    service services industries industrial group holdings holding trading
    distribution distributors distributor distributing solutions systems
    technologies technology tech international intl enterprises enterprise
    associates partners manufacturing mfg bank university college school
    hospital clinic foundation trust church council department dept agency
    store stores shop market markets restaurant hotel labs laboratories
    logistics consulting products foods motors electric electronics pharma
    pharmaceuticals healthcare medical center centre institute club association
    society wholesale retail builders construction farms global ventures
    partnership sons brothers bros studio studios media networks software
    management property properties realty homes housing plumbing electrical
    hvac roofing landscaping automotive auto repair equipment machinery tools
    hardware lumber steel metals metal plastics chemicals chemical packaging
    paper printing design engineering architects contractors contracting
    mechanical transport transportation freight shipping express energy oil
    gas power utilities dental pharmacy bakery cafe grill kitchen catering
    dairy produce fitness salon insurance financial capital investments
    advisors law accounting office offices outfitters warehouse depot mart
    imports exports supermarket grocery grocers provisions traders works
    mills mill plant factory garage fabrication fabricators welding
    """.split()
)


# Legal forms that are also surnames ("Mário Sá", "Kim Se"): they mark an
# organization only when written as a code, in capitals or with dots.
_SURNAME_LIKE_FORMS = frozenset({"SA", "SE", "AS", "AB", "PC", "OY", "SL", "KK"})


def _written_as_code(text: str) -> bool:
    last = text.rsplit(" ", 1)[-1]
    return "." in last or last.isupper()


def is_organization_name(s) -> bool:
    """Heuristic: does this name look like an organization rather than a person?

    True when it carries a legal suffix, an '&', digits, or a typical
    business word (Corp, Supply, Services, Group, ...).
    """
    text = clean_text(s)
    if text is None:
        return False
    if "&" in text or any(c.isdigit() for c in text):
        return True
    form = legal_form(text)
    if form is not None and (form not in _SURNAME_LIKE_FORMS or _written_as_code(text)):
        return True
    words = _LOWER_WORD.findall(fold_accents(text).lower())
    return any(word in _ORG_WORDS for word in words)


def nickname_key(given_name) -> str | None:
    """Canonical lower-case given name, so nicknames compare equal.

    "Bobby" -> "robert", "Kathy" -> "katherine"; an unknown name returns
    itself, lower-cased and accent-folded.
    """
    text = clean_text(given_name)
    if text is None:
        return None
    key = " ".join(re.findall(r"[a-z']+", fold_accents(text).lower())).replace("'", "")
    if not key:
        return None
    return NICKNAMES.get(key, key)
