"""Comparison levels: each kind, and distinct-pair evaluation equal to the naive loop."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Levenshtein

from mdm.match import comparison_levels, parse_rules
from mdm.match.registry import level_kinds


def rules_for(field: str, levels: list, features: dict | None = None):
    return parse_rules(
        {
            "domain": "customer",
            "features": features or {},
            "blocking": {"keys": [[field]]},
            "comparisons": [{"name": field, "levels": levels}],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )


def level_of(field: str, levels: list, a, b, features: dict | None = None) -> int:
    df = pd.DataFrame({field: [a, b]}, index=pd.Index([10, 20], dtype="int64"))
    return int(comparison_levels(df, np.array([10]), np.array([20]), rules_for(field, levels, features))[0, 0])


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(None, "Smith", 0), ("Smith", None, 0), ("Smith", "Smith", 1), ("Smith", "Smyth", 2), ("Smith", "Jones", 3)],
)
def test_null_exact_jaro_winkler_else(a, b, expected):
    assert level_of("family_name", ["null", "exact", "jaro_winkler >= 0.85", "else"], a, b) == expected


def test_levenshtein_counts_edits():
    levels = ["null", "exact", "levenshtein <= 1", "levenshtein <= 2", "else"]
    assert level_of("tax_id", levels, "123456", "123450") == 2
    assert level_of("tax_id", levels, "123456", "120450") == 3
    assert level_of("tax_id", levels, "123456", "654321") == 4


def test_damerau_levenshtein_counts_a_transposition_once():
    assert level_of("phone", ["null", "exact", "damerau_levenshtein <= 1", "else"], "+15551234567", "+15551243567") == 2


def test_damerau_levenshtein_up_to_two_still_counts_moves_across_a_character():
    # "CA" -> "ABC" is two Damerau-Levenshtein edits, three optimal-alignment ones:
    # only thresholds of one edit may take the faster OSA scorer.
    assert level_of("tax_id", ["null", "exact", "damerau_levenshtein <= 2", "else"], "CA", "ABC") == 2


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text("ab12", max_size=6), st.text("ab12", max_size=6)), min_size=1, max_size=40))
def test_damerau_levenshtein_within_one_edit_agrees_with_the_full_distance(pairs):
    values = np.array(sorted({v for pair in pairs for v in pair}), dtype=object)
    code = {v: i for i, v in enumerate(values)}
    left = np.array([code[a] for a, _ in pairs])
    right = np.array([code[b] for _, b in pairs])
    kind = level_kinds["damerau_levenshtein"]
    expected = np.array([DamerauLevenshtein.distance(a, b) <= 1 for a, b in pairs])
    assert (kind(values, left, right, 1) == expected).all()
    assert (kind.score(values, left, right, 1) == [min(DamerauLevenshtein.distance(a, b), 2) for a, b in pairs]).all()


def test_token_set_ignores_word_order_and_extra_words():
    levels = ["null", "exact", "token_set >= 0.95", "else"]
    assert level_of("organization", levels, "ACME WIDGETS", "WIDGETS ACME") == 2
    assert level_of("organization", levels, "ACME WIDGETS", "ACME WIDGETS NORTH") == 2


def test_numeric_abs_and_pct():
    levels = ["null", "numeric_abs <= 0.5", "numeric_pct <= 0.1", "else"]
    assert level_of("credit_limit", levels, "100", "100.4") == 1
    assert level_of("credit_limit", levels, "100", "109") == 2
    assert level_of("credit_limit", levels, "100", "150") == 3
    assert level_of("credit_limit", levels, "100", "n/a") == 3


def test_date_days_and_transposed_day_month():
    levels = ["null", "exact", {"kind": "date_transposed"}, "date_days <= 10", "else"]
    assert level_of("date_of_birth", levels, "1980-03-07", "1980-07-03") == 2
    assert level_of("date_of_birth", levels, "1980-03-07", "1980-03-12") == 3
    assert level_of("date_of_birth", levels, "1980-03-07", "1981-03-07") == 4


def test_exact_on_another_feature_catches_nicknames():
    features = {"given_nick": {"fn": "nickname", "of": "given_name"}}
    levels = ["null", "exact", {"exact_on": "given_nick"}, "else"]
    assert level_of("given_name", levels, "Bill", "William", features) == 2
    assert level_of("given_name", levels, "Bill", "Robert", features) == 3


def test_exact_on_sorted_tokens_catches_swapped_names():
    features = {"person_key": {"fn": "sorted_tokens", "of": ["given_name", "family_name"]}}
    rules = rules_for("given_name", ["null", "exact", {"exact_on": "person_key"}, "else"], features)
    df = pd.DataFrame({"given_name": ["John", "Smith"], "family_name": ["Smith", "John"]}, index=pd.Index([1, 2]))
    assert comparison_levels(df, np.array([1]), np.array([2]), rules)[0, 0] == 2


def test_missing_column_is_all_null():
    df = pd.DataFrame({"email": ["a@x.com", "a@x.com"]}, index=pd.Index([1, 2]))
    rules = rules_for("family_name", ["null", "exact", "else"])
    assert comparison_levels(df, np.array([1]), np.array([2]), rules)[0, 0] == 0


def test_distinct_pair_evaluation_equals_naive_per_pair_loop():
    rng = np.random.default_rng(7)
    names = ["Smith", "Smyth", "Schmidt", "Jones", "Johns", None, "Smithe", "Jonas"]
    df = pd.DataFrame({"family_name": rng.choice(np.array(names, dtype=object), 200)}, index=pd.RangeIndex(200) * 3)
    left, right = rng.choice(df.index, 2000), rng.choice(df.index, 2000)
    rules = rules_for("family_name", ["null", "exact", "jaro_winkler >= 0.9", "levenshtein <= 2", "jaro_winkler >= 0.7", "else"])

    def naive(a, b):
        if a is None or b is None:
            return 0
        if a == b:
            return 1
        if JaroWinkler.normalized_similarity(a, b) >= 0.9:
            return 2
        if Levenshtein.distance(a, b) <= 2:
            return 3
        if JaroWinkler.normalized_similarity(a, b) >= 0.7:
            return 4
        return 5

    values = df["family_name"]
    expected = [naive(values[a], values[b]) for a, b in zip(left, right)]
    assert comparison_levels(df, left, right, rules)[:, 0].tolist() == expected


def test_starts_with_catches_suffixed_codes_but_not_short_prefixes():
    levels = ["null", "exact", "starts_with >= 5", "else"]
    assert level_of("tax_id", levels, "RBVBVL150BP", "RBVBVL150BPBX") == 2
    assert level_of("tax_id", levels, "RBV", "RBVBVL") == 3


def test_extended_by_text_takes_a_suffix_note_but_not_a_numeric_suffix():
    levels = ["null", "exact", {"extended_by_text": 6}, "else"]
    assert level_of("tax_id", levels, "RBVBVL150BP", "RBVBVL150BPREVB") == 2
    assert level_of("tax_id", levels, "SVHXN1032S", "SVHXN1032S5") == 3


def test_extended_by_text_needs_the_shorter_value_to_be_long_enough():
    assert level_of("tax_id", ["null", "exact", {"extended_by_text": 6}, "else"], "RBV", "RBVBX") == 3


def test_veto_flags_pairs_at_veto_levels_unless_an_override_level_hits():
    from mdm.match import vetoed

    rules = parse_rules(
        {
            "domain": "customer",
            "blocking": {"keys": [["email"]]},
            "comparisons": [
                {"name": "date_of_birth", "levels": ["null", "exact", {"kind": "else", "veto": True}]},
                {"name": "tax_id", "levels": ["null", {"kind": "exact", "override_veto": True}, "else"]},
            ],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )
    levels = np.array([[2, 0], [2, 1], [1, 2]], dtype=np.int8)
    assert vetoed(levels, rules).tolist() == [True, False, False]


def test_an_override_naming_comparisons_lifts_only_their_vetoes():
    from mdm.match import vetoed

    rules = parse_rules(
        {
            "domain": "customer",
            "blocking": {"keys": [["email"]]},
            "comparisons": [
                {"name": "name", "levels": ["null", "exact", {"kind": "else", "veto": True}]},
                {"name": "tax_id", "levels": ["null", "exact", {"kind": "else", "veto": True}]},
                {"name": "email", "levels": ["null", {"kind": "exact", "override_veto": ["name"]}, "else"]},
            ],
            "thresholds": {"auto_merge": 0.9, "review": 0.5},
        }
    )
    levels = np.array(
        [
            [2, 0, 1],  # household look-alike with a shared email: lifted
            [1, 2, 1],  # same name, different tax id, shared email: stays vetoed
            [2, 2, 1],  # both vetoes; the email lifts only one
            [2, 0, 2],  # household look-alike, different email: vetoed
            [1, 1, 2],  # no veto
        ],
        dtype=np.int8,
    )
    assert vetoed(levels, rules).tolist() == [False, True, True, True, False]


def test_an_override_naming_an_unknown_comparison_is_a_clear_error():
    with pytest.raises(Exception, match="override_veto: unknown comparison 'nmae'"):
        parse_rules(
            {
                "domain": "customer",
                "blocking": {"keys": [["email"]]},
                "comparisons": [
                    {"name": "name", "levels": ["null", "exact", {"kind": "else", "veto": True}]},
                    {"name": "email", "levels": ["null", {"kind": "exact", "override_veto": ["nmae"]}, "else"]},
                ],
                "thresholds": {"auto_merge": 0.9, "review": 0.5},
            }
        )


def test_vetoed_tables_equal_the_level_lists_on_the_bundled_rules():
    """``vetoed`` gathers from per-level tables: the same flags as testing each pair's
    levels against ``veto_levels`` and ``overrides_of`` directly, for every bundled rule file."""
    from pathlib import Path

    from mdm.match import load_rules, vetoed

    rng = np.random.default_rng(5)
    for path in sorted((Path(__file__).resolve().parents[2] / "rules").glob("*.yaml")):
        try:
            rules = load_rules(path)
        except Exception:  # survivorship and other rule kinds share the folder
            continue
        n = [len(c.levels) for c in rules.comparisons]
        levels = np.stack([rng.integers(0, k, 500) for k in n], axis=1).astype(np.int8)
        want = np.zeros(len(levels), dtype=bool)
        for k, c in enumerate(rules.comparisons):
            if c.veto_levels:
                hit = np.isin(levels[:, k], c.veto_levels)
                for j, other in enumerate(rules.comparisons):
                    if other.overrides_of(c.name):
                        hit &= ~np.isin(levels[:, j], other.overrides_of(c.name))
                want |= hit
        assert vetoed(levels, rules).tolist() == want.tolist()
        assert want.any() == any(c.veto_levels for c in rules.comparisons)


def test_column_codes_hold_fresh_copies_of_the_distinct_strings():
    """Large frames' distinct strings are copied (for memory order), unchanged in value."""
    from mdm.match.compare import ColumnCodes

    words = [f"street {i % 300} \ud800x" if i % 7 == 0 else f"name {i % 300}" for i in range(1000)]
    frame = pd.DataFrame({"street": words + [None]})
    codes, text = ColumnCodes(frame)["street"]
    assert [text[c] for c in codes[:-1]] == words and codes[-1] == -1
    originals = {id(w) for w in words}
    assert not any(id(t) in originals for t in text)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text("abc xyz", max_size=8), min_size=1, max_size=30, unique=True),
    st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), min_size=1, max_size=200),
)
def test_pairs_scored_in_bucket_order_get_their_own_scores_back(texts, pairs):
    from mdm.match import levels

    values = np.array(texts, dtype=object)
    left = np.array([a % len(values) for a, _ in pairs], dtype=np.int64)
    right = np.array([b % len(values) for _, b in pairs], dtype=np.int64)
    expected = [JaroWinkler.normalized_similarity(values[a], values[b]) for a, b in zip(left, right)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(levels, "ORDERED_PAIRS", 1)  # order every batch
        got = levels.pairwise(JaroWinkler.normalized_similarity, values, left, right, dtype=np.float64)
    np.testing.assert_allclose(got, expected)


@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=1, max_size=300))
def test_bucket_order_is_a_permutation_grouped_by_left_then_right_bucket(pairs):
    from mdm.match.levels import BUCKET_BITS, bucket_order

    left = np.array([a for a, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b in pairs], dtype=np.int64)
    order = bucket_order(left, right)
    assert sorted(order.tolist()) == list(range(len(pairs)))
    shift = max(int(max(left.max(), right.max())).bit_length() - BUCKET_BITS, 0)
    buckets = list(zip((left[order] >> shift).tolist(), (right[order] >> shift).tolist()))
    assert buckets == sorted(buckets)


