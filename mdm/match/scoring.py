"""Fellegi–Sunter scoring with parameters estimated unsupervised by EM.

For each comparison level, ``m`` = P(level | match) and ``u`` = P(level |
non-match); a pair's match weight is log2 of the prior odds plus, per
comparison, log2(m/u) of the level it hit (its Bayes factor). ``null``
levels are neutral (Bayes factor 1).

Estimation follows Splink: ``u`` from random record pairs (almost all
non-matches), then EM over the candidate pairs for ``m`` and the share of
matches. EM runs over distinct level patterns with counts, so a million
pairs cost little more than a few thousand patterns.

Term-frequency adjustment: on exact agreement for a TF comparison, ``u`` is
the frequency of the agreed value, so "Smith" = "Smith" weighs less than
"Zbigniew" = "Zbigniew".
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from pydantic import BaseModel

from mdm.match.rules import NULL, MatchRules

_FLOOR = 1e-9
# Pairs scored at a time (see ``score``): 256k float64 = 2 MiB, cache-sized.
SCORE_BLOCK = 1 << 18
# From this many pairs, blocks are scored on two threads.
PARALLEL_SCORE_PAIRS = 2_000_000
SCORE_THREADS = 2


class LevelParams(BaseModel):
    label: str
    m: float | None = None  # None on the null level: neutral
    u: float | None = None

    @property
    def bayes_factor(self) -> float:
        return 1.0 if self.m is None or self.u is None else self.m / self.u


class ComparisonParams(BaseModel):
    name: str
    levels: list[LevelParams]
    tf_level: int | None = None  # the exact level that takes term-frequency adjustment
    tf_minimum_u: float = 1e-6


class MatchModel(BaseModel):
    """Estimated Fellegi–Sunter parameters; round-trips through JSON for the store."""

    domain: str
    prior: float  # P(two random records match)
    comparisons: list[ComparisonParams]
    candidate_prior: float | None = None  # share of matches among the training candidates
    n_records: int | None = None
    n_pairs: int | None = None
    iterations: int = 0
    converged: bool = False

    def weight_table(self) -> tuple[np.ndarray, np.ndarray]:
        """log2 Bayes factors of all levels, flat, and each comparison's offset into it."""
        weights = [math.log2(level.bayes_factor) for c in self.comparisons for level in c.levels]
        sizes = [len(c.levels) for c in self.comparisons]
        return np.array(weights), np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))


