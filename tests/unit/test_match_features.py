"""Feature functions: derived columns computed once per distinct value."""

import pandas as pd

from mdm.match.features import letters, normalized_text, numbers, skeleton, sorted_tokens, tokens, zip5


def s(*values):
    return pd.Series(list(values), dtype=object)


def test_zip5_cuts_zip_plus_four_and_keeps_foreign_codes():
    assert zip5(s("02134-1234", "02134", "SW1A 1AA", None)).tolist() == ["02134", "02134", "SW1A1AA", None]


def test_numbers_are_the_sorted_digit_runs():
    assert numbers(s("Hex Bolt 3/8-16 x 1in, Box of 50")).tolist() == ["1 16 3 50 8"]


def test_normalized_text_can_split_numbers_from_units():
    assert normalized_text(s("THHN 10AWG 2500FT, blue"), split_numbers=True).tolist() == ["THHN 10 AWG 2500 FT BLUE"]


def test_skeleton_brings_abbreviations_closer_to_full_words():
    assert skeleton(s("BREAKER WHITE GREEN")).tolist() == ["BRKR WHT GRN"]


def test_sorted_tokens_match_swapped_names_and_can_drop_initials():
    keys = sorted_tokens(s("John", "Smith", "Kimberly D."), s("Smith", "John", "Gibson"), min_length=2)
    assert keys.tolist() == ["JOHN SMITH", "JOHN SMITH", "GIBSON KIMBERLY"]


def test_tokens_feature_is_a_list_per_record():
    assert tokens(s("Acme Widgets Co", None), min_length=3).tolist() == [["ACME", "WIDGETS"], None]


def test_letters_and_skeleton_relate_category_codes_to_names():
    assert skeleton(letters(s("PLMB03", "Plumbing"))).tolist() == ["PLMB", "PLMBNG"]


def test_a_large_frame_shares_one_object_per_distinct_text_and_keeps_its_values(monkeypatch):
    """``prepare`` makes equal texts of a column one object (pickled once per slice in a bulk
    run); the values are those of the row-by-row path, blanks are None, and a column whose
    values are not all texts keeps each value's own type (1, 1.0 and True are equal keys)."""
    import numpy as np

    import mdm.match.features as features
    from mdm.match import load_rules
    from mdm.settings import BUNDLED_RULES_DIR

    rules = load_rules(BUNDLED_RULES_DIR / "customer.yaml")
    rng = np.random.default_rng(5)
    n = 400
    cities = np.array(["Austin", "Boston", " ", "", None, "Denver"], dtype=object)
    df = pd.DataFrame({
        "family_name": [f"Name{i % 37}" for i in range(n)],
        "city": cities[rng.integers(0, len(cities), n)],
        "credit_limit": np.array([[1, 1.0, True, None][i % 4] for i in range(n)], dtype=object),
    }, index=pd.Index(range(10, 10 + n), name="record_id"))
    small = features._prepare_small(df.iloc[:200], rules)
    monkeypatch.setattr(features, "SHARED_TEXT_ROWS", 0)
    large = features.prepare(df, rules)
    for column in ("family_name", "city"):
        values = large[column].tolist()
        assert values == [None if v is None or not v.strip() else v for v in df[column].tolist()]
        assert values[:200] == small[column].tolist()
        by_text = {}
        for v in values:
            if v is not None:
                assert by_text.setdefault(v, v) is v  # one object per distinct text
    assert [type(v) for v in large["credit_limit"]] == [type(v) for v in df["credit_limit"]]
    assert large["credit_limit"].tolist() == df["credit_limit"].tolist()
