"""The whole match run over one frame: prepare, block, compare, estimate, score, cluster.

    result = match_frame(customers, load_rules("rules/customer.yaml"))
    result.clusters.labels      # cluster label per record id
    result.pairs                # scored candidate pairs
    result.timings              # seconds per stage

``score_pairs`` scores given pairs with an existing model: the store uses it
for incremental matching with the bulk run's parameters.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mdm.match.blocking import (
    blocking_keys, blocking_stats, candidate_pairs, oversized_blocks, pairs_within_blocks, shared_keys,
)
from mdm.match.cluster import ClusterResult, cluster, components, lookup, positions, sorted_unique
from mdm.memory import large_heap, release_free_heap
from mdm.match.compare import LARGE_PAIRS, ColumnCodes, comparison_levels, pair_frequencies, term_frequencies
from mdm.match.features import ensure_prepared, prepare
from mdm.match.keyhash import key_rows_ahead
from mdm.match.rules import MatchRules
from mdm.match.scoring import MatchModel, estimate, estimate_in_sessions, score, vetoed

# Components this large are not completed pairwise (cost grows with size²).
MAX_COMPLETED_COMPONENT = 50
# From this many records a run's numpy temporaries are large enough that
# keeping them in the heap (``memory.large_heap``) pays.
LARGE_FRAME = 50_000


@dataclass
class MatchResult:
    pairs: pd.DataFrame  # left, right, match_weight, match_probability
    levels: np.ndarray  # level per pair and comparison, aligned with ``pairs``
    model: MatchModel
    clusters: ClusterResult
    blocking: dict
    timings: dict[str, float] = field(default_factory=dict)
    keys: pd.DataFrame | None = None  # blocking_keys of the frame, for the store's key table
    # ``key_rows`` of ``keys`` (the key table's rows), when ``match_frame(hash_keys=...)`` asked for them
    key_rows: Future | None = None
    rules: MatchRules | None = None

    @property
    def labels(self) -> pd.Series:
        return self.clusters.labels

    @property
    def oversized_blocks(self) -> pd.DataFrame:
        """Blocks skipped for their size; worked out on demand (a report, not
        needed to match: an incremental run would pay pandas' fixed costs)."""
        return oversized_blocks(None, self.rules, self.keys)


@dataclass
class _Clock:
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        yield
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


def match_frame(
    df: pd.DataFrame,
    rules: MatchRules,
    model: MatchModel | None = None,
    cannot_link: tuple | None = None,
    tf_tables: dict[str, pd.Series] | None = None,
    hash_keys: str | None = None,
) -> MatchResult:
    """Match every record of ``df`` (indexed by record id) against every other.

    ``tf_tables`` (term frequencies over the whole store) default to ``df``'s own.
    ``hash_keys``: a domain; the result's ``key_rows`` then gives the blocking keys as the
    store keeps them (``keyhash.key_rows``), hashed on a thread while estimate, score and
    cluster run (they leave a core free).
    """
    with large_heap() if len(df) >= LARGE_FRAME else nullcontext():
        return _match_frame(df, rules, model, cannot_link, tf_tables, hash_keys)


def _match_frame(df, rules, model, cannot_link, tf_tables, hash_keys=None) -> MatchResult:
    clock = _Clock()
    with clock.stage("prepare"):
        frame = ensure_prepared(df, rules)
    with clock.stage("blocking"):
        keys = blocking_keys(frame, rules)
        left, right = candidate_pairs(frame, rules, keys)
        stats = blocking_stats(left, right, len(frame))
    if len(left) > LARGE_PAIRS:
        release_free_heap()  # the blocking stage's temporaries
    with clock.stage("compare"):
        codes = ColumnCodes(frame)  # shared by the three comparisons of this frame's pairs
        levels = comparison_levels(frame, left, right, rules, columns=codes)
        tables = tf_tables if tf_tables is not None else term_frequencies(frame, rules)
        tf = pair_frequencies(frame, left, rules, tables, columns=codes)
    hashed = key_rows_ahead(hash_keys, keys) if hash_keys is not None else None
    if model is None:
        with clock.stage("estimate"):
            model = train(frame, rules, keys, left, right, levels, columns=codes)
    with clock.stage("score"):
        weight, prob = score(levels, model, tf)
    with clock.stage("cluster"):
        left, right, levels, weight, prob = _complete_components(
            frame, rules, model, tables, left, right, levels, weight, prob, columns=codes)
        del codes
        on_weight = rules.thresholds.scale == "weight"
        clusters = cluster(
            frame.index.to_numpy(),
            left,
            right,
            weight if on_weight else prob,
            rules.thresholds,
            cannot_link,
            vetoed=vetoed(levels, rules),
        )
    # The arrays as they are (copy=False): consolidating them into two blocks copied
    # 800 MB of fresh pages at a million records, for nothing.
    pairs = pd.DataFrame({"left": left, "right": right, "match_weight": weight, "match_probability": prob}, copy=False)
    return MatchResult(
        pairs=pairs,
        levels=levels,
        model=model,
        clusters=clusters,
        blocking=stats,
        timings=clock.timings,
        keys=keys,
        key_rows=hashed,
        rules=rules,
    )


def score_pairs(
    df: pd.DataFrame,
    left,
    right,
    rules: MatchRules,
    model: MatchModel,
    tf_tables: dict[str, pd.Series] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Score given pairs with an existing model: (pairs frame, levels).

    ``df`` holds every record named in the pairs; ``tf_tables`` (from
    ``compare.term_frequencies`` over the whole store) default to ``df``'s.
    """
    frame = prepare(df, rules)
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    levels = comparison_levels(frame, left, right, rules)
    weight, prob = score(levels, model, pair_frequencies(frame, left, rules, tf_tables))
    return pd.DataFrame({"left": left, "right": right, "match_weight": weight, "match_probability": prob}), levels


def train(frame: pd.DataFrame, rules: MatchRules, keys: pd.DataFrame, left, right, levels,
          columns: ColumnCodes | None = None) -> MatchModel:
    """Estimate a model from candidate pairs (and random pairs for u); ``columns``: as ``comparison_levels`` takes it."""
    settings = rules.em
    rng = np.random.default_rng(settings.seed)
    sample = np.arange(len(left))
    if len(sample) > settings.training_pairs:
        sample = np.sort(rng.choice(sample, settings.training_pairs, replace=False))
    random_levels = None
    if settings.estimate_u == "random_pairs":
        random_left, random_right = random_pairs(frame.index.to_numpy(), settings.u_sample_pairs, settings.seed)
        random_levels = comparison_levels(frame, random_left, random_right, rules, columns=columns)
    training = levels[sample]
    if settings.skip_blocked and len(sample):
        sessions = shared_keys(keys, left[sample], right[sample], rules)
        model = estimate_in_sessions(training, sessions, rules, random_levels=random_levels, n_records=len(frame))
    else:
        model = estimate(training, rules, random_levels=random_levels, n_records=len(frame))
    if len(sample) < len(left):  # the prior was estimated on the sample
        model.prior = min(model.prior * len(left) / len(sample), 0.5)
        model.n_pairs = len(left)
    return model


def random_pairs(ids: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``n`` distinct-record pairs drawn uniformly; all pairs if there are fewer."""
    count = len(ids)
    if count * (count - 1) // 2 <= n:
        a, b = np.triu_indices(count, k=1)
    else:
        rng = np.random.default_rng(seed)
        a, b = rng.integers(0, count, n), rng.integers(0, count - 1, n)
        b = b + (b >= a)  # never the same record twice
    return ids[a], ids[b]


def _complete_components(frame, rules, model, tables, left, right, levels, weight, prob, columns=None):
    """Score every not-yet-compared pair inside would-be clusters of 3+ records.

    Blocking may never have compared A with C although both link to B; scoring
    A-C lets clustering see that they are unlike instead of chaining them.
    """
    on_weight = rules.thresholds.scale == "weight"
    strong = np.flatnonzero((weight if on_weight else prob) >= rules.thresholds.auto_merge)
    strong_left, strong_right = left[strong], right[strong]
    ids = sorted_unique(strong_left, strong_right)
    if len(ids) == 0:
        return left, right, levels, weight, prob
    li, ri = positions(ids, strong_left), positions(ids, strong_right)
    component = components(len(ids), li, ri)
    sizes = np.bincount(component)
    eligible = (sizes[component] >= 3) & (sizes[component] <= MAX_COMPLETED_COMPONENT)
    if not eligible.any():
        return left, right, levels, weight, prob
    # Every pair inside each component, as positions among the eligible ids
    # (ascending, so a < b), coded a * n + b: sorted codes are (a, b) order.
    members = ids[eligible]
    n = len(members)
    a, b = pairs_within_blocks(component[eligible], np.arange(n, dtype=np.int64))
    wanted = np.sort(a * n + b)
    # Not a MultiIndex.isin: that builds a Python tuple per candidate pair
    # (gigabytes at a million records). Scored pairs as the same codes.
    at_left = lookup(members, left)
    rows = np.flatnonzero(at_left >= 0)
    at_right = lookup(members, right[rows])
    known = at_right >= 0
    scored = np.sort(at_left[rows[known]] * n + at_right[known])
    del at_left, rows, at_right, known
    found = np.zeros(len(wanted), dtype=bool)
    if len(scored):
        at = np.minimum(np.searchsorted(scored, wanted), len(scored) - 1)
        found = scored[at] == wanted
    new = wanted[~found]
    if len(new) == 0:
        return left, right, levels, weight, prob
    new_left, new_right = members[new // n], members[new % n]
    new_levels = comparison_levels(frame, new_left, new_right, rules, columns=columns)
    new_weight, new_prob = score(new_levels, model, pair_frequencies(frame, new_left, rules, tables, columns=columns))
    return (
        np.concatenate([left, new_left]),
        np.concatenate([right, new_right]),
        np.concatenate([levels, new_levels]),
        np.concatenate([weight, new_weight]),
        np.concatenate([prob, new_prob]),
    )