def estimate(
    levels: np.ndarray,
    rules: MatchRules,
    random_levels: np.ndarray | None = None,
    n_records: int | None = None,
    m: list[np.ndarray] | None = None,
    u: list[np.ndarray] | None = None,
) -> MatchModel:
    """Estimate m, u and the prior from candidate-pair levels.

    ``random_levels`` are the levels of random record pairs, used for ``u``
    (rules ``em.estimate_u: random_pairs``); without them u is estimated by
    EM too. ``n_records`` converts the share of matches among candidates into
    the prior for two random records. A level of -1 in ``levels`` means
    "not evidence here" (e.g. the pair was blocked on that field): EM skips it.
    Given ``m`` (one array per comparison), only the prior (and u) is
    estimated; given ``u``, it is used instead of ``random_levels``.
    """
    settings = rules.em
    n_pairs = len(levels)
    all_pairs = n_records * (n_records - 1) / 2 if n_records else None
    patterns, counts = _patterns(levels, rules)
    keep_m = m is not None
    m = list(m) if keep_m else [_initial_m(c) for c in rules.comparisons]
    fixed_m = [_fixed(c, "m") for c in rules.comparisons]
    fixed_u = [_fixed(c, "u") for c in rules.comparisons]
    use_random = (random_levels is not None or u is not None) and settings.estimate_u == "random_pairs"
    if u is not None:
        u = list(u)
    elif use_random:
        u = [_frequencies(random_levels[:, k], c, fixed_u[k], smoothing=0.5) for k, c in enumerate(rules.comparisons)]
    else:
        u = [_initial_u(c) for c in rules.comparisons]

    if isinstance(rules.prior, float) and all_pairs:
        lam, fixed_lam = min(rules.prior * all_pairs / max(n_pairs, 1), 0.999), True
    elif isinstance(rules.prior, float):
        lam, fixed_lam = rules.prior, True
    else:
        lam, fixed_lam = (min(0.5, 0.5 * n_records / max(n_pairs, 1)) if n_records else 0.1), False

    iterations, converged = 0, n_pairs == 0
    for iterations in range(1, settings.max_iterations + 1):
        if n_pairs == 0:
            break
        g = _posterior(patterns, m, u, lam)
        new_lam = lam if fixed_lam else float(np.clip((counts * g).sum() / counts.sum(), 1e-9, 1 - 1e-9))
        new_m = m if keep_m else [_weighted_frequencies(patterns[:, k], counts * g, c, fixed_m[k]) for k, c in enumerate(rules.comparisons)]
        change = max(abs(new_lam - lam), *(np.nanmax(np.abs(a - b), initial=0) for a, b in zip(new_m, m)))
        m, lam = new_m, new_lam
        if not use_random:
            u = [_weighted_frequencies(patterns[:, k], counts * (1 - g), c, fixed_u[k]) for k, c in enumerate(rules.comparisons)]
        if change < settings.tolerance:
            converged = True
            break

    prior = lam * n_pairs / all_pairs if all_pairs else lam
    if isinstance(rules.prior, float):
        prior = rules.prior
    comparisons = [
        ComparisonParams(
            name=c.name,
            levels=[
                LevelParams(label=spec.name, m=_none_if_nan(m[k][i]), u=_none_if_nan(u[k][i]))
                for i, spec in enumerate(c.levels)
            ],
            tf_level=c.exact_level if c.term_frequency else None,
            tf_minimum_u=c.tf_minimum_u,
        )
        for k, c in enumerate(rules.comparisons)
    ]
    return MatchModel(
        domain=rules.domain,
        prior=float(np.clip(prior, 1e-12, 1 - 1e-9)),
        comparisons=comparisons,
        candidate_prior=lam,
        n_records=n_records,
        n_pairs=n_pairs,
        iterations=iterations,
        converged=converged,
    )


def estimate_in_sessions(
    levels: np.ndarray,
    sessions: np.ndarray,
    rules: MatchRules,
    random_levels: np.ndarray | None = None,
    n_records: int | None = None,
    min_pairs: int = 50,
) -> MatchModel:
    """Estimate m one blocking key at a time, as Splink trains with blocking rules.

    ``sessions`` is bool (n_pairs, n_keys): which keys each pair shares
    (``blocking.shared_keys``). In the session of key k, pairs sharing k are
    used and the comparisons reading k's fields are skipped, since those
    pairs agree there by construction. Keys marked ``train: false`` get no
    session. Each comparison's m is the average over the sessions that
    estimated it. The prior is then estimated over all pairs with m and u held.
    """
    blocked = rules.blocked_comparisons()
    totals = [np.zeros(len(c.levels)) for c in rules.comparisons]
    sessions_used = np.zeros(len(rules.comparisons))
    for k, key in enumerate(rules.blocking.keys):
        rows = sessions[:, k]
        if not key.train or rows.sum() < min_pairs or blocked[k].all():
            continue
        session = levels[rows].copy()
        session[:, blocked[k]] = -1
        model = estimate(session, rules, random_levels=random_levels)
        for c, comparison in enumerate(model.comparisons):
            informative = (session[:, c] >= 0) & (session[:, c] != _null_level(rules.comparisons[c]))
            if blocked[k, c] or not informative.any():
                continue
            totals[c] += np.array([np.nan if lv.m is None else lv.m for lv in comparison.levels])
            sessions_used[c] += 1
    m = [
        total / used if used else _initial_m(comparison)
        for total, used, comparison in zip(totals, sessions_used, rules.comparisons)
    ]
    model = estimate(levels, rules, random_levels=random_levels, n_records=n_records, m=m)
    if random_levels is None or n_records is None:
        return model
    # Random pairs include true matches (a share ``prior``): on small, duplicate-rich
    # data that inflates u on agreement levels. Take them out and re-estimate the prior.
    observed = [np.array([np.nan if lv.u is None else lv.u for lv in c.levels]) for c in model.comparisons]
    floor = 0.5 / len(random_levels)
    for _ in range(2):
        u = [_without_matches(obs, mk, model.prior, floor, comparison) for obs, mk, comparison in zip(observed, m, rules.comparisons)]
        model = estimate(levels, rules, n_records=n_records, m=m, u=u)
    return model


