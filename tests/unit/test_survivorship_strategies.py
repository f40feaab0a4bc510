"""Each survivorship strategy: what it picks, when it falls back, how its ties are broken."""

from datetime import UTC, datetime

import pytest

from mdm.survivorship import MemberRecord, candidates_for, decide, load_survivorship

NOW = datetime(2024, 6, 1, tzinfo=UTC)
SOURCES = {"ERP": {"trust": 0.9}, "CRM": {"trust": 0.8}, "WMS": {"trust": 0.7}}


def rules(chain, attribute="email", **survivorship):
    return load_survivorship(
        {
            "domain": "customer",
            "sources": survivorship.pop("sources", SOURCES),
            "survivorship": {"default": ["most_recent"], "attributes": {attribute: {"chain": chain}}, **survivorship},
        }
    )


def on(month, day=1):
    return datetime(2024, month, day, tzinfo=UTC)


def record(record_id, system, updated_at, **fields):
    return MemberRecord(
        record_id=record_id, system=system, source_key=f"{system}-{record_id}", updated_at=updated_at, fields=fields
    )


def trace_of(decision, record_id):
    return next(t for t in decision.candidates if t.candidate.record_id == record_id)


# source_priority


def test_source_priority_takes_the_first_listed_system_that_has_a_value():
    members = [record(1, "CRM", on(3), email="crm@x.de"), record(2, "ERP", on(1), email="erp@x.de")]
    decision = decide(rules([{"source_priority": ["ERP", "CRM"]}]), "email", members, now=NOW)
    assert decision.value == "erp@x.de"
    assert decision.strategy == "source_priority"
    assert decision.rule == "customer.email[0]: source_priority [ERP, CRM]"


def test_source_priority_says_why_the_lower_priority_source_lost():
    members = [record(1, "CRM", on(3), email="crm@x.de"), record(2, "ERP", on(1), email="erp@x.de")]
    decision = decide(rules([{"source_priority": ["ERP", "CRM"]}]), "email", members, now=NOW)
    assert trace_of(decision, 1).outcome == "lost"
    assert trace_of(decision, 1).reason == "lower source priority: CRM after ERP"


def test_source_priority_ranks_unlisted_systems_last():
    members = [record(1, "WMS", on(3), email="wms@x.de"), record(2, "CRM", on(1), email="crm@x.de")]
    decision = decide(rules([{"source_priority": ["ERP", "CRM"]}]), "email", members, now=NOW)
    assert decision.value == "crm@x.de"
    assert trace_of(decision, 1).reason == "lower source priority: WMS not in [ERP, CRM]"


def test_source_priority_falls_back_when_no_listed_system_has_a_value():
    members = [record(1, "WMS", on(1), email="old@x.de"), record(2, "CRM", on(3), email="new@x.de")]
    decision = decide(rules([{"source_priority": ["ERP"]}, "most_recent"]), "email", members, now=NOW)
    assert decision.value == "new@x.de"
    assert decision.strategy == "most_recent"
    assert decision.fallbacks == ["customer.email[0]: source_priority [ERP]: could not decide: no candidate from ERP"]


def test_source_priority_leaves_two_records_of_the_same_system_to_the_next_strategy():
    members = [record(1, "ERP", on(1), email="old@x.de"), record(2, "ERP", on(3), email="new@x.de")]
    decision = decide(rules([{"source_priority": ["ERP"]}, "most_recent"]), "email", members, now=NOW)
    assert decision.value == "new@x.de"
    assert decision.strategy == "most_recent"


# most_recent


def test_most_recent_takes_the_latest_updated_value_and_says_the_other_is_older():
    members = [record(1, "ERP", on(1, 2), email="old@x.de"), record(2, "CRM", on(3), email="new@x.de")]
    decision = decide(rules(["most_recent"]), "email", members, now=NOW)
    assert decision.value == "new@x.de"
    assert trace_of(decision, 1).reason == "older: 2024-01-02 < 2024-03-01"


