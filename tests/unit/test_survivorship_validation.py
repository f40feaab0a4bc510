"""Validation rules drop a bad candidate value before it can win."""

from datetime import UTC, datetime

import pytest

from mdm.survivorship import MemberRecord, decide, load_survivorship, validate_value

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def rules(attribute, checks, domain="customer"):
    return load_survivorship(
        {
            "domain": domain,
            "sources": {"ERP": {"trust": 0.9}, "CRM": {"trust": 0.8}},
            "survivorship": {
                "default": ["most_recent"],
                "attributes": {attribute: {"chain": [{"source_priority": ["ERP", "CRM"]}], "validate": checks}},
            },
        }
    )


def members(attribute, erp_value, crm_value):
    return [
        MemberRecord(record_id=1, system="ERP", source_key="E-1", updated_at=NOW, fields={attribute: erp_value}),
        MemberRecord(record_id=2, system="CRM", source_key="C-1", updated_at=NOW, fields={attribute: crm_value}),
    ]


def test_an_invalid_value_from_the_preferred_source_is_dropped_and_the_next_source_wins():
    decision = decide(rules("email", ["email"]), "email", members("email", "not-an-email", "anna@example.com"), now=NOW)
    assert decision.value == "anna@example.com"
    dropped = decision.candidates[0]
    assert dropped.outcome == "dropped"
    assert dropped.reason.startswith("invalid: email syntax")


def test_a_dropped_candidate_cannot_win_even_when_it_is_the_only_one():
    decision = decide(rules("email", ["email"]), "email", members("email", "x@", None), now=NOW)
    assert decision.value is None
    assert [t.outcome for t in decision.candidates] == ["dropped"]


@pytest.mark.parametrize(
    ("check", "bad", "reason"),
    [
        ("non_negative", "-100.00", "invalid: negative: -100.00"),
        ("non_negative", "lots", "invalid: not a number: lots"),
        ("not_empty", "   ", "invalid: empty"),
        ({"regex": "[A-Z]{2}"}, "Germany", "invalid: does not match [A-Z]{2}"),
        ({"one_of": ["active", "inactive"]}, "deleted", "invalid: deleted not one of active, inactive"),
        ("iso_date", "31/12/1980", "invalid: not an ISO date: 31/12/1980"),
        ("positive", "0", "invalid: not positive: 0"),
    ],
)
def test_each_validation_rule_names_why_it_dropped_a_value(check, bad, reason):
    assert validate_value(rules("segment", [check]), "segment", bad) == reason


@pytest.mark.parametrize("good", ["0", "2500.50", 7])
def test_non_negative_accepts_zero_and_positive_numbers(good):
    assert validate_value(rules("credit_limit", ["non_negative"]), "credit_limit", good) is None


def test_gtin_accepts_a_14_digit_gtin_with_a_correct_check_digit():
    assert validate_value(rules("gtin", ["gtin"], domain="item"), "gtin", "04006381333931") is None


def test_gtin_drops_a_wrong_check_digit():
    reason = validate_value(rules("gtin", ["gtin"], domain="item"), "gtin", "04006381333932")
    assert reason == "invalid: gtin check digit 2, expected 1"


def test_gtin_drops_a_code_that_is_not_14_digits():
    reason = validate_value(rules("gtin", ["gtin"], domain="item"), "gtin", "4006381333931")
    assert reason == "invalid: gtin must be 14 digits, got '4006381333931'"


def test_the_first_failing_rule_is_the_reason():
    checks = ["not_empty", {"regex": "[0-9]+"}]
    assert validate_value(rules("tax_id", checks), "tax_id", "DE-12") == "invalid: does not match [0-9]+"


@pytest.mark.parametrize(("bad", "shown"), [(float("nan"), "NaN"), (float("inf"), "Infinity"), (float("-inf"), "-Infinity")])
@pytest.mark.parametrize("check", ["non_negative", "positive"])
def test_nan_and_infinity_are_not_numbers(check, bad, shown):
    # A float column's missing values arrive as NaN; comparing them raised before.
    assert validate_value(rules("credit_limit", [check]), "credit_limit", bad) == f"invalid: not a number: {shown}"


def test_a_nan_from_the_preferred_source_is_dropped_and_the_next_source_wins():
    decision = decide(
        rules("credit_limit", ["non_negative"]), "credit_limit", members("credit_limit", float("nan"), "2500.00"), now=NOW
    )
    assert decision.value == "2500.00"
    assert [t.outcome for t in decision.candidates] == ["dropped", "won"]