def _without_matches(observed: np.ndarray, m: np.ndarray, prior: float, floor: float, comparison) -> np.ndarray:
    """u from random-pair frequencies with the expected matches removed, fixed levels kept."""
    u = np.maximum((observed - prior * np.nan_to_num(m)) / (1 - prior), floor)
    u[np.isnan(observed)] = np.nan
    u = u / np.nansum(u)
    return _apply_fixed(u, _fixed(comparison, "u"))


def _null_level(comparison) -> int:
    return 0 if comparison.has_null_level else -2


def score(levels: np.ndarray, model: MatchModel, tf_values: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(match_weight, match_probability) per pair; ``tf_values`` from ``compare.tf_values``."""
    table, offsets = model.weight_table()
    tables = [table[offset:] for offset in offsets]
    n = len(levels)
    weights, prob = np.empty(n), np.empty(n)

    def run(first: int, stop: int) -> None:
        # A block of pairs at a time, through one reused buffer: whole-array
        # temporaries (200 MB each at 25M pairs) are fresh pages every time, and
        # faulting them in cost more than the arithmetic.
        buffer = np.empty(min(stop - first, SCORE_BLOCK))
        for start in range(first, stop, SCORE_BLOCK):
            block = levels[start : min(start + SCORE_BLOCK, stop)]
            out, tmp = weights[start : start + len(block)], buffer[: len(block)]
            out.fill(model.prior_weight)
            for k, weight_of in enumerate(tables):
                np.take(weight_of, block[:, k], out=tmp)
                out += tmp
            if tf_values is not None:
                # Summed per comparison into the weights: no (pairs x comparisons) matrix.
                for k, hit, adjustment in _tf_terms(block, model, tf_values, start):
                    out[hit] += adjustment
            np.negative(out, out=tmp)
            np.exp2(tmp, out=tmp)
            tmp += 1.0
            np.divide(1.0, tmp, out=prob[start : start + len(block)])

    if n == 0 or n < PARALLEL_SCORE_PAIRS:
        run(0, n)
        return weights, prob
    # numpy releases the GIL in these loops: one run of blocks per core.
    per_thread = -(-n // (SCORE_THREADS * SCORE_BLOCK)) * SCORE_BLOCK
    with ThreadPoolExecutor(SCORE_THREADS) as pool:
        for done in [pool.submit(run, first, min(first + per_thread, n)) for first in range(0, n, per_thread)]:
            done.result()
    return weights, prob


def vetoed(levels: np.ndarray, rules: MatchRules) -> np.ndarray:
    """bool per pair: it hit a ``veto`` level and no ``override_veto`` level."""
    out = np.zeros(len(levels), dtype=bool)
    for k, is_veto, lifts in _veto_tables(rules):
        veto = is_veto[levels[:, k]]
        for j, lifting in lifts:
            veto &= ~lifting[levels[:, j]]
        out |= veto
    return out


# rules id -> (rules, tables): a level's "vetoes" and "lifts the veto of k" as bool per
# level index, so ``vetoed`` gathers instead of running ``np.isin`` (which costs tens of
# microseconds per call whatever the size: most of an incremental run's scoring).
_VETO_TABLES: dict[int, tuple[MatchRules, list]] = {}


def _veto_tables(rules: MatchRules) -> list[tuple[int, np.ndarray, list[tuple[int, np.ndarray]]]]:
    cached = _VETO_TABLES.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]

    def mask(n: int, where: list[int]) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[where] = True
        return out

    tables = []
    for k, comparison in enumerate(rules.comparisons):
        if not comparison.veto_levels:
            continue
        lifts = [(j, mask(len(other.levels), other.overrides_of(comparison.name)))
                 for j, other in enumerate(rules.comparisons) if other.overrides_of(comparison.name)]
        tables.append((k, mask(len(comparison.levels), comparison.veto_levels), lifts))
    if len(_VETO_TABLES) > 64:
        _VETO_TABLES.clear()
    _VETO_TABLES[id(rules)] = (rules, tables)
    return tables


def probability(weight: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp2(-np.asarray(weight, dtype=float)))


def explain(levels_row, model: MatchModel, tf_row=None) -> list[dict]:
    """A pair's score level by level, like Splink's waterfall chart.

    Rows: the prior, one per comparison (level hit, Bayes factor, weight and
    any term-frequency adjustment), then the total with its probability.
    The weights of all rows but the last sum to the total.
    """
    levels_row = np.asarray(levels_row, dtype=np.int64).reshape(1, -1)
    tf = None if tf_row is None else np.asarray(tf_row, dtype=float).reshape(1, -1)
    adjustment = _tf_adjustment(levels_row, model, tf)[0] if tf is not None else np.zeros(levels_row.shape[1])
    rows = [{"comparison": "prior", "level": "", "bayes_factor": 2**model.prior_weight, "weight": model.prior_weight}]
    for k, comparison in enumerate(model.comparisons):
        level = comparison.levels[levels_row[0, k]]
        weight = math.log2(level.bayes_factor) + adjustment[k]
        row = {"comparison": comparison.name, "level": level.label, "bayes_factor": 2**weight, "weight": weight}
        if adjustment[k]:
            row["tf_adjustment"] = float(adjustment[k])
        rows.append(row)
    total = sum(row["weight"] for row in rows)
    rows.append({"comparison": "total", "level": "", "bayes_factor": 2**total, "weight": total,
                 "probability": float(probability(total))})
    return rows


def _tf_adjustment(levels: np.ndarray, model: MatchModel, tf_values: np.ndarray) -> np.ndarray:
    """Extra weight on exact agreement: log2(u_exact / frequency of the value)."""
    out = np.zeros(levels.shape, dtype=float)
    for k, hit, adjustment in _tf_terms(levels, model, tf_values):
        out[hit, k] = adjustment
    return out


def _tf_terms(levels: np.ndarray, model: MatchModel, tf_values: np.ndarray, first: int = 0):
    """Per TF comparison: (k, pairs at its TF level with a known frequency, their adjustment).

    ``levels`` may be a block of the pairs starting at pair ``first``; the
    pairs returned count from the block's start."""
    for k, comparison in enumerate(model.comparisons):
        if comparison.tf_level is None or comparison.levels[comparison.tf_level].u is None:
            continue
        u = comparison.levels[comparison.tf_level].u
        hit = np.flatnonzero(levels[:, k] == comparison.tf_level)
        freq = tf_values[hit + first if first else hit, k].astype(float)
        known = ~np.isnan(freq)
        yield k, hit[known], np.log2(u / np.maximum(freq[known], comparison.tf_minimum_u))


def _patterns(levels: np.ndarray, rules: MatchRules) -> tuple[np.ndarray, np.ndarray]:
    """Distinct level rows and their counts."""
    if len(levels) == 0:
        return np.zeros((0, levels.shape[1]), np.int64), np.zeros(0)
    # Shift by one so that -1 ("skip") gets its own digit.
    radix = np.array([len(c.levels) + 1 for c in rules.comparisons], dtype=np.int64)
    place = np.r_[np.cumprod(radix[::-1])[::-1][1:], 1]
    codes = (levels.astype(np.int64) + 1) @ place
    unique, first, counts = np.unique(codes, return_index=True, return_counts=True)
    return levels[first].astype(np.int64), counts.astype(float)


def _posterior(patterns: np.ndarray, m: list, u: list, lam: float) -> np.ndarray:
    log_odds = np.full(len(patterns), math.log(lam / (1 - lam)))
    for k in range(patterns.shape[1]):
        ratio = np.log(np.nan_to_num(m[k], nan=1.0)) - np.log(np.nan_to_num(u[k], nan=1.0))
        log_odds += np.append(ratio, 0.0)[patterns[:, k]]  # index -1: skipped, neutral
    return 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))


