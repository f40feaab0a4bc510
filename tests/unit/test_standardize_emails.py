import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.standardize import InvalidValue, emails, normalize_email


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  John.Doe@Example.COM ", "john.doe@example.com"),
        ("mailto:jane@example.com", "jane@example.com"),
        ("MAILTO:jane@example.com", "jane@example.com"),
        ("<jane@example.com>", "jane@example.com"),
        ("Jane Doe <Jane@Example.com>", "jane@example.com"),
        ("o'brien+orders@mail.example.co.uk", "o'brien+orders@mail.example.co.uk"),
        ("first_last@sub-domain.example.io", "first_last@sub-domain.example.io"),
    ],
)
def test_normalize_email_trims_and_lower_cases(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("jane.example.com", "exactly one @"),
        ("jane@@example.com", "exactly one @"),
        ("a@b@example.com", "exactly one @"),
        ("@example.com", "nothing before the @"),
        ("jane@localhost", "no dot"),
        ("jane doe@example.com", "space"),
        ("jane..doe@example.com", "consecutive dots"),
        ("jane@example..com", "consecutive dots"),
        (".jane@example.com", "not allowed"),
        ("jane(at)@example.com", "not allowed"),
        ("jane@-example.com", "invalid domain"),
        ("jane@example.c", "top-level domain"),
        ("jane@example.123", "top-level domain"),
    ],
)
def test_normalize_email_rejects_bad_syntax_with_a_reason(raw, reason):
    with pytest.raises(InvalidValue, match=reason):
        normalize_email(raw)


@pytest.mark.parametrize("raw", [None, "", "   ", "NULL", "mailto:", "<>"])
def test_normalize_email_of_nothing_is_none(raw):
    assert normalize_email(raw) is None


# The one-pattern fast path must never accept what the step-by-step checks reject.
_EMAILISH = st.text(alphabet="ax9.-_+@n\u00e9 \t", max_size=24)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(emails._LOCAL_PART, fullmatch=True), st.from_regex(emails._DOMAIN_PART, fullmatch=True))
def test_every_address_the_fast_pattern_accepts_passes_every_check(local, domain):
    email = f"{local}@{domain}"
    assert bool(emails._VALID.fullmatch(email)) == (len(local) <= 64)
    if len(local) <= 64:
        assert emails._problem(email) is None


@settings(max_examples=500, deadline=None)
@given(st.one_of(_EMAILISH, st.builds(lambda a, b, c: f"{a}@{b}.{c}", _EMAILISH, _EMAILISH, _EMAILISH)))
def test_the_fast_pattern_accepts_nothing_the_checks_reject(text):
    if emails._VALID.fullmatch(text):
        assert emails._problem(text) is None


@given(st.text())
def test_the_space_check_finds_what_str_isspace_finds(text):
    assert bool(emails._SPACE.search(text)) == any(c.isspace() for c in text)


@pytest.mark.parametrize("raw", ["a" * 65 + "@example.com", "ab@example.c0m", "ab@xn--.com", "ab@-x.com"])
def test_addresses_near_the_fast_patterns_edges_are_rejected(raw):
    with pytest.raises(InvalidValue):
        normalize_email(raw)
