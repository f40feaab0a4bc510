"""Survivorship rules load from YAML, validated; a bad rule names file, path and reason."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mdm.survivorship import (
    MemberRecord,
    Narrowed,
    SurvivorshipRulesError,
    decide,
    keep_best,
    load_survivorship,
    strategies,
)

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"


def section(attributes=None, default=("most_recent",), sources=None, **extra):
    return {
        "domain": "customer",
        "sources": sources if sources is not None else {"ERP": {"trust": 0.9}, "CRM": {"trust": 0.8}},
        "survivorship": {"default": list(default), "attributes": attributes or {}, **extra},
    }


def rule_error(data) -> SurvivorshipRulesError:
    with pytest.raises(SurvivorshipRulesError) as caught:
        load_survivorship(data)
    return caught.value


@pytest.mark.parametrize("domain", ["customer", "item", "price"])
def test_the_bundled_rule_files_load(domain):
    rules = load_survivorship(RULES_DIR / f"{domain}.yaml")
    assert rules.domain == domain


def test_an_attribute_given_as_a_list_is_its_chain():
    rules = load_survivorship(section({"email": [{"source_priority": ["CRM"]}, "most_recent"]}))
    chain, is_default = rules.chain_for("email")
    assert [step.name for step in chain] == ["source_priority", "most_recent"]
    assert not is_default


def test_an_attribute_not_listed_uses_the_domain_default_chain():
    rules = load_survivorship(section(default=["most_recent", "most_complete"]))
    chain, is_default = rules.chain_for("city")
    assert [step.name for step in chain] == ["most_recent", "most_complete"]
    assert is_default


def test_an_attribute_with_only_validation_uses_the_default_chain():
    rules = load_survivorship(section({"email": {"validate": ["email"]}}))
    assert rules.chain_for("email")[1]
    assert [check.name for check in rules.checks_for("email")] == ["email"]


def test_other_top_level_sections_are_ignored():
    data = section() | {"blocking": {"keys": [["zip5"]]}, "thresholds": {"auto_merge": 0.9, "review": 0.5}}
    assert load_survivorship(data).domain == "customer"


def test_an_unknown_strategy_names_its_path():
    error = rule_error(section({"email": ["most_recnt"]}))
    assert error.path == "survivorship.attributes.email.chain[0]"
    assert "unknown survivorship strategy 'most_recnt'" in error.reason


def test_a_strategy_missing_its_parameter_is_an_error():
    error = rule_error(section({"email": ["source_priority"]}))
    assert error.reason == "'source_priority' needs a parameter"


def test_a_strategy_given_a_parameter_it_does_not_take_is_an_error():
    error = rule_error(section({"email": [{"most_recent": 3}]}))
    assert error.reason == "'most_recent' takes no parameter"


def test_an_unknown_validation_rule_names_its_path():
    error = rule_error(section({"email": {"validate": ["emial"]}}))
    assert error.path == "survivorship.attributes.email.validate[0]"


def test_an_invalid_regex_is_an_error_at_load():
    error = rule_error(section({"tax_id": {"validate": [{"regex": "(unclosed"}]}}))
    assert error.path == "survivorship.attributes.tax_id.validate[0]"


def test_an_unknown_attribute_is_an_error():
    error = rule_error(section({"emial": ["most_recent"]}))
    assert error.path == "survivorship.attributes.emial"
    assert error.reason == "unknown customer attribute 'emial'"


def test_a_source_priority_naming_an_undeclared_source_is_an_error():
    error = rule_error(section({"email": [{"source_priority": ["CMR"]}]}))
    assert error.path == "survivorship.attributes.email.chain[0]"
    assert error.reason == "source 'CMR' is not declared under sources (declared: ERP, CRM)"


def test_a_missing_default_chain_is_an_error():
    data = section()
    del data["survivorship"]["default"]
    error = rule_error(data)
    assert (error.path, error.reason) == ("survivorship.default", "required field is missing")


def test_steward_override_anywhere_but_first_is_an_error():
    error = rule_error(section({"email": ["most_recent", "steward_override"]}))
    assert error.path == "survivorship.attributes.email.chain[1]"


def test_trust_out_of_range_is_an_error():
    error = rule_error(section(sources={"ERP": {"trust": 1.5}}))
    assert error.path == "sources.ERP.trust"


def test_exponential_decay_needs_a_half_life():
    error = rule_error(section(trust_decay={"kind": "exponential"}))
    assert error.path == "survivorship.trust_decay"
    assert "half_life_days" in error.reason


def test_same_source_as_itself_is_rejected():
    error = rule_error(section({"city": [{"same_source_as": "city"}]}))
    assert error.reason == "circular same_source_as: city -> city"


def test_a_two_attribute_same_source_as_cycle_is_rejected_naming_the_cycle():
    error = rule_error(
        section({"city": [{"same_source_as": "postal_code"}], "postal_code": [{"same_source_as": "city"}]})
    )
    assert error.reason == "circular same_source_as: city -> postal_code -> city"
    assert error.path == "survivorship.attributes.city.chain"


def test_a_longer_same_source_as_cycle_is_rejected():
    error = rule_error(
        section(
            {
                "city": [{"same_source_as": "region"}],
                "region": [{"same_source_as": "country"}],
                "country": ["most_recent", {"same_source_as": "city"}],
            }
        )
    )
    assert error.reason == "circular same_source_as: city -> region -> country -> city"


def test_a_default_chain_following_an_attribute_that_uses_the_default_is_a_cycle():
    error = rule_error(section(default=[{"same_source_as": "address_line1"}]))
    assert error.reason == "circular same_source_as: address_line1 -> address_line1"


def test_same_source_as_an_unknown_attribute_is_an_error():
    error = rule_error(section({"city": [{"same_source_as": "adress_line1"}]}))
    assert error.reason == "same_source_as: unknown customer attribute 'adress_line1'"


def test_attributes_are_resolved_after_the_attribute_they_follow():
    rules = load_survivorship(section({"city": [{"same_source_as": "postal_code"}]}))
    order = rules.resolution_order(["city", "postal_code", "email"])
    assert order.index("postal_code") < order.index("city")


def test_a_file_error_names_the_file(tmp_path):
    path = tmp_path / "customer.yaml"
    path.write_text("domain: customer\nsurvivorship:\n  default: [most_recnt]\n")
    error = rule_error(path)
    assert str(error).startswith(f"{path}: survivorship.default[0]: unknown survivorship strategy 'most_recnt'; known: ")
    assert "most_recent" in error.reason


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "customer.yaml"
    path.write_text("domain: customer\nsurvivorship: [\n")
    error = rule_error(path)
    assert error.path.startswith("line ")
    assert error.reason.startswith("invalid YAML")


def test_a_missing_file_is_a_clear_error(tmp_path):
    error = rule_error(tmp_path / "nope.yaml")
    assert error.reason.startswith("cannot read")


def test_a_new_strategy_is_one_function_and_one_registration_found_by_name(monkeypatch):
    monkeypatch.setattr(strategies, "_entries", dict(strategies._entries))

    @strategies.register("lowest_source_key")
    def lowest_source_key(candidates, ctx, _) -> Narrowed:
        return keep_best(candidates, lambda c: c.source_key, lambda c, best: f"{c.source_key} > {best.source_key}", min)

    rules = load_survivorship(section({"email": ["lowest_source_key"]}))
    now = datetime(2024, 6, 1, tzinfo=UTC)
    members = [
        MemberRecord(record_id=1, system="ERP", source_key="B", updated_at=now, fields={"email": "b@x.de"}),
        MemberRecord(record_id=2, system="CRM", source_key="A", updated_at=now, fields={"email": "a@x.de"}),
    ]
    assert decide(rules, "email", members, now=now).value == "a@x.de"
