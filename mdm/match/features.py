"""Derived match features computed from canonical fields.

Each feature function takes one pandas Series per input column (plus keyword
parameters from the rule file) and returns a Series aligned with its input:
strings, or lists of strings for multi-valued blocking features such as
``tokens``. Missing values are None. Python-level work runs once per distinct
value (``per_unique``), never once per record pair.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import jellyfish
import numpy as np
import pandas as pd

from mdm.match.registry import feature_functions

if TYPE_CHECKING:
    from mdm.match.rules import MatchRules

register = feature_functions.register


def prepare(df: pd.DataFrame, rules: MatchRules) -> pd.DataFrame:
    """Return a copy of ``df`` with every rule feature added (in declaration order).

    Columns the rules use but the frame lacks are treated as all-null; empty
    strings become None so that "missing" has one spelling.
    """
    out = pd.DataFrame(index=df.index)
    for column in df.columns:
        out[column] = _as_text(df[column]) if _is_text(df[column]) else df[column]
    for name, spec in rules.features.items():
        inputs = [column_or_null(out, column) for column in spec.inputs]
        out[name] = feature_functions[spec.fn](*inputs, **spec.params)
    return out


def ensure_prepared(df: pd.DataFrame, rules: MatchRules) -> pd.DataFrame:
    """``df`` itself if it already has every feature column, else ``prepare(df, rules)``."""
    if all(name in df.columns for name in rules.features):
        return df
    return prepare(df, rules)


def column_or_null(df: pd.DataFrame, column: str) -> pd.Series:
    if column in df.columns:
        return df[column]
    return pd.Series(None, index=df.index, dtype=object)


def per_unique(series: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """Apply ``fn`` once per distinct non-null value and map the results back."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) == 0:
        return pd.Series(None, index=series.index, dtype=object)
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [_none_if_empty(fn(v)) for v in uniques]
    results[-1] = None
    return pd.Series(results[codes], index=series.index, dtype=object)


def _none_if_empty(value: object) -> object:
    if value is None or (isinstance(value, (str, list, tuple)) and len(value) == 0):
        return None
    return value


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)


def _as_text(series: pd.Series) -> pd.Series:
    values = series.astype(object).where(series.notna(), None)
    values = values.where(values.astype(str).str.strip() != "", None)
    return values


def _str(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), None).map(lambda v: v if v is None else str(v))


def _clean(result: pd.Series) -> pd.Series:
    """None for missing and empty strings."""
    result = result.astype(object)
    return result.where(result.notna() & (result != ""), None)


# -- text ----------------------------------------------------------------------


@register("upper")
def upper(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.upper())


@register("lower")
def lower(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.lower())


@register("upper_alnum")
def upper_alnum(s: pd.Series) -> pd.Series:
    """Upper-case letters and digits only: part numbers ("ab-12/3" -> "AB123")."""
    return _clean(_str(s).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True))


@register("normalized_text")
def normalized_text(s: pd.Series, split_numbers: bool = False) -> pd.Series:
    """Upper-case words without punctuation: "Bolt, M8x20 (zinc)" -> "BOLT M8X20 ZINC".

    ``split_numbers`` also cuts between digits and letters, so systems that
    write "10AWG 2500FT" and "10 AWG, 2500 ft" share their words.
    """
    text = _str(s).str.upper().str.replace(r"[^\w]+", " ", regex=True)
    if split_numbers:
        text = text.str.replace(r"(?<=\d)(?=[A-Z])|(?<=[A-Z])(?=\d)", " ", regex=True)
    return _clean(text.str.replace(r"\s+", " ", regex=True).str.strip())


@register("letters")
def letters(s: pd.Series) -> pd.Series:
    """Upper-case letters only: "PLMB03" -> "PLMB"."""
    return _clean(_str(s).str.upper().str.replace(r"[^A-Z]", "", regex=True))


@register("digits")
def digits(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.replace(r"\D", "", regex=True))


@register("prefix")
def prefix(s: pd.Series, n: int = 4) -> pd.Series:
    return _clean(_str(s).str.slice(0, n))


@register("first_token")
def first_token(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.split().str[0])


@register("last_token")
def last_token(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.split().str[-1])


_TOKEN = re.compile(r"[A-Za-z0-9]+")


@register("tokens")
def tokens(s: pd.Series, min_length: int = 3, upper: bool = True) -> pd.Series:
    """Distinct word tokens as a list: a multi-valued blocking feature."""

    def split(value: str) -> list[str]:
        words = _TOKEN.findall(value.upper() if upper else value)
        return sorted({w for w in words if len(w) >= min_length})

    return per_unique(s, split)


_DIGITS = re.compile(r"\d+")


@register("numbers")
def numbers(s: pd.Series) -> pd.Series:
    """The digit runs of a text, sorted: product specs ("3/8-16 x 1in" -> "1 16 3 8")."""
    return per_unique(s, lambda v: " ".join(sorted(_DIGITS.findall(v))))


