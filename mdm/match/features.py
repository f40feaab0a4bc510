"""Derived match features computed from canonical fields.

Each feature function takes one pandas Series per input column (plus keyword
parameters from the rule file) and returns a Series aligned with its input:
strings, or lists of strings for multi-valued blocking features such as
``tokens``. Missing values are None. Python-level work runs once per distinct
value (``per_unique``), never once per record pair.

Small frames (incremental matching: one new record, a few hundred at most)
take a plain-Python path: pandas costs tens of microseconds per operation
whatever the length, so ``prepare`` runs each feature's ``scalar`` twin on
lists and builds the frame once. The twin must give exactly what the Series
function gives; ``per_value`` is the list counterpart of ``per_unique``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import jellyfish
import numpy as np
import pandas as pd
from pandas._libs.missing import checknull
from pandas.core.internals import BlockManager
from pandas.core.internals.api import make_block

from mdm.match.registry import feature_functions

if TYPE_CHECKING:
    from mdm.match.rules import MatchRules

register = feature_functions.register

# Frames with at most this many rows take the plain-Python path (0: never).
SMALL_FRAME_ROWS = 256
# From this many rows, ``prepare`` makes equal texts of a column one shared object.
SHARED_TEXT_ROWS = 10_000


def prepare(df: pd.DataFrame, rules: MatchRules) -> pd.DataFrame:
    """Return a copy of ``df`` with every rule feature added (in declaration order).

    Columns the rules use but the frame lacks are treated as all-null; empty
    strings become None so that "missing" has one spelling.
    """
    if 0 < len(df) <= SMALL_FRAME_ROWS and df.columns.is_unique and df.index.is_unique:
        return _prepare_small(df, rules)
    out = pd.DataFrame(index=df.index)
    # Column name -> (codes with missing as 0, number of distinct values): features share
    # inputs, and hashing a million strings again for each one cost more than the features.
    codes: dict[str, tuple[np.ndarray, int]] = {}
    for column in df.columns:
        if _is_text(df[column]):
            out[column], found = _as_text(df[column], with_codes=True)
            if found is not None:
                codes[column] = found
        else:
            out[column] = df[column]
    for name, spec in rules.features.items():
        inputs = [column_or_null(out, column) for column in spec.inputs]
        scalar = feature_functions.scalar(spec.fn)
        codes.pop(name, None)
        if scalar is not None and all(series.dtype == object for series in inputs):
            distinct = _per_distinct(scalar, inputs, spec.params, [codes.get(column) for column in spec.inputs])
            if distinct is not None:
                out[name] = distinct
                continue
        out[name] = feature_functions[spec.fn](*inputs, **spec.params)
    return out


def _per_distinct(scalar: Callable[..., list], inputs: list[pd.Series], params: dict,
                  known: list[tuple[np.ndarray, int] | None] | None = None) -> pd.Series | None:
    """A feature through its ``scalar`` twin, run once per distinct combination of input
    values and mapped back: names, cities and postcodes repeat, so this is a fraction of
    the rows, and one pass over plain lists instead of several pandas string passes.
    ``known``: per input, its codes (missing as 0) and count of distinct values when the
    caller has them. None when a value cannot be hashed (the caller then runs the Series function)."""
    index = inputs[0].index
    values = [series.to_numpy(dtype=object) for series in inputs]
    known = known or [None] * len(values)
    try:
        key = None
        for column, given in zip(values, known):
            if given is None:
                column_codes, uniques = pd.factorize(column, use_na_sentinel=True)
                given = (column_codes.astype(np.int64) + 1, len(uniques))  # missing (NaN or None alike) is 0
            codes, n_distinct = given
            key = codes if key is None else pd.factorize(key * (n_distinct + 1) + codes)[0].astype(np.int64)
    except TypeError:
        return None
    group, _ = pd.factorize(key)
    # Groups are numbered in order of first appearance: a row starts a group when its
    # number is above every number before it. Those rows, in order, represent the groups.
    first = np.flatnonzero(np.r_[True, group[1:] > np.maximum.accumulate(group)[:-1]]) if len(group) else group
    results = scalar(*(column[first].tolist() for column in values), **params)
    distinct = np.fromiter(results, dtype=object, count=len(first))
    return pd.Series(distinct[group], index=index, dtype=object)


def _prepare_small(df: pd.DataFrame, rules: MatchRules) -> pd.DataFrame:
    """``prepare`` on plain lists: the same frame, without pandas per-operation overhead."""
    # name -> list (object columns: text and features) or Series (other dtypes, kept as they are)
    columns: dict = {}
    for column in df.columns:
        series = df[column]
        columns[column] = [text_value(v) for v in series.tolist()] if _is_text(series) else series
    return small_frame(prepare_columns(columns, df.index, rules), df.index)


def prepare_columns(columns: dict, index: pd.Index, rules: MatchRules) -> dict:
    """Add every rule feature to ``columns`` (name -> list of cleaned text
    values, or a Series or array for other dtypes); the small-frame path of ``prepare``."""
    n = len(index)
    for name, spec in rules.features.items():
        inputs = [columns.get(column, None) for column in spec.inputs]
        scalar = feature_functions.scalar(spec.fn)
        if scalar is not None and all(v is None or isinstance(v, list) for v in inputs):
            # A missing column is all NaN, as ``column_or_null`` gives it.
            columns[name] = scalar(*(v if v is not None else [np.nan] * n for v in inputs), **spec.params)
            continue
        series_inputs = [
            v if isinstance(v, pd.Series)
            else pd.Series(v, index=index, dtype=object) if isinstance(v, list)
            else pd.Series(v, index=index) if v is not None  # a typed array
            else pd.Series(None, index=index, dtype=object)
            for v in inputs
        ]
        result = feature_functions[spec.fn](*series_inputs, **spec.params)
        columns[name] = result.tolist() if result.dtype == object else result
    return columns


def small_frame(columns: dict, index: pd.Index) -> pd.DataFrame:
    """One frame from ``prepare_columns``' output, in its column order: list
    columns as one object block, other columns (Series) as blocks of their own."""
    n = len(index)
    names = list(columns)
    listed = [j for j, name in enumerate(names) if isinstance(columns[name], list)]
    block = np.empty((len(listed), n), dtype=object)
    for row, j in enumerate(listed):
        block[row, :] = np.fromiter(columns[names[j]], dtype=object, count=n)
    try:
        return _frame_of_blocks(block, listed, columns, names, index)
    except (TypeError, ValueError, AttributeError, AssertionError):  # a dtype the block path does not take
        pass
    out = pd.DataFrame(block.T, index=index, columns=pd.Index([names[j] for j in listed], dtype=object), dtype=object)
    for position, name in enumerate(names):
        if not isinstance(columns[name], list):
            out.insert(position, name, columns[name])
    return out


def _frame_of_blocks(block: np.ndarray, listed: list[int], columns: dict, names: list, index: pd.Index) -> pd.DataFrame:
    # The frame assembled from its blocks, as pyarrow's ``to_pandas`` does (``make_block`` is
    # pandas' API for that): a third of what the constructor and one ``insert`` per typed
    # column cost, which an incremental run pays on every read.
    blocks = [make_block(block, placement=listed)]
    for j, name in enumerate(names):
        values = columns[name]
        if isinstance(values, list):
            continue
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            blocks.append(make_block(values.array if isinstance(values, pd.Series) else values, placement=[j], ndim=2))
        elif isinstance(values.dtype, np.dtype):
            blocks.append(make_block(np.asarray(values).reshape(1, -1), placement=[j], ndim=2))
        else:
            raise TypeError(f"no block path for {values.dtype}")
    manager = BlockManager(blocks, [pd.Index(names, dtype=object), index])
    return pd.DataFrame._from_mgr(manager, axes=manager.axes)


def text_value(value: object) -> object:
    """``_as_text`` for one value: None for missing or blank."""
    if value is None or checknull(value):
        return None
    text = value if isinstance(value, str) else value.decode() if isinstance(value, bytes) else str(value)
    return None if text.strip() == "" else value


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


def per_value(values: list, fn: Callable[[str], object]) -> list:
    """``per_unique`` on a list: ``fn`` once per distinct non-null value.

    Like ``per_unique``, all NaN when no value is non-null.
    """
    cache: dict = {}
    out = []
    for v in values:
        if v is None or v != v:
            out.append(None)
        elif v in cache:
            out.append(cache[v])
        else:
            cache[v] = result = _none_if_empty(fn(v))
            out.append(result)
    return out if cache else [np.nan] * len(values)


def _none_if_empty(value: object) -> object:
    if value is None or (isinstance(value, (str, list, tuple)) and len(value) == 0):
        return None
    return value


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)


def _as_text(series: pd.Series, with_codes: bool = False):
    """Missing and blank values as None, the rest unchanged; each distinct value is tested once.

    ``with_codes``: (the column, (codes with missing and blank as 0, count of codes) or None)."""
    values = series.to_numpy(dtype=object)
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable values: test each one
        values = series.astype(object).where(series.notna(), None)
        text = values.where(values.astype(str).str.strip() != "", None)
        return (text, None) if with_codes else text
    distinct = np.asarray(uniques, dtype=object)
    keep = np.fromiter((str(v).strip() != "" for v in distinct), bool, len(uniques))
    keep = np.append(keep, False)  # code -1 (missing) -> None
    kept = keep[codes]
    if len(values) >= SHARED_TEXT_ROWS and pd.api.types.infer_dtype(distinct, skipna=False) == "string":
        # Equal texts become one object (the first seen): a bulk run's build workers get their
        # records pickled, and pickle writes an object it has seen as a reference (half the time).
        # Only for texts: factorize takes 1 and 1.0 as equal, and their types must stay.
        shared = np.append(distinct, None)
        shared[~keep] = None
        text = pd.Series(shared[codes], index=series.index, dtype=object, name=series.name)
    else:
        text = pd.Series(np.where(kept, values, None), index=series.index, dtype=object, name=series.name)
    if not with_codes:
        return text
    # Blank values join the missing ones (0); other values keep their code, shifted by one.
    return text, (np.where(kept, codes.astype(np.int64) + 1, 0), len(uniques))


def _str(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), None).map(lambda v: v if v is None else str(v))


def _clean(result: pd.Series) -> pd.Series:
    """None for missing and empty strings."""
    result = result.astype(object)
    return result.where(result.notna() & (result != ""), None)


def _text_map(fn: Callable[[str], str | None]) -> Callable[[list], list]:
    """Scalar twin of ``_clean(<str pipeline>(_str(s)))``: ``fn`` on ``str(v)``, None for null or ""."""

    def values(column: list) -> list:
        out = []
        for v in column:
            r = None if v is None or v != v else fn(str(v))
            out.append(None if r is None or r == "" else r)
        return out

    return values


# -- text ----------------------------------------------------------------------


@register("upper", scalar=_text_map(str.upper))
def upper(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.upper())


@register("lower", scalar=_text_map(str.lower))
def lower(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.lower())


_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


@register("upper_alnum", scalar=_text_map(lambda v: _NOT_ALNUM.sub("", v.upper())))
def upper_alnum(s: pd.Series) -> pd.Series:
    """Upper-case letters and digits only: part numbers ("ab-12/3" -> "AB123")."""
    return _clean(_str(s).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True))


_NOT_WORD = re.compile(r"[^\w]+")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[A-Z])|(?<=[A-Z])(?=\d)")
_SPACES = re.compile(r"\s+")


def _normalized_text_values(column: list, split_numbers: bool = False) -> list:
    def normalize(v: str) -> str:
        text = _NOT_WORD.sub(" ", v.upper())
        if split_numbers:
            text = _DIGIT_LETTER.sub(" ", text)
        return _SPACES.sub(" ", text).strip()

    return _text_map(normalize)(column)


@register("normalized_text", scalar=_normalized_text_values)
def normalized_text(s: pd.Series, split_numbers: bool = False) -> pd.Series:
    """Upper-case words without punctuation: "Bolt, M8x20 (zinc)" -> "BOLT M8X20 ZINC".

    ``split_numbers`` also cuts between digits and letters, so systems that
    write "10AWG 2500FT" and "10 AWG, 2500 ft" share their words.
    """
    text = _str(s).str.upper().str.replace(r"[^\w]+", " ", regex=True)
    if split_numbers:
        text = text.str.replace(r"(?<=\d)(?=[A-Z])|(?<=[A-Z])(?=\d)", " ", regex=True)
    return _clean(text.str.replace(r"\s+", " ", regex=True).str.strip())


_NOT_LETTER = re.compile(r"[^A-Z]")
_NOT_DIGIT = re.compile(r"\D")


@register("letters", scalar=_text_map(lambda v: _NOT_LETTER.sub("", v.upper())))
def letters(s: pd.Series) -> pd.Series:
    """Upper-case letters only: "PLMB03" -> "PLMB"."""
    return _clean(_str(s).str.upper().str.replace(r"[^A-Z]", "", regex=True))


@register("digits", scalar=_text_map(lambda v: _NOT_DIGIT.sub("", v)))
def digits(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.replace(r"\D", "", regex=True))


def _prefix_values(column: list, n: int = 4) -> list:
    return _text_map(lambda v: v[0:n])(column)


@register("prefix", scalar=_prefix_values)
def prefix(s: pd.Series, n: int = 4) -> pd.Series:
    return _clean(_str(s).str.slice(0, n))


def _token_at(i: int) -> Callable[[list], list]:
    def pick(v: str) -> str | None:
        words = v.split()
        return words[i] if len(words) > i >= -len(words) else None

    return _text_map(pick)


@register("first_token", scalar=_token_at(0))
def first_token(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.split().str[0])


@register("last_token", scalar=_token_at(-1))
def last_token(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.split().str[-1])


_TOKEN = re.compile(r"[A-Za-z0-9]+")


def _token_splitter(min_length: int, upper: bool) -> Callable[[str], list[str]]:
    def split(value: str) -> list[str]:
        words = _TOKEN.findall(value.upper() if upper else value)
        return sorted({w for w in words if len(w) >= min_length})

    return split


def _tokens_values(column: list, min_length: int = 3, upper: bool = True) -> list:
    return per_value(column, _token_splitter(min_length, upper))


@register("tokens", scalar=_tokens_values)
def tokens(s: pd.Series, min_length: int = 3, upper: bool = True) -> pd.Series:
    """Distinct word tokens as a list: a multi-valued blocking feature."""
    return per_unique(s, _token_splitter(min_length, upper))


_DIGITS = re.compile(r"\d+")


def _numbers(v: str) -> str:
    return " ".join(sorted(_DIGITS.findall(v)))


@register("numbers", scalar=lambda column: per_value(column, _numbers))
def numbers(s: pd.Series) -> pd.Series:
    """The digit runs of a text, sorted: product specs ("3/8-16 x 1in" -> "1 16 3 8")."""
    return per_unique(s, _numbers)


_VOWELS = re.compile(r"(?<=[A-Z])[AEIOUY]+")
_REPEATS = re.compile(r"([A-Z])\1+")


def _skeleton(v: str) -> str:
    return _REPEATS.sub(r"\1", _VOWELS.sub("", v.upper()))


@register("skeleton", scalar=lambda column: per_value(column, _skeleton))
def skeleton(s: pd.Series) -> pd.Series:
    """Words without inner vowels or doubled letters: "BREAKER WHITE" -> "BRKR WHT".

    Brings system abbreviations ("BRKR 2P WHT") closer to the full words.
    """
    return per_unique(s, _skeleton)


def _concat_values(*columns: list) -> list:
    out = []
    for parts in zip(*columns):
        joined = _SPACES.sub(" ", " ".join("" if v is None or v != v else str(v) for v in parts)).strip()
        out.append(joined or None)
    return out


@register("concat", scalar=_concat_values)
def concat(*columns: pd.Series) -> pd.Series:
    """Non-null parts joined by a space; None when every part is null."""
    parts = [_str(c).fillna("") for c in columns]
    joined = parts[0].str.cat(parts[1:], sep=" ") if len(parts) > 1 else parts[0]
    return _clean(joined.str.replace(r"\s+", " ", regex=True).str.strip())


def _sorted_tokens(min_length: int) -> Callable[[str], str]:
    return lambda v: " ".join(sorted(t for t in _TOKEN.findall(v.upper()) if len(t) >= min_length))


def _sorted_tokens_values(*columns: list, min_length: int = 1) -> list:
    return per_value(_concat_values(*columns), _sorted_tokens(min_length))


@register("sorted_tokens", scalar=_sorted_tokens_values)
def sorted_tokens(*columns: pd.Series, min_length: int = 1) -> pd.Series:
    """Upper-case tokens of all columns, sorted: equal for swapped first/last names.

    ``min_length: 2`` drops initials ("Kimberly D. Gibson" -> "GIBSON KIMBERLY").
    """
    joined = concat(*columns)
    return per_unique(joined, _sorted_tokens(min_length))


def _coalesce_values(*columns: list) -> list:
    out = []
    for parts in zip(*columns):
        first = next((str(v) for v in parts if not (v is None or v != v)), None)
        out.append(None if first is None or first == "" else first)
    return out


@register("coalesce", scalar=_coalesce_values)
def coalesce(*columns: pd.Series) -> pd.Series:
    result = _str(columns[0])
    for column in columns[1:]:
        result = result.where(result.notna(), _str(column))
    return _clean(result)


# -- phonetic ------------------------------------------------------------------


_NOT_NAME = re.compile(r"[^A-Za-z ]")


def _phonetic(encode: Callable[[str], str]) -> Callable[[pd.Series], pd.Series]:
    def code(v: str) -> str | None:
        return encode(_NOT_NAME.sub("", v)) or None

    def feature(s: pd.Series) -> pd.Series:
        return per_unique(s, code)

    feature.scalar = lambda column: per_value(column, code)
    return feature


for _name, _encode in (("metaphone", jellyfish.metaphone), ("nysiis", jellyfish.nysiis), ("soundex", jellyfish.soundex)):
    _feature = _phonetic(_encode)
    register(_name, scalar=_feature.scalar)(_feature)


# -- domain keys from mdm.standardize -----------------------------------------


def _standardizer(name: str) -> Callable[[str], str | None]:
    import mdm.standardize as standardize

    return getattr(standardize, name)


@register("nickname", scalar=lambda column: per_value(column, _standardizer("nickname_key")))
def nickname(s: pd.Series) -> pd.Series:
    """Canonical given name: "Bill", "Will", "William" share one key."""
    key = _standardizer("nickname_key")
    return per_unique(s, lambda v: key(v))


@register("org_key", scalar=lambda column: per_value(column, _standardizer("org_match_key")))
def org_key(s: pd.Series) -> pd.Series:
    """Organization match key: legal suffixes, punctuation and noise words dropped."""
    key = _standardizer("org_match_key")
    return per_unique(s, lambda v: key(v))


# -- postal and dates ------------------------------------------------------------


_ZIP_US = re.compile(r"\d{5}(\d{4})?")


def _zip5(v: str) -> str:
    text = _NOT_ALNUM.sub("", v.upper())
    return text[0:5] if _ZIP_US.fullmatch(text) else text


@register("zip5", scalar=_text_map(_zip5))
def zip5(s: pd.Series) -> pd.Series:
    """US ZIP+4 -> 5-digit ZIP; other postal codes upper-cased without spaces."""
    text = _str(s).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    us = text.str.fullmatch(r"\d{5}(\d{4})?", na=False).astype(bool)
    return _clean(text.where(~us, text.str.slice(0, 5)))


def _extract(pattern: str) -> Callable[[list], list]:
    regex = re.compile(pattern)

    def first_group(v: str) -> str | None:
        m = regex.search(v)
        return None if m is None else m.group(1)

    return _text_map(first_group)


@register("year", scalar=_extract(r"^(\d{4})"))
def year(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.extract(r"^(\d{4})", expand=False))


@register("month_day", scalar=_extract(r"^\d{4}-?(\d{2}-?\d{2})"))
def month_day(s: pd.Series) -> pd.Series:
    return _clean(_str(s).str.extract(r"^\d{4}-?(\d{2}-?\d{2})", expand=False))


# -- product descriptions ----------------------------------------------------------


def _product_parser(abbreviations: dict | None):
    from mdm.match.product_text import parse

    return lambda value: parse(value, abbreviations)


def _product_attributes(terms: bool, sizes: bool, abbreviations: dict | None) -> Callable[[str], str]:
    parse = _product_parser(abbreviations)

    def attributes(value: str) -> str:
        parsed = parse(value)
        return " ".join((parsed.sizes if sizes else ()) + (parsed.terms if terms else ()))

    return attributes


def _pack_count(value: str) -> str | None:
    pack = _product_parser(None)(value).pack
    return None if pack is None else str(pack)


def _product_terms_values(column: list, terms: bool = True, sizes: bool = True, abbreviations: dict | None = None) -> list:
    return per_value(column, _product_attributes(terms, sizes, abbreviations))


@register("product_terms", scalar=_product_terms_values)
def product_terms(s: pd.Series, terms: bool = True, sizes: bool = True, abbreviations: dict | None = None) -> pd.Series:
    """A product description as sorted canonical attributes (``mdm.match.product_text``).

    "SCR HEX 1/4-20X1 ZN 100/BX" and "Hex Cap Screw 1/4-20 x 1in Zinc Plated,
    Box of 100" both give "1 1/4-20 HEX SCR ZN"; ``terms``/``sizes`` pick the
    words or the numeric attributes. ``abbreviations`` extends the vocabulary.
    """
    return per_unique(s, _product_attributes(terms, sizes, abbreviations))


@register("pack_count", scalar=lambda column: per_value(column, _pack_count))
def pack_count(s: pd.Series) -> pd.Series:
    """The count a package holds, from the description: "100/BX", "Box of 100", "12CT" -> "100"/"12"."""
    return per_unique(s, _pack_count)