def _initial_m(comparison) -> np.ndarray:
    """Most matches agree at the best level, a few fall to each weaker one."""
    estimated = [i for i, spec in enumerate(comparison.levels) if spec.kind != NULL]
    shares = np.array([0.25**rank for rank in range(len(estimated) - 1)] + [0.0])
    shares = shares / shares.sum() * 0.95 if shares.sum() else shares
    shares[-1] = 0.05 if len(estimated) > 1 else 1.0
    return _place(comparison, estimated, shares, "m")


def _initial_u(comparison) -> np.ndarray:
    """Non-matches mostly fall to 'else'."""
    estimated = [i for i, spec in enumerate(comparison.levels) if spec.kind != NULL]
    shares = np.full(len(estimated), 0.05 / max(len(estimated) - 1, 1))
    shares[-1] = 0.95 if len(estimated) > 1 else 1.0
    return _place(comparison, estimated, shares, "u")


def _place(comparison, estimated: list[int], shares: np.ndarray, which: str) -> np.ndarray:
    out = np.full(len(comparison.levels), np.nan)
    out[estimated] = shares
    return _apply_fixed(out, _fixed(comparison, which))


def _fixed(comparison, which: str) -> np.ndarray:
    """Fixed m or u per level from the rule file (NaN where estimated)."""
    return np.array([np.nan if getattr(spec, which) is None else getattr(spec, which) for spec in comparison.levels])