_DATE_TEXTS = st.one_of(
    st.none(),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%Y%m%d")),
    st.text("0123456789-T: ", max_size=12),
    st.integers(0, 99999999),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_DATE_TEXTS, min_size=1, max_size=30), st.data())
def test_date_transposed_on_a_few_values_equals_the_pandas_path(values, data):
    """The plain-Python path small batches take gives what ``str.extract`` gives."""
    from mdm.match import levels

    pairs = data.draw(st.lists(st.tuples(st.integers(0, len(values) - 1), st.integers(0, len(values) - 1)), min_size=1))
    left, right = (np.array(side, dtype=np.int64) for side in zip(*pairs))
    array = np.array(values, dtype=object)
    small = levels.date_transposed(array, left, right)
    saved = levels.SMALL_VALUES
    levels.SMALL_VALUES = -1
    try:
        vectorized = levels.date_transposed(array, left, right)
    finally:
        levels.SMALL_VALUES = saved
    assert small.tolist() == vectorized.tolist()
    assert small[0] == (values[left[0]] is not None and _swapped(str(values[left[0]]), str(values[right[0]])))


def _swapped(a: str, b: str) -> bool:
    import re

    ma, mb = (re.match(r"^(\d{4})-?(\d{2})-?(\d{2})", v) for v in (a, b))
    return bool(ma and mb) and ma[1] == mb[1] and ma[2] == mb[3] and ma[3] == mb[2]
