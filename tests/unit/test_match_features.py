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
