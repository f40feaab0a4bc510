"""Properties that hold for any input, checked with hypothesis."""

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.standardize import (
    InvalidValue,
    clean_person_name,
    clean_text,
    gtin_check_digit,
    normalize_gtin,
    normalize_street,
    org_match_key,
    parse_decimal,
    to_e164,
)

# Per-test settings, so other test modules keep their own hypothesis profile.
property_test = settings(max_examples=200, deadline=None)

messy_text = st.text(
    # Latin letters, digits, punctuation and whitespace: the scripts our sources use.
    alphabet=st.characters(max_codepoint=0x24F, categories=("L", "N", "P", "S", "Zs", "Cc")),
    max_size=40,
)


@property_test
@given(st.sampled_from([7, 11, 12, 13]).flatmap(lambda n: st.text(alphabet=string.digits, min_size=n, max_size=n)))
def test_a_valid_gtin_round_trips_to_gtin14(body):
    code = body + str(gtin_check_digit(body))
    if set(code) == {"0"}:
        return
    gtin = normalize_gtin(code)
    assert len(gtin) == 14
    assert gtin.lstrip("0") == code.lstrip("0")
    assert normalize_gtin(gtin) == gtin


@property_test
@given(st.text(alphabet=string.digits, min_size=11, max_size=11), st.integers(0, 9))
def test_a_wrong_check_digit_is_always_rejected(body, wrong):
    right = gtin_check_digit(body)
    if wrong == right or set(body) == {"0"}:
        return
    try:
        normalize_gtin(body + str(wrong))
    except InvalidValue as error:
        assert f"expected {right}" in error.reason
    else:
        raise AssertionError("accepted a wrong check digit")


@property_test
@given(messy_text)
def test_org_match_key_is_idempotent(raw):
    key = org_match_key(raw)
    if key is not None:
        assert org_match_key(key) == key


@property_test
@given(messy_text)
def test_clean_text_never_has_outer_or_double_whitespace(raw):
    text = clean_text(raw)
    if text is not None:
        assert text == text.strip()
        assert "  " not in text


@property_test
@given(messy_text)
def test_clean_person_name_is_idempotent(raw):
    name = clean_person_name(raw)
    if name is not None:
        assert clean_person_name(name) == name


@property_test
@given(messy_text)
def test_normalize_street_is_idempotent_and_upper_case(raw):
    street = normalize_street(raw)
    if street is not None:
        assert street == street.upper()
        assert normalize_street(street) == street


@property_test
@given(st.from_regex(r"\+?[0-9 ().\-]{7,20}", fullmatch=True))
def test_to_e164_output_starts_with_plus_and_digits(raw):
    try:
        phone = to_e164(raw)
    except InvalidValue:
        return
    if phone is not None:
        assert phone[0] == "+" and phone[1:].isdigit()


@property_test
@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9))
def test_parse_decimal_reads_us_and_european_formatting_alike(value):
    us = f"{value:,.2f}"
    european = us.replace(",", "_").replace(".", ",").replace("_", ".")
    assert parse_decimal(us) == value
    assert parse_decimal(european) == value


@property_test
@given(messy_text)
def test_functions_either_standardize_or_raise_invalid_value(raw):
    for fn in (normalize_gtin, parse_decimal, to_e164):
        try:
            fn(raw)
        except InvalidValue:
            pass
