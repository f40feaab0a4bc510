"""Product descriptions reduced to comparable attributes.

Systems describe one item in their own style: ``SCR HEX 1/4-20X1 ZN 100/BX``
(ERP, abbreviated), ``Hex Cap Screw 1/4-20 x 1in Zinc Plated, Box of 100``
(catalogue text), ``HEX CAP SCR 1/4-20 X 1 ZN`` (warehouse label). ``parse``
turns each into

- **terms**: one canonical code per word or phrase (``Zinc Plated`` and
  ``ZN`` -> ``ZN``, ``Stainless Steel`` and ``SS`` -> ``SS``, ``Screw`` and
  ``SCR`` -> ``SCR``), words outside the vocabulary reduced to their consonant
  skeleton (``BREAKER``/``BRKR``, ``WASHER``/``WSHR``), filler words dropped;
- **sizes**: the numeric attributes with their unit (``1/4-20``, ``1``,
  ``35YD``, ``20A``, ``5000K``; inches are implied, ``.045`` = ``0.045``);
- **pack**: the count a package holds (``100/BX``, ``Box of 100``, ``12CT``,
  ``Case/12``, a trailing `` - 100``), kept apart because one system may
  leave it out.

Two descriptions of one item then have equal term sets, or one a subset of
the other (a system left words out); sibling products (another length,
finish, colour, pack) each have a term the other lacks.

The vocabulary is the usual abbreviation list of an MRO/industrial
distributor (colours, materials and finishes, fastener heads and drives,
plumbing ends, sizes). It is generic, not tied to one catalogue; rules may
extend it (feature parameter ``abbreviations``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Multi-word phrases first (longest first when applied), then single words.
# Keys are upper-case words separated by single spaces after normalization.
PHRASES: dict[str, str] = {
    # materials and finishes
    "18-8 STAINLESS STEEL": "SS", "18-8 STAINLESS": "SS", "18-8 SS": "SS", "304 STAINLESS STEEL": "SS304",
    "316 STAINLESS STEEL": "SS316", "STAINLESS STEEL": "SS", "ZINC PLATED": "ZN", "ZINC PLATE": "ZN",
    "YELLOW ZINC": "YZN", "BLACK OXIDE": "BO", "BLK OX": "BO", "HOT DIP GALVANIZED": "HDG", "HOT DIPPED GALVANIZED": "HDG",
    "HOT DIP GALV": "HDG", "PLAIN STEEL": "PLN", "PLAIN FINISH": "PLN", "HIGH SPEED STEEL": "HSS",
    "TITANIUM NITRIDE": "TIN", "TITANIUM COATED": "TIN", "TITANIUM NITRIDE COATED": "TIN", "CHROME PLATED": "CHR",
    "NICKEL PLATED": "NI", "CARBON STEEL": "CSTL",
    # fasteners
    "SOCKET HEAD CAP SCREW": "SHCS", "SOCKET CAP SCREW": "SHCS", "SHC SCR": "SHCS", "SCR SHC": "SHCS",
    "HEX CAP SCREW": "HEX SCR", "HEX HEAD CAP SCREW": "HEX SCR", "CAP SCREW": "SCR", "CAP SCR": "SCR", "FLAT HEAD": "FH", "FLAT HD": "FH",
    "PAN HEAD": "PNH", "ROUND HEAD": "RH", "HEX HEAD": "HEX", "OVAL HEAD": "OH", "TRUSS HEAD": "TRH",
    "BUTTON HEAD": "BH", "SELF DRILLING": "SD", "SELF TAPPING": "ST",
    "LOCK WASHER": "LKWSHR", "SPLIT LOCK": "LK", "NYLON INSERT": "NYLK", "WING NUT": "WNGNUT",
    # plumbing / electrical ends and mounts
    "FULL PORT": "FP", "STANDARD PORT": "STDP", "C X C": "SWT", "CXC": "SWT", "P X P": "PRS", "PXP": "PRS",
    "FNPT X FNPT": "FNPT", "MNPT X MNPT": "MNPT", "BOLT ON": "BLTON", "PLUG ON": "PLGON", "PUSH ON": "PSHON",
    "TWIST ON WIRE CONNECTOR": "WIRENUT", "WIRE CONNECTOR TWIST": "WIRENUT", "CONN WIRE TWIST": "WIRENUT",
    "TWIST WIRE CONNECTOR": "WIRENUT", "WIRE NUT": "WIRENUT", "CIRCUIT BREAKER": "BRKR", "SINGLE POLE": "1P",
    "DOUBLE POLE": "2P", "TRIPLE POLE": "3P", "BUILDING WIRE": "WIRE", "90 DEGREE": "90", "45 DEGREE": "45",
    "WORM GEAR": "WORM",
    # abrasives, safety, janitorial
    "HOOK AND LOOP": "HL", "HOOK & LOOP": "HL", "HOOK LOOP": "HL", "H & L": "HL", "H L": "HL", "CUT OFF": "CUTOFF", "ANTI FOG": "AF",
    "ANTI SCRATCH": "AS", "INDOOR OUTDOOR": "IO", "I O": "IO", "JOBBER LENGTH": "JOBBER", "DRILL BIT": "DRILL",
    "TRASH CAN": "CAN", "TRASH": "CAN", "C FOLD": "CFOLD", "MULTI FOLD": "MULTIFOLD", "EXTRA LARGE": "XL",
    "X LARGE": "XL", "XX LARGE": "XXL", "EXTRA SMALL": "XS", "PAPER TOWEL": "TOWEL PPR",
    "SCHEDULE": "SCH",
}

WORDS: dict[str, str] = {
    # colours
    "BLACK": "BLK", "WHITE": "WHT", "BLUE": "BLU", "GREEN": "GRN", "YELLOW": "YEL", "YLW": "YEL",
    "GRAY": "GRY", "GREY": "GRY", "SILVER": "SLV", "SIL": "SLV", "SLVR": "SLV", "PURPLE": "PUR", "PRP": "PUR", "ORANGE": "ORG",
    "ORN": "ORG", "AMBER": "AMB", "CLEAR": "CLR", "NATURAL": "NAT", "BROWN": "BRN", "PINK": "PNK",
    "BEIGE": "BGE", "GOLD": "GLD", "IVORY": "IVY", "VIOLET": "VIO", "SMOKE": "SMK", "MIRROR": "MIR",
    "MIRRORED": "MIR",
    # materials, finishes, grades
    "STAINLESS": "SS", "SST": "SS", "ZINC": "ZN", "ZP": "ZN", "GALVANIZED": "GALV", "GALV": "GALV",
    "PLAIN": "PLN", "BRASS": "BRS", "COPPER": "CU", "ALUMINUM": "AL", "ALUMINIUM": "AL", "ALUM": "AL",
    "BRONZE": "BRZ", "NYLON": "NYL", "CHROME": "CHR", "NICKEL": "NI", "COBALT": "COB", "CARBIDE": "CARB",
    "TITANIUM": "TI", "POLYETHYLENE": "PE", "POLY": "PE", "POLYPROPYLENE": "PP", "RUBBER": "RBR",
    "STEEL": "STL", "IRON": "IRN", "MALLEABLE": "MAL",
    # sizes
    "SMALL": "SM", "SML": "SM", "MEDIUM": "MD", "MED": "MD", "LARGE": "LG", "LRG": "LG", "XLARGE": "XL",
    "XXLARGE": "XXL", "2XL": "XXL",
    # fasteners
    "SCREW": "SCR", "SCRW": "SCR", "SCREWS": "SCR", "WASHER": "WSHR", "WSH": "WSHR", "WASHERS": "WSHR",
    "BOLT": "BLT", "BOLTS": "BLT", "NUT": "NUT", "NUTS": "NUT", "CARRIAGE": "CARR", "CRG": "CARR",
    "WOOD": "WD", "PHILLIPS": "PH", "PHIL": "PH", "SLOTTED": "SLT", "SOCKET": "SKT", "SOC": "SKT",
    "HEXAGON": "HEX", "SHC": "SHCS", "HCS": "HEX SCR", "THREADED": "THD", "THRD": "THD", "THREAD": "THD",
    "ANCHOR": "ANCH", "RIVET": "RVT",
    # plumbing / electrical
    "VALVE": "VLV", "VALVES": "VLV", "ELBOW": "ELL", "EL": "ELL", "COUPLING": "CPLG", "CPL": "CPLG",
    "ADAPTER": "ADPT", "ADAPTOR": "ADPT", "REDUCER": "RDCR", "NIPPLE": "NIP", "SWEAT": "SWT",
    "PRESS": "PRS", "FIPT": "FNPT", "MIPT": "MNPT", "BREAKER": "BRKR", "BKR": "BRKR", "CONNECTOR": "CONN",
    "CONNECTORS": "CONN", "CONDUIT": "CND", "RECEPTACLE": "RCPT", "DIMMABLE": "DIM",
    "LAMP": "LMP", "BULB": "LMP", "REEL": "SPL", "SPOOL": "SPL", "CABLE": "CBL",
    # abrasives, cutting, safety, janitorial
    "SANDING": "SND", "SAND": "SND", "DISC": "DSC", "DISK": "DSC", "DISCS": "DSC", "WHEEL": "WHL",
    "WHEELS": "WHL", "CUTOFF": "CUTOFF", "ARBOR": "ARB", "GLOVES": "GLV", "GLOVE": "GLV", "GLASSES": "GLS",
    "GOGGLES": "GGL", "SAFETY": "SFTY", "LENS": "LNS", "FRAME": "FRM", "DISPOSABLE": "DISP", "LINER": "LNR",
    "LINERS": "LNR", "PAPER": "PPR", "TOWEL": "TWL", "TOWELS": "TWL", "ROLL": "RL", "ROLLS": "RL",
    "HARDWOUND": "HW", "TAPE": "TP", "DUCT": "DCT", 
}

COLOURS = frozenset({"BLK", "WHT", "BLU", "RED", "GRN", "YEL", "GRY", "SLV", "PUR", "ORG", "AMB", "CLR", "NAT", "BRN", "PNK", "BGE", "GLD", "IVY", "VIO", "SMK", "TAN"})
# A colour right before one of these parts is that part's colour ("Clear Lens Blue Frame"):
# it becomes one term ("FRM:BLU"), so that lens and frame colours are not mixed up.
COLOURED_PARTS = frozenset({"FRM", "HNDL", "JKT", "GRP", "TRIM", "CAP"})

# Words that carry no attribute: connectives, "inch", and the separator "x".
FILLER = frozenset({"OF", "AND", "WITH", "FOR", "THE", "IN", "INCH", "INCHES", "X", "BY", "PER", "W/", "DEGREE", "DEG", "LENGTH", "TYPE", "STYLE", "SERIES", "NO"})

# Units written after a number; inches are implied (many systems drop them).
UNITS: dict[str, str] = {
    "IN": "", "INCH": "", "INCHES": "", '"': "", "FT": "FT", "FEET": "FT", "FOOT": "FT", "'": "FT",
    "YD": "YD", "YDS": "YD", "YARD": "YD", "YARDS": "YD", "MIL": "MIL", "MILS": "MIL", "GAL": "GAL",
    "GALLON": "GAL", "GALLONS": "GAL", "A": "A", "AMP": "A", "AMPS": "A", "V": "V", "VOLT": "V", "VOLTS": "V",
    "VAC": "V", "VDC": "VDC", "W": "W", "WATT": "W", "WATTS": "W", "K": "K", "AWG": "AWG", "GA": "GA",
    "GAUGE": "GA", "G": "G", "GRIT": "G", "P": "P", "POLE": "P", "MM": "MM", "CM": "CM", "M": "M",
    "LB": "LB", "LBS": "LB", "OZ": "OZ", "KG": "KG", "L": "L", "ML": "ML", "PSI": "PSI", "RPM": "RPM",
    "DEG": "", "DEGREE": "", "DEGREES": "", "°": "", "MM2": "MM2", "HP": "HP",
}

_PACK_UNITS = r"BX|BOX|BOXES|CS|CASE|CASES|PK|PACK|PKG|BG|BAG|CT|CTN|CARTON|RL|DZ|PR|PAIL|TUB|BKT|DRUM|SLEEVE"
_PACK_PATTERNS = [
    re.compile(rf"\b(\d+)\s*/\s*(?:{_PACK_UNITS})\b"),  # 100/BX
    re.compile(rf"\b(?:{_PACK_UNITS})\s*(?:OF|/|-)\s*(\d+)\b"),  # BOX OF 100, CASE/12
    re.compile(r"\b(\d+)\s*(?:CT|PK|PC|PCS|COUNT|PACK|EA/BX)\b"),  # 12CT, 50 PK
    re.compile(r"\s-\s*(\d+)\s*$"),  # a trailing "- 100"
]
_PRE = [
    (re.compile(r"(\d)\s*\""), r"\1 IN "),  # 1/2" -> 1/2 IN
    (re.compile(r"(\d)\s*'"), r"\1 FT "),
    (re.compile(r"(?<=\d)-(?=[A-Z])"), " "),  # 1-POLE -> 1 POLE
    (re.compile(r"(?<=\d)X(?=[#.\d])"), " X "),  # 1/4-20X1, 7X.045X7/8
    (re.compile(r"#(?=\d)"), ""),
    (re.compile(r"&"), " & "),
]
_TOKEN = re.compile(r"\.?\d+(?:[./-]\d+)*|[A-Z]+\d+[A-Z\d]*|[A-Z]+|&")
_NUMBER = re.compile(r"^\.?\d+(?:[./-]\d+)*$")
_NUMBER_UNIT = re.compile(r"^(\d*\.?\d+(?:[/-]\d+)*)([A-Z]+)$")
_CODE_NUMBER = re.compile(r"^(SCH|A|BR|PAR|MR|T|G|E|R)(\d+)$")  # SCH40, A19, BR30, PAR38: one attribute
_VOWELS = re.compile(r"(?<=[A-Z])[AEIOUY]+")
_REPEATS = re.compile(r"([A-Z])\1+")


@dataclass(frozen=True)
class ProductText:
    terms: tuple[str, ...]
    sizes: tuple[str, ...]
    pack: int | None


def normalize_number(text: str) -> str:
    """``2.0`` -> ``2``, ``.045`` -> ``0.045``, ``0010`` -> ``10``; fractions and threads kept."""
    if re.fullmatch(r"\d+", text):
        return text.lstrip("0") or "0"
    if re.fullmatch(r"\d*\.\d+", text):
        whole, fraction = text.split(".")
        whole, fraction = whole.lstrip("0") or "0", fraction.rstrip("0")
        return f"{whole}.{fraction}" if fraction else whole
    return text


def _unit_value(number: str, unit: str) -> str:
    if unit == "K" and re.fullmatch(r"\d{2}", number):
        # Colour temperature shorthand: 27K, 30K, 50K stand for 2700K, 3000K, 5000K.
        number = str(int(number) * 100)
    return number + unit


def skeleton(word: str) -> str:
    """Inner vowels and doubled letters dropped: ``BREAKER`` -> ``BRKR``, ``WASHER`` -> ``WSHR``."""
    return _REPEATS.sub(r"\1", _VOWELS.sub("", word))


def _word(word: str, words: dict[str, str]) -> str:
    """A word's canonical code: from the vocabulary, else its skeleton (plural ``S`` dropped)."""
    if word in words:
        return words[word]
    if len(word) > 3 and word.endswith("S") and not word.endswith("SS") and word[:-1] in words:
        return words[word[:-1]]
    if len(word) > 4 and word.endswith("S") and not word.endswith("SS"):
        word = word[:-1]
    return skeleton(word)


