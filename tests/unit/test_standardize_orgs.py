import pytest

from mdm.standardize import clean_org_name, legal_form, org_match_key


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Acme   Supply ,Inc. ", "Acme Supply, Inc."),
        ("ACME SUPPLY CO., INC.", "Acme Supply Co., Inc."),
        ("IBM CORPORATION", "IBM Corporation"),
        ("ABC DISTRIBUTION LLC", "ABC Distribution LLC"),
        ("HSBC BANK PLC", "HSBC Bank PLC"),
        ("THE BIG DOG COMPANY", "The Big Dog Company"),
        ("BANK OF AMERICA", "Bank of America"),
        ("MÜLLER GMBH", "Müller GmbH"),
        ("MCDONALD'S CORP", "McDonald's Corp"),
        ("AT&T INC", "AT&T Inc"),
        ("3M COMPANY", "3M Company"),
        ("COCA-COLA CO", "Coca-Cola Co"),
    ],
)
def test_clean_org_name_title_cases_all_caps_and_keeps_acronyms(raw, expected):
    assert clean_org_name(raw) == expected


@pytest.mark.parametrize("raw", ["eBay Inc.", "acme supply", "Acme SUPPLY Co", "McKesson Corporation"])
def test_clean_org_name_keeps_casing_that_is_not_all_caps(raw):
    assert clean_org_name(raw) == raw


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Acme Inc", "acme"),
        ("Acme, Inc.", "acme"),
        ("ACME INCORPORATED", "acme"),
        ("Acme Corp.", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme Co", "acme"),
        ("Acme Company", "acme"),
        ("Acme LLC", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Acme Ltd.", "acme"),
        ("Acme Limited", "acme"),
        ("Acme LP", "acme"),
        ("Acme LLP", "acme"),
        ("Acme PLC", "acme"),
        ("Acme GmbH", "acme"),
        ("Acme AG", "acme"),
        ("Acme S.A.", "acme"),
        ("Acme SA", "acme"),
        ("Acme S.A.S.", "acme"),
        ("Acme SARL", "acme"),
        ("Acme B.V.", "acme"),
        ("Acme BV", "acme"),
        ("Acme N.V.", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("Acme Oy", "acme"),
        ("Acme AB", "acme"),
        ("Acme S.p.A.", "acme"),
        ("Acme S.r.l.", "acme"),
        ("Acme KG", "acme"),
        ("Acme GmbH & Co. KG", "acme"),
        ("Acme Co., Ltd.", "acme"),
        ("Acme A/S", "acme"),
        ("Smith & Co", "smith"),
    ],
)
def test_org_match_key_removes_legal_forms(raw, expected):
    assert org_match_key(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("The Acme Supply Company", "acme supply"),
        ("Müller Lebensmittel GmbH", "muller lebensmittel"),
        ("Smith & Jones", "smith and jones"),
        ("Smith and Jones, Inc.", "smith and jones"),
        ("McDonald's", "mcdonalds"),
        ("  A.B.C.   Supply ", "abc supply"),
        ("Coca-Cola", "coca cola"),
    ],
)
def test_org_match_key_is_lower_case_folded_and_punctuation_free(raw, expected):
    assert org_match_key(raw) == expected


def test_org_match_key_keeps_legal_words_inside_the_name():
    assert org_match_key("Inc Design Co Ltd") == "inc design"


@pytest.mark.parametrize("raw, expected", [("The Company", "company"), ("Limited", "limited"), ("The", "the")])
def test_org_match_key_never_strips_a_name_to_nothing(raw, expected):
    assert org_match_key(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Acme Inc.", "INC"),
        ("Acme Incorporated", "INC"),
        ("Acme L.L.C.", "LLC"),
        ("Acme Limited", "LTD"),
        ("Acme Co., Ltd.", "LTD"),
        ("Müller GmbH", "GMBH"),
        ("Acme Corporation", "CORP"),
        ("Acme S.A.", "SA"),
        ("Acme Pty Ltd", "PTYLTD"),
        ("Acme GmbH & Co. KG", "GMBHCOKG"),
        ("Smith & Co", "CO"),
        ("Acme Supply", None),
        (None, None),
    ],
)
def test_legal_form_gives_the_canonical_code(raw, expected):
    assert legal_form(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "N/A"])
def test_org_functions_return_none_for_nothing(raw):
    assert clean_org_name(raw) is None
    assert org_match_key(raw) is None
