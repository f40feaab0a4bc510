"""Blocking: candidate pairs, block-size guard, stored keys and incremental lookup."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
import pandas as pd

from mdm.match import blocking_keys, blocking_stats, candidate_pairs, oversized_blocks, pairs_for, parse_rules


def rules(keys, max_block_size=1000):
    return parse_rules(
        {
            "domain": "customer",
            "features": {"zip5": {"fn": "zip5", "of": "postal_code"}, "surname_ph": {"fn": "metaphone", "of": "family_name"}},
            "blocking": {"keys": keys, "max_block_size": max_block_size},
            "comparisons": [{"name": "family_name", "levels": ["null", "exact", "else"]}],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )


CUSTOMERS = pd.DataFrame(
    {
        "family_name": ["Smith", "Smyth", "Jones", "Smith", None],
        "postal_code": ["02134", "02134-1234", "02134", "90210", "90210"],
        "email": ["a@x.com", None, None, None, "a@x.com"],
    },
    index=pd.Index([50, 40, 30, 20, 10], dtype="int64"),
)


def as_set(left, right):
    return set(zip(left.tolist(), right.tolist()))


def test_pairs_share_every_column_of_a_key_and_keys_are_unioned():
    left, right = candidate_pairs(CUSTOMERS, rules([["surname_ph", "zip5"], ["email"]]))
    # Smith/Smyth sound alike in ZIP 02134; records 10 and 50 share an email.
    assert as_set(left, right) == {(40, 50), (10, 50)}


def test_pairs_are_ordered_left_below_right_and_deduplicated():
    left, right = candidate_pairs(CUSTOMERS, rules([["zip5"], ["zip5", "surname_ph"]]))
    assert (left < right).all()
    assert len(as_set(left, right)) == len(left)
    assert as_set(left, right) == {(30, 40), (30, 50), (40, 50), (10, 20)}


def test_oversized_blocks_are_skipped_and_reported():
    keys = rules([["zip5"], ["email"]], max_block_size=2)
    left, right = candidate_pairs(CUSTOMERS, keys)
    assert as_set(left, right) == {(10, 20), (10, 50)}
    skipped = oversized_blocks(CUSTOMERS, keys)
    assert skipped.to_dict("records") == [{"key_name": "zip5", "key_value": "02134", "size": 3}]


def test_multi_valued_feature_explodes_into_one_key_per_token():
    frame = pd.DataFrame({"organization": ["Acme Widgets", "Widgets International", "Beta"]}, index=pd.Index([1, 2, 3]))
    token_rules = parse_rules(
        {
            "domain": "customer",
            "features": {"org_tokens": {"fn": "tokens", "of": "organization"}},
            "blocking": {"keys": [["org_tokens"]]},
            "comparisons": [{"name": "organization", "levels": ["null", "exact", "else"]}],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )
    keys = blocking_keys(frame, token_rules)
    assert sorted(keys.loc[keys.record_id == 1, "key_value"]) == ["ACME", "WIDGETS"]
    assert as_set(*candidate_pairs(frame, token_rules)) == {(1, 2)}


def test_new_record_finds_candidates_through_stored_keys():
    keys = rules([["surname_ph", "zip5"], ["email"]])
    stored = blocking_keys(CUSTOMERS, keys)
    new = pd.DataFrame({"family_name": ["Smithe"], "postal_code": ["02134"], "email": ["a@x.com"]}, index=pd.Index([60]))
    left, right = pairs_for(new, stored, keys)
    assert as_set(left, right) == {(50, 60), (40, 60), (10, 60)}


def test_blocking_stats_reports_reduction_ratio_and_pair_completeness():
    stats = blocking_stats(np.array([1, 2]), np.array([2, 3]), n_records=5, true_pairs=(np.array([2, 4]), np.array([1, 5])))
    assert stats["reduction_ratio"] == 1 - 2 / 10
    assert stats["pair_completeness"] == 0.5


def test_shared_keys_tell_which_keys_found_each_pair():
    from mdm.match.blocking import shared_keys

    keys_rules = rules([["surname_ph", "zip5"], ["email"]])
    stored = blocking_keys(CUSTOMERS, keys_rules)
    shared = shared_keys(stored, np.array([40, 10]), np.array([50, 50]), keys_rules)
    assert shared.tolist() == [[True, False], [False, True]]


def test_a_key_may_set_its_own_block_size_limit():
    keys = parse_rules(
        {
            "domain": "customer",
            "features": {"zip5": {"fn": "zip5", "of": "postal_code"}},
            "blocking": {"keys": [{"columns": ["zip5"], "max_block_size": 2}, ["email"]], "max_block_size": 1000},
            "comparisons": [{"name": "family_name", "levels": ["null", "exact", "else"]}],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )
    assert as_set(*candidate_pairs(CUSTOMERS, keys)) == {(10, 20), (10, 50)}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 40), st.sampled_from(["zip5", "surname_ph"]), st.sampled_from(list("abcde"))),
             max_size=120),
    st.integers(2, 8),
)
def test_small_and_vectorized_candidate_pairs_agree(rows, limit):
    """The plain-Python path for a handful of keys gives the vectorized path's pairs, limits included."""
    from mdm.match import blocking

    book = rules([["zip5"], ["surname_ph"]], max_block_size=limit)
    keys = pd.DataFrame(rows, columns=["record_id", "key_name", "key_value"]).drop_duplicates(ignore_index=True)
    keys["record_id"] = keys["record_id"].astype("int64")
    small = blocking._candidate_pairs_small(keys, book)
    original, blocking.SMALL_KEY_ROWS = blocking.SMALL_KEY_ROWS, -1
    try:
        vectorized = candidate_pairs(None, book, keys)
    finally:
        blocking.SMALL_KEY_ROWS = original
    assert small[0].tolist() == vectorized[0].tolist() and small[1].tolist() == vectorized[1].tolist()

