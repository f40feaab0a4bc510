"""The match engine: pure functions from canonical source records to clusters.

Pipeline (each step usable alone; ``match_frame`` runs them all)::

    rules = load_rules("rules/customer.yaml")           # MatchRules (pydantic)
    frame = prepare(df, rules)                          # + derived features
    left, right = candidate_pairs(frame, rules)         # blocking, left < right
    levels = comparison_levels(frame, left, right, rules)   # int8 (pairs, comparisons)
    tf = tf_values(frame, left, rules)                  # term frequencies (or None)
    model = estimate(levels, rules, random_levels=..., n_records=len(frame))
    weight, probability = score(levels, model, tf)
    result = cluster(frame.index, left, right, probability, rules.thresholds,
                     cannot_link=(a_ids, b_ids), vetoed=vetoed(levels, rules))

``df`` is indexed by int64 record id, one row per source record, with
canonical fields as string columns (None/NaN = missing; absent column =
all-null) plus ``system``.

Public API (stable; the store depends on it):

- ``load_rules(path) -> MatchRules``; ``parse_rules(data, file) -> MatchRules``;
  ``RulesError(file, path, reason)``.
- ``prepare(df, rules) -> DataFrame``.
- ``blocking_keys(df, rules) -> DataFrame[record_id, key_name, key_value]``;
  ``candidate_pairs(df, rules) -> (left_ids, right_ids)``;
  ``pairs_for(new_df, existing_keys, rules) -> (left_ids, right_ids)``;
  ``oversized_blocks(df, rules) -> DataFrame[key_name, key_value, size]``;
  ``shared_keys(keys, left, right, rules) -> ndarray[bool] (pairs, keys)``;
  ``blocking_stats(left, right, n_records, true_pairs=None) -> dict``.
- ``comparison_levels(df, left_ids, right_ids, rules) -> ndarray[int8]``;
  ``term_frequencies(df, rules) -> {comparison: Series}``;
  ``tf_values(df, left_ids, rules, tables=None) -> ndarray[float]``.
- ``estimate(levels, rules, random_levels=None, n_records=None, m=None, u=None) -> MatchModel``
  (one EM run); ``estimate_in_sessions(levels, sessions, rules, random_levels, n_records)``
  (Splink-style: m per blocking-key session, then the prior);
  ``score(levels, model, tf_values=None) -> (match_weight, match_probability)``;
  ``explain(levels_row, model, tf_row=None) -> list[dict]``;
  ``vetoed(levels, rules) -> ndarray[bool]`` (pairs at a ``veto`` level).
  ``MatchModel`` round-trips via ``model_dump_json`` / ``model_validate_json``.
- ``cluster(record_ids, left, right, score, thresholds, cannot_link=None, vetoed=None) -> ClusterResult``
  (``labels``: Series record_id -> smallest member id; ``review``: DataFrame
  left, right, score, reason).
- ``match_frame(df, rules, model=None, cannot_link=None) -> MatchResult``;
  ``train(frame, rules, keys, left, right, levels) -> MatchModel`` (what
  ``match_frame`` runs when no model is given);
  ``score_pairs(df, left, right, rules, model, tf_tables=None) -> (DataFrame, levels)``;
  ``random_pairs(ids, n, seed=0)``.
- Extension: ``feature_functions.register(name)`` and ``level_kinds.register(name)``.
"""

from mdm.match.blocking import (
    blocking_keys,
    blocking_stats,
    candidate_pairs,
    oversized_blocks,
    pair_rows,
    pairs_for,
    shared_keys,
)
from mdm.match.cluster import ClusterResult, cluster
from mdm.match.compare import comparison_levels, pair_frequencies, term_frequencies, tf_values
from mdm.match.engine import MatchResult, match_frame, random_pairs, score_pairs, train
from mdm.match.features import prepare
from mdm.match.registry import feature_functions, level_kinds
from mdm.match.rules import MatchRules, RulesError, load_rules, parse_rules
from mdm.match.scoring import MatchModel, estimate, estimate_in_sessions, explain, score, vetoed

__all__ = [
    "ClusterResult",
    "MatchModel",
    "MatchResult",
    "MatchRules",
    "RulesError",
    "blocking_keys",
    "blocking_stats",
    "candidate_pairs",
    "cluster",
    "comparison_levels",
    "estimate",
    "estimate_in_sessions",
    "explain",
    "feature_functions",
    "level_kinds",
    "load_rules",
    "match_frame",
    "oversized_blocks",
    "pair_frequencies",
    "pair_rows",
    "pairs_for",
    "parse_rules",
    "prepare",
    "random_pairs",
    "score",
    "score_pairs",
    "shared_keys",
    "term_frequencies",
    "tf_values",
    "train",
    "vetoed",
]