def test_most_recent_tie_goes_to_the_next_strategy():
    members = [
        record(1, "ERP", on(3), email="a@x.de", phone="+4930123456"),
        record(2, "CRM", on(3), email="b@x.de"),
    ]
    decision = decide(rules(["most_recent", "most_complete"]), "email", members, now=NOW)
    assert decision.value == "a@x.de"
    assert decision.strategy == "most_complete"
    assert decision.fallbacks == ["customer.email[0]: most_recent: tie between ERP:ERP-1, CRM:CRM-2"]


# the final tie-breaker


def test_a_tie_the_chain_cannot_break_goes_to_the_most_recent_candidate():
    members = [record(1, "ERP", on(1), email="a@x.de"), record(2, "CRM", on(2), email="b@x.de")]
    decision = decide(rules(["longest"]), "email", members, now=NOW)
    assert decision.value == "b@x.de"
    assert decision.tie_breaker == "most recent, then lowest record id"
    assert trace_of(decision, 1).reason == "tie-breaker: older: 2024-01-01 < 2024-02-01"


def test_an_equally_recent_tie_goes_to_the_lowest_record_id():
    members = [record(7, "CRM", on(2), email="b@x.de"), record(3, "ERP", on(2), email="a@x.de")]
    decision = decide(rules(["longest"]), "email", members, now=NOW)
    assert decision.winner.record_id == 3
    assert trace_of(decision, 7).reason == "tie-breaker: higher record id: 7 > 3"


def test_a_chain_that_never_decides_is_settled_by_the_tie_breaker_alone():
    members = [record(1, "WMS", on(1), email="a@x.de")]
    decision = decide(rules([{"source_priority": ["ERP"]}]), "email", members, now=NOW)
    assert decision.value == "a@x.de"
    assert decision.strategy == "tie_breaker"
    assert decision.tie_breaker == "most recent, then lowest record id"


def test_no_tie_breaker_is_named_when_the_chain_decided():
    members = [record(1, "ERP", on(1), email="a@x.de"), record(2, "CRM", on(2), email="b@x.de")]
    assert decide(rules(["most_recent"]), "email", members, now=NOW).tie_breaker is None


def test_an_attribute_no_member_has_gets_no_value():
    decision = decide(rules(["most_recent"]), "email", [record(1, "ERP", on(1), phone="+4930123456")], now=NOW)
    assert decision.value is None
    assert decision.winner is None
    assert decision.strategy == "no_candidates"


def test_empty_strings_are_not_candidates():
    members = [record(1, "ERP", on(3), email=""), record(2, "CRM", on(1), email="b@x.de")]
    decision = decide(rules(["most_recent"]), "email", members, now=NOW)
    assert decision.value == "b@x.de"
    assert [t.candidate.record_id for t in decision.candidates] == [2]


# most_frequent


def test_most_frequent_takes_the_value_most_sources_agree_on():
    members = [
        record(1, "ERP", on(1), segment="retail"),
        record(2, "CRM", on(5), segment="wholesale"),
        record(3, "WMS", on(2), segment="retail"),
    ]
    decision = decide(rules(["most_frequent"], attribute="segment"), "segment", members, now=NOW)
    assert decision.value == "retail"
    assert trace_of(decision, 2).reason == "less frequent: 1 < 2 occurrences"


def test_most_frequent_with_all_values_distinct_falls_through_as_a_tie():
    members = [record(1, "ERP", on(1), segment="retail"), record(2, "CRM", on(5), segment="wholesale")]
    decision = decide(rules(["most_frequent", "most_recent"], attribute="segment"), "segment", members, now=NOW)
    assert decision.value == "wholesale"
    assert decision.strategy == "most_recent"


# most_complete


def test_most_complete_takes_the_value_from_the_record_with_most_fields_filled():
    members = [
        record(1, "ERP", on(5), email="a@x.de"),
        record(2, "CRM", on(1), email="b@x.de", phone="+4930123456", city="Berlin", segment=""),
    ]
    decision = decide(rules(["most_complete"]), "email", members, now=NOW)
    assert decision.value == "b@x.de"
    assert trace_of(decision, 1).reason == "less complete record: 1 < 3 fields filled"


# longest / shortest