_VOWELS = re.compile(r"(?<=[A-Z])[AEIOUY]+")
_REPEATS = re.compile(r"([A-Z])\1+")


@register("skeleton")
def skeleton(s: pd.Series) -> pd.Series:
    """Words without inner vowels or doubled letters: "BREAKER WHITE" -> "BRKR WHT".

    Brings system abbreviations ("BRKR 2P WHT") closer to the full words.
    """
    return per_unique(s, lambda v: _REPEATS.sub(r"\1", _VOWELS.sub("", v.upper())))


@register("concat")
def concat(*columns: pd.Series) -> pd.Series:
    """Non-null parts joined by a space; None when every part is null."""
    parts = [_str(c).fillna("") for c in columns]
    joined = parts[0].str.cat(parts[1:], sep=" ") if len(parts) > 1 else parts[0]
    return _clean(joined.str.replace(r"\s+", " ", regex=True).str.strip())


@register("sorted_tokens")
def sorted_tokens(*columns: pd.Series, min_length: int = 1) -> pd.Series:
    """Upper-case tokens of all columns, sorted: equal for swapped first/last names.

    ``min_length: 2`` drops initials ("Kimberly D. Gibson" -> "GIBSON KIMBERLY").
    """
    joined = concat(*columns)
    return per_unique(joined, lambda v: " ".join(sorted(t for t in _TOKEN.findall(v.upper()) if len(t) >= min_length)))


@register("coalesce")
def coalesce(*columns: pd.Series) -> pd.Series:
    result = _str(columns[0])
    for column in columns[1:]:
        result = result.where(result.notna(), _str(column))
    return _clean(result)


# -- phonetic ------------------------------------------------------------------


def _phonetic(encode: Callable[[str], str]) -> Callable[[pd.Series], pd.Series]:
    def feature(s: pd.Series) -> pd.Series:
        return per_unique(s, lambda v: encode(re.sub(r"[^A-Za-z ]", "", v)) or None)

    return feature


register("metaphone")(_phonetic(jellyfish.metaphone))
register("nysiis")(_phonetic(jellyfish.nysiis))
register("soundex")(_phonetic(jellyfish.soundex))


# -- domain keys from mdm.standardize -----------------------------------------


def _standardizer(name: str) -> Callable[[str], str | None]:
    import mdm.standardize as standardize

    return getattr(standardize, name)


@register("nickname")
def nickname(s: pd.Series) -> pd.Series:
    """Canonical given name: "Bill", "Will", "William" share one key."""
    key = _standardizer("nickname_key")
    return per_unique(s, lambda v: key(v))


@register("org_key")
def org_key(s: pd.Series) -> pd.Series:
    """Organization match key: legal suffixes, punctuation and noise words dropped."""
    key = _standardizer("org_match_key")
    return per_unique(s, lambda v: key(v))


# -- postal and dates ------------------------------------------------------------


@register("zip5")
def zip5(s: pd.Series) -> pd.Series:
    """US ZIP+4 -> 5-digit ZIP; other postal codes upper-cased without spaces."""
    text = _str(s).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    us = text.str.fullmatch(r"\d{5}(\d{4})?", na=False).astype(bool)
    return _clean(text.where(~us, text.str.slice(0, 5)))


@register("year")
def year(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.extract(r"^(\d{4})", expand=False))


@register("month_day")
def month_day(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.extract(r"^\d{4}-?(\d{2}-?\d{2})", expand=False))


# -- product descriptions ----------------------------------------------------------


def _product_parser(abbreviations: dict | None):
    from mdm.match.product_text import parse

    return lambda value: parse(value, abbreviations)


@register("product_terms")
def product_terms(s: pd.Series, terms: bool = True, sizes: bool = True, abbreviations: dict | None = None) -> pd.Series:
    """A product description as sorted canonical attributes (``mdm.match.product_text``).

    "SCR HEX 1/4-20X1 ZN 100/BX" and "Hex Cap Screw 1/4-20 x 1in Zinc Plated,
    Box of 100" both give "1 1/4-20 HEX SCR ZN"; ``terms``/``sizes`` pick the
    words or the numeric attributes. ``abbreviations`` extends the vocabulary.
    """
    parse = _product_parser(abbreviations)

    def attributes(value: str) -> str:
        parsed = parse(value)
        return " ".join((parsed.sizes if sizes else ()) + (parsed.terms if terms else ()))

    return per_unique(s, attributes)


@register("pack_count")
def pack_count(s: pd.Series) -> pd.Series:
    """The count a package holds, from the description: "100/BX", "Box of 100", "12CT" -> "100"/"12"."""
    parse = _product_parser(None)

    def count(value: str) -> str | None:
        pack = parse(value).pack
        return None if pack is None else str(pack)

    return per_unique(s, count)
