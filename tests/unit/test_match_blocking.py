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



def _keys_deduplicated_whole(frame, book):
    """``blocking_keys`` as it was: every key's rows, then one ``drop_duplicates`` over all of them."""
    from mdm.match.blocking import KEY_SEPARATOR, _is_multi_valued
    from mdm.match.features import column_or_null, ensure_prepared

    frame = ensure_prepared(frame, book)
    out = []
    for key in book.blocking.keys:
        parts = pd.DataFrame({str(i): column_or_null(frame, c) for i, c in enumerate(key.columns)}, index=frame.index)
        for column in parts.columns:
            if _is_multi_valued(parts[column]):
                parts = parts.explode(column)
        parts = parts.dropna()
        value = parts.iloc[:, 0].astype(str)
        for column in parts.columns[1:]:
            value = value + KEY_SEPARATOR + parts[column].astype(str)
        out.append(pd.DataFrame({"record_id": parts.index.to_numpy(np.int64), "key_name": key.name,
                                 "key_value": value.to_numpy()}))
    return pd.concat(out, ignore_index=True).drop_duplicates(ignore_index=True)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["ACME ACME WIDGETS", "Widgets Acme", "ACME", None, "", "Beta Beta Beta"]),
                min_size=300, max_size=400),
       st.booleans(), st.booleans())
def test_keys_deduplicated_per_exploded_key_equal_the_whole_table_deduplicated(orgs, same_names, repeated_ids):
    """Only keys of several values per record can repeat a row: deduplicating those alone gives
    the table a deduplication of every row gave, also when key names or record ids repeat."""
    book = parse_rules(
        {
            "domain": "customer",
            "features": {"org_tokens": {"fn": "tokens", "of": "organization"}, "zip5": {"fn": "zip5", "of": "postal_code"}},
            "blocking": {"keys": [{"name": "k", "columns": ["org_tokens"]},
                                  {"name": "k" if same_names else "z", "columns": ["zip5", "org_tokens"]},
                                  {"name": "e", "columns": ["email"]}]},
            "comparisons": [{"name": "organization", "levels": ["null", "exact", "else"]}],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )
    n = len(orgs)
    ids = [i // 2 if repeated_ids else i for i in range(n)]
    frame = pd.DataFrame({"organization": orgs, "postal_code": ["02134", "02134-1111", None] * (n // 3) + ["1"] * (n % 3),
                          # Several addresses per record, some twice: that key explodes into repeated rows.
                          "email": [[f"a{i % 7}@x.com", f"b{i % 3}@x.com", f"a{i % 7}@x.com"][: 1 + i % 3]
                                    for i in range(n)]}, index=pd.Index(ids, dtype="int64"))
    got = blocking_keys(frame, book)
    pd.testing.assert_frame_equal(got, _keys_deduplicated_whole(frame, book))
    assert not got.duplicated().any()
    assert (got["key_name"] == "e").sum() < sum(1 + i % 3 for i in range(n))  # repeated rows were dropped


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["Smith", "Smyth", "Jones", "Ann Lee", "Lee Ann", None]),
                       st.sampled_from(["02134", "02134-1234", "90210", None]),
                       st.sampled_from(["a@x.com", "b@x.com", None])), min_size=2, max_size=25),
    st.data(),
)
def test_shared_keys_equal_the_key_values_each_pair_has_in_common(records, data):
    """Which keys each pair shares, single- and multi-valued keys alike, with records
    outside the pairs in the key table: as a pair-by-pair set intersection says."""
    from mdm.match.blocking import shared_keys

    key_rules = parse_rules(
        {
            "domain": "customer",
            "features": {
                "zip5": {"fn": "zip5", "of": "postal_code"},
                "surname_ph": {"fn": "metaphone", "of": "family_name"},
                "name_tokens": {"fn": "tokens", "of": "family_name", "min_length": 1},
            },
            "blocking": {"keys": [["surname_ph", "zip5"], ["email"], ["name_tokens"], ["zip5"]]},
            "comparisons": [{"name": "family_name", "levels": ["null", "exact", "else"]}],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )
    frame = pd.DataFrame(records, columns=["family_name", "postal_code", "email"],
                         index=pd.Index(range(100, 100 + len(records)), dtype="int64"))
    keys = blocking_keys(frame, key_rules)
    ids = frame.index.tolist()
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda p: p[0] != p[1]),
                               min_size=1, max_size=15))
    left, right = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    names = [key.name for key in key_rules.blocking.keys]
    values = {(rid, name): set() for rid in ids for name in names}
    for rid, name, value in keys.itertuples(index=False):
        values[(rid, name)].add(value)
    expected = [[bool(values[(a, n)] & values[(b, n)]) for n in names] for a, b in pairs]
    assert shared_keys(keys, left, right, key_rules).tolist() == expected
