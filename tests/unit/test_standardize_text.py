import pytest

from mdm.standardize import InvalidValue, clean_text, fold_accents


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Acme  ", "Acme"),
        ("Acme\t \n Supply", "Acme Supply"),
        ("Acme\u00a0Supply", "Acme Supply"),
        (42, "42"),
        (12.5, "12.5"),
    ],
)
def test_clean_text_trims_and_collapses_whitespace(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "NULL", "null", "N/A", "n/a", "#N/A", "-", "nan", "NaN", "None", float("nan")])
def test_clean_text_reads_null_spellings_as_none(raw):
    assert clean_text(raw) is None


@pytest.mark.parametrize(
    "raw, expected",
    [("Müller", "Muller"), ("Crème Brûlée", "Creme Brulee"), ("Ørsted", "Orsted"), ("Straße", "Strasse"), ("plain", "plain")],
)
def test_fold_accents_removes_diacritics(raw, expected):
    assert fold_accents(raw) == expected


def test_invalid_value_is_a_value_error_with_a_reason():
    error = InvalidValue("GTIN check digit is 3, expected 7")
    assert isinstance(error, ValueError)
    assert error.reason == str(error) == "GTIN check digit is 3, expected 7"