def _frequencies(column: np.ndarray, comparison, fixed: np.ndarray, smoothing: float) -> np.ndarray:
    weights = np.ones(len(column))
    return _weighted_frequencies(column.astype(np.int64), weights, comparison, fixed, smoothing)


def _weighted_frequencies(column: np.ndarray, weights: np.ndarray, comparison, fixed: np.ndarray, smoothing: float = 1e-6) -> np.ndarray:
    """Share of the weight at each non-null level (+ smoothing), with fixed levels kept."""
    n_levels = len(comparison.levels)
    used = column >= 0
    totals = np.bincount(column[used], weights=weights[used], minlength=n_levels).astype(float)
    out = np.full(n_levels, np.nan)
    estimated = [i for i, spec in enumerate(comparison.levels) if spec.kind != NULL]
    share = totals[estimated] + smoothing
    out[estimated] = share / share.sum()
    return _apply_fixed(out, fixed)


def _apply_fixed(probabilities: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Put fixed values in place and rescale the free levels to fill the rest."""
    is_fixed = ~np.isnan(fixed)
    if not is_fixed.any():
        return np.maximum(probabilities, _FLOOR, where=~np.isnan(probabilities), out=probabilities.copy())
    out = probabilities.copy()
    free = ~is_fixed & ~np.isnan(out)
    room = max(1.0 - fixed[is_fixed].sum(), _FLOOR)
    if free.any():
        out[free] = np.maximum(out[free], _FLOOR)
        out[free] *= room / out[free].sum()
    out[is_fixed] = fixed[is_fixed]
    return out


def _none_if_nan(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
