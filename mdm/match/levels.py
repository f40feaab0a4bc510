"""Comparison level kinds: vectorized predicates over distinct value pairs.

A level kind is ``fn(values, left, right, threshold) -> bool array``:
``values`` holds the distinct non-null values of a column and ``left``/``right``
are index arrays into it, one entry per distinct value pair to test. The
engine calls it once per comparison level with every distinct pair at once,
so string similarity runs in rapidfuzz's C++ over the whole batch.

Registering a new kind::

    @register("starts_with")
    def starts_with(values, left, right, threshold=None):
        ...

A kind defined by a score (similarity or distance) is wrapped with
``at_least`` / ``at_most`` so the score is computed once per distinct pair
and shared by all its threshold levels::

    @register("jaccard")
    @at_least
    def jaccard(values, left, right, cutoff=None): ...
"""

import re

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, DamerauLevenshtein, Jaro, JaroWinkler, Levenshtein, Prefix

from mdm.match.registry import level_kinds

register = level_kinds.register


# Below this many pairs one thread: starting rapidfuzz's workers costs ~0.4 ms
# a call, more than scoring a few thousand pairs (incremental matching).
PARALLEL_PAIRS = 20_000


# From this many pairs, they are scored in the order of ``bucket_order``.
ORDERED_PAIRS = 100_000
BUCKET_BITS = 8


def pairwise(scorer, values: np.ndarray, left: np.ndarray, right: np.ndarray, **kwargs) -> np.ndarray:
    """``scorer`` on each (values[left[i]], values[right[i]]), all CPU cores for large batches."""
    if len(left) == 0:
        return np.zeros(0)
    workers = -1 if len(left) >= PARALLEL_PAIRS else 1
    order = bucket_order(left, right) if len(left) >= ORDERED_PAIRS else None
    if order is not None:
        left, right = left[order], right[order]
    # As lists: rapidfuzz reads a list's items faster than an object array's (5-10% of a
    # million-pair batch, on the one thread that converts its inputs).
    scores = process.cpdist(values[left].tolist(), values[right].tolist(), scorer=scorer, workers=workers, **kwargs)
    if order is None:
        return scores
    out = np.empty_like(scores)
    out[order] = scores
    return out


def bucket_order(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """A permutation of code pairs grouping them by a coarse bucket of the left code, then of the right.

    rapidfuzz's cost per pair is mostly memory: each string is read when the lists are
    built, when they are converted and when they are scored. The distinct values lie in
    code order (``compare._compact``), so pairs in bucket order read a few nearby stretches
    of strings at a time instead of the whole heap: 25-35% less time on millions of street
    and phone pairs. Both buckets make one 16-bit key, which numpy sorts by radix: cheap
    beside the scoring."""
    top = int(max(left.max(), right.max()))
    shift = max(top.bit_length() - BUCKET_BITS, 0)
    key = (left >> shift).astype(np.uint16)
    key <<= BUCKET_BITS
    key |= (right >> shift).astype(np.uint16)
    return np.argsort(key, kind="stable")


@register("exact")
def exact(values, left, right, threshold=None):
    # Values are factorized, so equal codes are equal values.
    return left == right


def at_least(score_fn):
    """A level kind from a similarity score: hit when score >= threshold.

    ``score_fn(values, left, right, cutoff=None)``; scores below ``cutoff``
    may come back as 0 (rapidfuzz stops early). The engine computes the score
    once per distinct pair and column, with the lowest threshold of that kind
    as cutoff, and reuses it for every threshold level (``score`` attribute).
    """

    def level(values, left, right, threshold):
        return score_fn(values, left, right, threshold) >= threshold - 1e-6

    level.score, level.at_least = score_fn, True
    return level


def at_most(score_fn):
    """A level kind from a distance: hit when distance <= threshold (cutoff: the largest)."""

    def level(values, left, right, threshold):
        return score_fn(values, left, right, threshold) <= threshold + 1e-6

    level.score, level.at_least = score_fn, False
    return level


@register("jaro_winkler")
@at_least
def jaro_winkler(values, left, right, cutoff=None):
    """Jaro-Winkler similarity in [0, 1]."""
    return pairwise(JaroWinkler.normalized_similarity, values, left, right, score_cutoff=cutoff, dtype=np.float32)


@register("jaro")
@at_least
def jaro(values, left, right, cutoff=None):
    return pairwise(Jaro.normalized_similarity, values, left, right, score_cutoff=cutoff, dtype=np.float32)


@register("levenshtein")
@at_most
def levenshtein(values, left, right, cutoff=None):
    """Number of single-character edits."""
    return pairwise(Levenshtein.distance, values, left, right, score_cutoff=_edits(cutoff), dtype=np.int32)


@register("damerau_levenshtein")
@at_most
def damerau_levenshtein(values, left, right, cutoff=None):
    """Edits, a transposition of neighbours counting as one."""
    edits = _edits(cutoff)
    # Up to one edit, Damerau-Levenshtein and optimal string alignment agree
    # (one edit is a valid alignment of either), and rapidfuzz's bit-parallel
    # OSA is ~2.5x faster: phones, emails and tax ids at 1M records.
    scorer = OSA.distance if edits is not None and edits <= 1 else DamerauLevenshtein.distance
    return pairwise(scorer, values, left, right, score_cutoff=edits, dtype=np.int32)


@register("token_set")
@at_least
def token_set(values, left, right, cutoff=None):
    """Token-set similarity in [0, 1]: word order and repeated words ignored."""
    return pairwise(fuzz.token_set_ratio, values, left, right, score_cutoff=_percent(cutoff), dtype=np.float32) / 100


@register("token_sort")
@at_least
def token_sort(values, left, right, cutoff=None):
    return pairwise(fuzz.token_sort_ratio, values, left, right, score_cutoff=_percent(cutoff), dtype=np.float32) / 100


def _edits(cutoff):
    return None if cutoff is None else int(cutoff)


def _percent(cutoff):
    return None if cutoff is None else max(cutoff * 100 - 1e-3, 0)


@register("subset")
def subset(values, left, right, threshold):
    """The words of one value all appear in the other, the smaller having at least ``threshold`` words.

    "5 220" within "5 220 50" (a pack count only one system writes) is a
    subset of two words; a single shared word is much weaker evidence.
    """
    words = np.array([len(set(v.split())) for v in values])
    smaller = np.minimum(words[left], words[right])
    contained = pairwise(fuzz.token_set_ratio, values, left, right, score_cutoff=99.9, dtype=np.float32) >= 99.9
    return contained & (smaller >= threshold)


@register("starts_with")
def starts_with(values, left, right, threshold):
    """One value starts with the other, the shorter having at least ``threshold`` characters.

    Catches suffixed codes: "RBVBVL150BP" vs "RBVBVL150BPBX" (a pack or revision suffix).
    """
    length = pd.Series(values, dtype=object).str.len().to_numpy()
    shorter = np.minimum(length[left], length[right])
    common = pairwise(Prefix.similarity, values, left, right, dtype=np.int32)
    return (common == shorter) & (shorter >= threshold)


@register("extended_by_text")
def extended_by_text(values, left, right, threshold):
    """``starts_with``, and the rest of the longer value has a letter: a revision
    or packaging note ("RBVBVL150BP" vs "RBVBVL150BPBX", "..REVB").

    A rest of digits only ("SVHXN1032S" vs "SVHXN1032S5", "..62P250") is more
    often another pack or size of the product: leave it to a later level.
    """
    length = pd.Series(values, dtype=object).str.len().to_numpy()
    last_letter = np.array([max((i for i, c in enumerate(v) if c.isalpha()), default=-1) for v in values], dtype=np.int64)
    longer = np.where(length[left] >= length[right], left, right)
    shorter = np.minimum(length[left], length[right])
    return starts_with(values, left, right, threshold) & (last_letter[longer] >= shorter)


def _numbers(values: np.ndarray) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)


