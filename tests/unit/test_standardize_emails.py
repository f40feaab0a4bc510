import pytest

from mdm.standardize import InvalidValue, normalize_email


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
