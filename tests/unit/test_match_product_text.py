"""Product descriptions as canonical attributes: one behaviour per test."""

import pandas as pd

from mdm.match.features import pack_count, product_terms
from mdm.match.product_text import normalize_number, parse


def s(*values):
    return pd.Series(list(values), dtype=object)


def test_abbreviated_and_full_descriptions_give_the_same_attributes():
    erp = product_terms(s("SCR HEX 1/4-20X1 ZN 100/BX"))
    crm = product_terms(s("Hex Cap Screw 1/4-20 x 1in Zinc Plated, Box of 100"))
    assert erp.tolist() == crm.tolist() == ["1 1/4-20 HEX SCR ZN"]


def test_multi_word_phrases_fold_to_one_code():
    assert parse("Flat Washer 18-8 Stainless Steel").terms == parse("WSHR FLAT SS").terms


def test_unknown_words_compare_by_consonant_skeleton():
    assert parse("BREAKER").terms == parse("BRKR").terms == ("BRKR",)


def test_sizes_keep_their_unit_and_drop_implied_inches():
    assert parse('Duct Tape 2.83" x 35yd').sizes == parse("TAPE DUCT 2.83X35YD").sizes == ("2.83", "35YD")


def test_decimal_numbers_are_normalized():
    assert [normalize_number(v) for v in (".045", "2.0", "0010", "1-1/4")] == ["0.045", "2", "10", "1-1/4"]


def test_two_digit_kelvin_is_colour_temperature_shorthand():
    assert parse("LED A21 12W 50K").sizes == parse("LED Lamp A21 12W 5000K").sizes


def test_number_then_unit_word_is_one_size():
    assert parse("Circuit Breaker 1-Pole 20 Amp").sizes == parse("BRKR 1P 20A").sizes == ("1P", "20A")


def test_pack_count_is_taken_out_of_the_sizes():
    parsed = parse("Trash Can Liner 33 Gal, Case of 100")
    assert (parsed.sizes, parsed.pack) == (("33GAL",), 100)


def test_pack_count_spellings_agree():
    counts = pack_count(s("NUT HEX 100/BX", "Hex Nut, Box of 100", "TOWEL 12CT", "Towel Case/12", "Gloves Blue - 100", "HEX NUT"))
    assert counts.tolist() == ["100", "100", "12", "12", "100", None]


def test_colour_before_a_part_belongs_to_that_part():
    assert parse("Glasses Clear Lens Blue Frame").terms != parse("Glasses Blue Lens Clear Frame").terms


def test_sibling_with_another_finish_has_a_term_the_other_lacks():
    zinc, oxide = set(parse("HEX NUT 3/8-16 ZN").terms), set(parse("Hex Nut 3/8-16 Black Oxide").terms)
    assert zinc - oxide and oxide - zinc


def test_terms_or_sizes_alone():
    assert product_terms(s("SCR HEX 1/4-20X1 ZN"), sizes=False).tolist() == ["HEX SCR ZN"]
    assert product_terms(s("SCR HEX 1/4-20X1 ZN"), terms=False).tolist() == ["1 1/4-20"]


def test_rules_may_extend_the_vocabulary():
    assert parse("TEE CU 1/2", {"TEE": "T"}).terms == ("CU", "T")