@register("numeric_abs")
def numeric_abs(values, left, right, threshold):
    """Both numbers and within ``threshold`` of each other."""
    x = _numbers(values)
    with np.errstate(invalid="ignore"):
        return np.abs(x[left] - x[right]) <= threshold


@register("numeric_pct")
def numeric_pct(values, left, right, threshold):
    """Both numbers and differing by at most ``threshold`` (a fraction) of the larger."""
    x = _numbers(values)
    a, b = x[left], x[right]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(a - b) <= threshold * np.maximum(np.abs(a), np.abs(b))


def _dates(values: np.ndarray) -> np.ndarray:
    return pd.to_datetime(pd.Series(values, dtype=object), errors="coerce", format="ISO8601").to_numpy(
        dtype="datetime64[D]"
    )


@register("date_days")
def date_days(values, left, right, threshold):
    """Both dates and at most ``threshold`` days apart."""
    d = _dates(values)
    a, b = d[left], d[right]
    ok = ~(np.isnat(a) | np.isnat(b))
    out = np.zeros(len(left), dtype=bool)
    out[ok] = np.abs((a[ok] - b[ok]).astype(np.int64)) <= threshold
    return out


# Up to this many distinct values, plain Python: pandas' string methods cost more than the work.
SMALL_VALUES = 256
_DATE_PARTS = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")


def _date_parts(values) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day texts of each value (None where it is no date) and whether it is one:
    what ``str.extract`` of ``_DATE_PARTS`` over ``astype(str)`` gives."""
    found = [_DATE_PARTS.match(str(v)) for v in values]
    parts = np.array([m.groups() if m else (None, None, None) for m in found], dtype=object).reshape(len(found), 3)
    return parts[:, 0], parts[:, 1], parts[:, 2], np.array([m is not None for m in found], dtype=bool)


@register("date_transposed")
def date_transposed(values, left, right, threshold=None):
    """Same year, day and month swapped: 1980-03-07 vs 1980-07-03."""
    if len(values) <= SMALL_VALUES:
        y, m, d, valid = _date_parts(values)
    else:
        parts = pd.Series(values, dtype=object).astype(str).str.extract(_DATE_PARTS.pattern)
        y, m, d = (parts[i].to_numpy(dtype=object) for i in range(3))
        valid = parts.notna().all(axis=1).to_numpy()
    return valid[left] & valid[right] & (y[left] == y[right]) & (m[left] == d[right]) & (d[left] == m[right])
