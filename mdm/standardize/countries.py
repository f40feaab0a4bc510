"""Countries to ISO 3166-1 alpha-2 codes."""

import re

from .errors import InvalidValue
from .text import clean_text, fold_accents

_DOT_APOSTROPHE = re.compile(r"[.']")
_KEY_WORD = re.compile(r"[a-z0-9]+")

# alpha-2, alpha-3, then names and common spellings (English and local).
_COUNTRIES = """
AE ARE | United Arab Emirates, UAE, Emirates
AR ARG | Argentina
AT AUT | Austria, Osterreich
AU AUS | Australia
BD BGD | Bangladesh
BE BEL | Belgium, Belgique, Belgie
BG BGR | Bulgaria
BR BRA | Brazil, Brasil
CA CAN | Canada
CH CHE | Switzerland, Schweiz, Suisse, Svizzera
CL CHL | Chile
CN CHN | China, People's Republic of China, PRC
CO COL | Colombia
CR CRI | Costa Rica
CZ CZE | Czech Republic, Czechia, Cesko
DE DEU | Germany, Deutschland, Federal Republic of Germany
DK DNK | Denmark, Danmark
DO DOM | Dominican Republic
EC ECU | Ecuador
EE EST | Estonia
EG EGY | Egypt
ES ESP | Spain, Espana
FI FIN | Finland, Suomi
FR FRA | France
GB GBR | United Kingdom, UK, Great Britain, Britain, England, Scotland, Wales, Northern Ireland, United Kingdom of Great Britain and Northern Ireland
GR GRC | Greece, Hellas
GT GTM | Guatemala
HK HKG | Hong Kong
HR HRV | Croatia, Hrvatska
HU HUN | Hungary, Magyarorszag
ID IDN | Indonesia
IE IRL | Ireland, Eire, Republic of Ireland
IL ISR | Israel
IN IND | India, Bharat
IS ISL | Iceland
IT ITA | Italy, Italia
JP JPN | Japan, Nippon
KE KEN | Kenya
KR KOR | South Korea, Korea, Republic of Korea, Korea Republic of
KW KWT | Kuwait
LT LTU | Lithuania
LU LUX | Luxembourg
LV LVA | Latvia
MA MAR | Morocco
MX MEX | Mexico
MY MYS | Malaysia
NG NGA | Nigeria
NL NLD | Netherlands, Holland, Nederland, The Netherlands
NO NOR | Norway, Norge
NZ NZL | New Zealand, Aotearoa
PA PAN | Panama
PE PER | Peru
PH PHL | Philippines
PK PAK | Pakistan
PL POL | Poland, Polska
PR PRI | Puerto Rico
PT PRT | Portugal
QA QAT | Qatar
RO ROU | Romania
RS SRB | Serbia
RU RUS | Russia, Russian Federation
SA SAU | Saudi Arabia, KSA
SE SWE | Sweden, Sverige
SG SGP | Singapore
SI SVN | Slovenia
SK SVK | Slovakia
SV SLV | El Salvador
TH THA | Thailand
TR TUR | Turkey, Turkiye
TW TWN | Taiwan, Republic of China
UA UKR | Ukraine
US USA | United States, United States of America, America, US of A, U S, U S A
UY URY | Uruguay
VE VEN | Venezuela
VN VNM | Vietnam, Viet Nam
ZA ZAF | South Africa
"""


def _key(text: str) -> str:
    text = fold_accents(text).lower().replace("&", " and ")
    text = _DOT_APOSTROPHE.sub("", text)
    text = " ".join(_KEY_WORD.findall(text))
    return text.removeprefix("the ")


def _parse(table: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for line in table.strip().splitlines():
        codes, _, names = line.partition("|")
        alpha2, alpha3 = codes.split()
        for name in (alpha2, alpha3, *names.split(",")):
            index[_key(name)] = alpha2
    return index


_INDEX = _parse(_COUNTRIES)

#: The ISO alpha-2 codes this module knows.
COUNTRY_CODES = frozenset(_INDEX.values())


def normalize_country(s) -> str | None:
    """ISO 3166-1 alpha-2 code from a name, alpha-3 or alpha-2 code.

    "U.S.A." -> "US", "Deutschland" -> "DE", "UK" -> "GB". An unknown
    country raises InvalidValue.
    """
    text = clean_text(s)
    if text is None:
        return None
    code = _INDEX.get(_key(text))
    if code is None:
        raise InvalidValue(f"unknown country {text!r}")
    return code


def country_code_or_none(country) -> str | None:
    """Alpha-2 code for a country argument, or None when unknown or empty."""
    try:
        return normalize_country(country)
    except InvalidValue:
        return None