@lru_cache(maxsize=8)
def _compiled(extra: tuple[tuple[str, str], ...]):
    phrases = dict(PHRASES)
    # Every code also stands for itself ("BRKR" written as the code).
    words = {code: code for value in (*PHRASES.values(), *WORDS.values()) for code in value.split()}
    words.update(WORDS)
    for key, value in extra:
        (phrases if " " in key.strip() else words)[key.strip().upper()] = value.strip().upper()
    ordered = sorted(phrases, key=len, reverse=True)
    pattern = re.compile(r"(?<![A-Z0-9])(?:" + "|".join(re.escape(p) for p in ordered) + r")(?![A-Z0-9])")
    return pattern, phrases, words


def parse(text: str, abbreviations: dict[str, str] | None = None) -> ProductText:
    """Terms, sizes and pack count of one product description.

    Cached: the terms, the sizes and the pack count of a description are
    separate features, each parsing the same distinct values.
    """
    return _parse(text, tuple(sorted((abbreviations or {}).items())))


@lru_cache(maxsize=100_000)
def _parse(text: str, extra: tuple[tuple[str, str], ...]) -> ProductText:
    phrase_re, phrases, words = _compiled(extra)
    text = text.upper()
    pack = None
    for pattern in _PACK_PATTERNS:
        found = pattern.search(text)
        if found:
            pack = int(found.group(1))
            text = text[: found.start()] + " " + text[found.end() :]
            break
    for pattern, repl in _PRE:
        text = pattern.sub(repl, text)
    text = re.sub(r"[^A-Z0-9./\-&\"' ]+", " ", text)
    text = re.sub(r"(?<![0-9])[/\-]|[./\-](?![0-9])", " ", text)  # punctuation, not inside numbers
    text = " ".join(text.split())
    text = phrase_re.sub(lambda m: phrases[m.group(0)], text)
    terms: list[str] = []
    sizes: list[str] = []
    tokens = _TOKEN.findall(text)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if _NUMBER.match(token):
            number = normalize_number(token)
            if nxt is not None and nxt in UNITS:
                sizes.append(_unit_value(number, UNITS[nxt]))
                i += 2
                continue
            sizes.append(number)
        elif _NUMBER_UNIT.match(token):
            number, unit = _NUMBER_UNIT.match(token).groups()
            number = normalize_number(number)
            sizes.append(_unit_value(number, UNITS.get(unit, unit)))
        elif _CODE_NUMBER.match(token) or re.match(r"^[A-Z]+\d", token):
            sizes.append(token)
        elif token in FILLER or token == "&":
            pass
        elif token in ("SCH",) and nxt is not None and _NUMBER.match(nxt):
            sizes.append("SCH" + normalize_number(nxt))
            i += 2
            continue
        else:
            terms.extend(_word(token, words).split())
        i += 1
    return ProductText(terms=tuple(sorted(set(_coloured_parts(terms)))), sizes=tuple(sorted(set(sizes))), pack=pack)


def _coloured_parts(terms: list[str]) -> list[str]:
    out: list[str] = []
    for term in terms:
        if term in COLOURED_PARTS and out and out[-1] in COLOURS:
            out[-1] = f"{term}:{out[-1]}"
        else:
            out.append(term)
    return out
