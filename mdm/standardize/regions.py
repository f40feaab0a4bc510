"""US states and Canadian provinces to their two-letter codes."""

import re

from .countries import country_code_or_none
from .text import clean_text, fold_accents

# Code, then names and old-style abbreviations ("Calif.", "Mass.").
_REGIONS = """
AL | Alabama, Ala
AK | Alaska
AZ | Arizona, Ariz
AR | Arkansas, Ark
CA | California, Calif, Cal
CO | Colorado, Colo
CT | Connecticut, Conn
DE | Delaware, Del
DC | District of Columbia, Washington DC, Wash DC
FL | Florida, Fla
GA | Georgia
HI | Hawaii
ID | Idaho
IL | Illinois, Ill
IN | Indiana, Ind
IA | Iowa
KS | Kansas, Kans, Kan
KY | Kentucky, Ky
LA | Louisiana
ME | Maine
MD | Maryland
MA | Massachusetts, Mass
MI | Michigan, Mich
MN | Minnesota, Minn
MS | Mississippi, Miss
MO | Missouri
MT | Montana, Mont
NE | Nebraska, Nebr, Neb
NV | Nevada, Nev
NH | New Hampshire
NJ | New Jersey
NM | New Mexico
NY | New York
NC | North Carolina
ND | North Dakota
OH | Ohio
OK | Oklahoma, Okla
OR | Oregon, Ore, Oreg
PA | Pennsylvania, Penn, Penna
RI | Rhode Island
SC | South Carolina
SD | South Dakota
TN | Tennessee, Tenn
TX | Texas, Tex
UT | Utah
VT | Vermont
VA | Virginia
WA | Washington, Wash
WV | West Virginia
WI | Wisconsin, Wis, Wisc
WY | Wyoming, Wyo
PR | Puerto Rico
GU | Guam
VI | Virgin Islands, US Virgin Islands
AS | American Samoa
MP | Northern Mariana Islands
AB | Alberta, Alta
BC | British Columbia
MB | Manitoba, Man
NB | New Brunswick
NL | Newfoundland and Labrador, Newfoundland, Nfld
NS | Nova Scotia
NT | Northwest Territories
NU | Nunavut
ON | Ontario, Ont
PE | Prince Edward Island, PEI
QC | Quebec, Que, PQ
SK | Saskatchewan, Sask
YT | Yukon, Yukon Territory
"""

# Regions are looked up only for countries whose table we hold.
_COUNTRIES_WITH_TABLE = frozenset({"US", "CA"})
_KEY_WORD = re.compile(r"[a-z]+")


def _key(text: str) -> str:
    text = fold_accents(text).lower().replace("&", " and ").replace(".", "")
    return " ".join(_KEY_WORD.findall(text))


def _parse(table: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for line in table.strip().splitlines():
        code, _, names = line.partition("|")
        for name in (code, *names.split(",")):
            index[_key(name)] = code.strip()
    return index


_INDEX = _parse(_REGIONS)


def normalize_region(s, country: str | None = "US") -> str | None:
    """Two-letter code of a US state or Canadian province.

    "California", "Calif.", "ca" -> "CA". For other countries, or a region
    not in the table, the cleaned input upper-cased.
    """
    text = clean_text(s)
    if text is None:
        return None
    if country is None or country_code_or_none(country) in _COUNTRIES_WITH_TABLE:
        code = _INDEX.get(_key(text))
        if code is not None:
            return code
    return text.upper()