def test_longest_takes_the_longest_value():
    members = [record(1, "ERP", on(5), name="ACME"), record(2, "CRM", on(1), name="ACME Industries GmbH")]
    decision = decide(rules(["longest"], attribute="name"), "name", members, now=NOW)
    assert decision.value == "ACME Industries GmbH"
    assert trace_of(decision, 1).reason == "shorter: 4 < 20 characters"


def test_shortest_takes_the_shortest_value():
    members = [record(1, "ERP", on(5), name="ACME Industries GmbH"), record(2, "CRM", on(1), name="ACME")]
    decision = decide(rules(["shortest"], attribute="name"), "name", members, now=NOW)
    assert decision.value == "ACME"
    assert trace_of(decision, 1).reason == "longer: 20 > 4 characters"


# max / min


def test_max_compares_decimal_strings_as_numbers():
    members = [record(1, "ERP", on(5), credit_limit="9000.00"), record(2, "CRM", on(1), credit_limit="10000")]
    decision = decide(rules(["max"], attribute="credit_limit"), "credit_limit", members, now=NOW)
    assert decision.value == "10000"
    assert trace_of(decision, 1).reason == "smaller: 9000.00 < 10000"


def test_min_compares_decimal_strings_as_numbers():
    members = [record(1, "ERP", on(5), credit_limit="9000.00"), record(2, "CRM", on(1), credit_limit="10000")]
    decision = decide(rules(["min"], attribute="credit_limit"), "credit_limit", members, now=NOW)
    assert decision.value == "9000.00"
    assert trace_of(decision, 2).reason == "larger: 10000 > 9000.00"


def test_max_compares_iso_dates_as_dates():
    members = [
        record(1, "ERP", on(5), date_of_birth="1980-02-01"),
        record(2, "CRM", on(1), date_of_birth="1979-12-31"),
    ]
    decision = decide(rules(["max"], attribute="date_of_birth"), "date_of_birth", members, now=NOW)
    assert decision.value == "1980-02-01"


def test_max_treats_equal_numbers_written_differently_as_a_tie():
    members = [record(1, "ERP", on(1), credit_limit="100.0"), record(2, "CRM", on(5), credit_limit="100")]
    decision = decide(rules(["max"], attribute="credit_limit"), "credit_limit", members, now=NOW)
    assert decision.tie_breaker is not None
    assert decision.value == "100"


# trust


def test_trust_prefers_the_more_trusted_source_for_values_of_the_same_age():
    members = [record(1, "CRM", on(1), email="crm@x.de"), record(2, "ERP", on(1), email="erp@x.de")]
    decision = decide(rules(["trust"]), "email", members, now=NOW)
    assert decision.value == "erp@x.de"
    assert trace_of(decision, 1).reason == "lower trust: 0.800 < 0.900"


def test_trust_lets_a_fresh_value_from_a_less_trusted_source_beat_a_stale_one():
    decay = {"kind": "exponential", "half_life_days": 30, "floor": 0.1}
    members = [
        record(1, "ERP", datetime(2023, 6, 1, tzinfo=UTC), email="stale@x.de"),
        record(2, "CRM", datetime(2024, 5, 31, tzinfo=UTC), email="fresh@x.de"),
    ]
    decision = decide(rules(["trust"], trust_decay=decay), "email", members, now=NOW)
    assert decision.value == "fresh@x.de"


def test_trust_parameter_replaces_the_sources_decay_for_one_attribute():
    linear = {"kind": "linear", "lifetime_days": 100}
    members = [
        record(1, "ERP", datetime(2024, 3, 1, tzinfo=UTC), email="erp@x.de"),
        record(2, "CRM", datetime(2024, 5, 31, tzinfo=UTC), email="crm@x.de"),
    ]
    assert decide(rules(["trust"]), "email", members, now=NOW).value == "erp@x.de"
    assert decide(rules([{"trust": linear}]), "email", members, now=NOW).value == "crm@x.de"


def test_trust_uses_a_candidates_own_trust_over_its_sources():
    members = [record(1, "CRM", on(1), email="crm@x.de"), record(2, "ERP", on(1), email="erp@x.de")]
    candidates = [
        c.model_copy(update={"trust": 0.95}) if c.system == "CRM" else c for c in candidates_for("email", members)
    ]
    decision = decide(rules(["trust"]), "email", members, now=NOW, candidates=candidates)
    assert decision.value == "crm@x.de"


def test_trust_for_an_undeclared_source_is_the_unknown_source_trust():
    members = [record(1, "EDI", on(1), email="edi@x.de"), record(2, "WMS", on(1), email="wms@x.de")]
    decision = decide(rules(["trust"], unknown_source_trust=0.75), "email", members, now=NOW)
    assert decision.value == "edi@x.de"


# aggregate


def test_aggregate_returns_every_distinct_value_oldest_first():
    members = [
        record(1, "CRM", on(3), phone="+4930111"),
        record(2, "ERP", on(1), phone="+4930222"),
        record(3, "WMS", on(2), phone="+4930111"),
    ]
    decision = decide(rules(["aggregate"], attribute="phone"), "phone", members, now=NOW)
    assert decision.value == ["+4930222", "+4930111"]
    assert decision.winner is None
    assert trace_of(decision, 1).reason == "duplicate of a value already included"
    assert all(t.outcome == "won" for t in decision.candidates)


def test_aggregate_flattens_list_values():
    members = [record(1, "CRM", on(1), phone=["+4930111", "+4930222"]), record(2, "ERP", on(2), phone="+4930333")]
    decision = decide(rules(["aggregate"], attribute="phone"), "phone", members, now=NOW)
    assert decision.value == ["+4930111", "+4930222", "+4930333"]


def test_aggregate_after_source_priority_unions_only_the_preferred_source():
    members = [
        record(1, "CRM", on(1), phone="+4930111"),
        record(2, "CRM", on(2), phone="+4930222"),
        record(3, "ERP", on(3), phone="+4930333"),
    ]
    chain = [{"source_priority": ["CRM"]}, "aggregate"]
    decision = decide(rules(chain, attribute="phone"), "phone", members, now=NOW)
    assert decision.value == ["+4930111", "+4930222"]
    assert trace_of(decision, 3).outcome == "lost"


# same_source_as


def test_same_source_as_takes_the_value_from_the_record_that_won_the_target():
    r = rules([{"same_source_as": "address_line1"}], attribute="city")
    members = [
        record(1, "ERP", on(5), address_line1="Main St 1", city="Berlin"),
        record(2, "WMS", on(1), address_line1="Dock 5", city="Hamburg"),
    ]
    line1 = decide(r, "address_line1", members, now=NOW)
    city = decide(r, "city", members, now=NOW, decided={"address_line1": line1})
    assert line1.winner.record_id == 1
    assert city.value == "Berlin"
    assert trace_of(city, 2).reason == "not from the record that won address_line1 (ERP:ERP-1)"


def test_same_source_as_falls_back_when_the_winning_record_has_no_value():
    r = rules([{"same_source_as": "address_line1"}, "most_recent"], attribute="city")
    members = [
        record(1, "ERP", on(5), address_line1="Main St 1"),
        record(2, "WMS", on(1), address_line1="Dock 5", city="Hamburg"),
    ]
    line1 = decide(r, "address_line1", members, now=NOW)
    city = decide(r, "city", members, now=NOW, decided={"address_line1": line1})
    assert city.value == "Hamburg"
    assert city.fallbacks == [
        "customer.city[0]: same_source_as address_line1: could not decide: "
        "the record that won address_line1 (ERP:ERP-1) has no valid city"
    ]


@pytest.mark.parametrize("strategy", ["max", "min"])
def test_max_and_min_decide_with_a_nan_among_the_values(strategy):
    # Not numbers, so the values order as text; deciding must not raise.
    members = [record(1, "ERP", on(5), credit_limit=float("nan")), record(2, "CRM", on(1), credit_limit="10000")]
    decision = decide(rules([strategy], attribute="credit_limit"), "credit_limit", members, now=NOW)
    assert decision.winner is not None and [t.outcome for t in decision.candidates].count("won") == 1
