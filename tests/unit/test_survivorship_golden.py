"""build_golden: a whole golden record from its members, with overrides, lineage and explanations."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mdm.survivorship import EXPLAIN_COLUMNS, MemberRecord, Override, build_golden, explain_rows, load_survivorship

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
NOW = datetime(2024, 6, 1, tzinfo=UTC)
CUSTOMER = load_survivorship(RULES_DIR / "customer.yaml")
ITEM = load_survivorship(RULES_DIR / "item.yaml")

ERP = MemberRecord(
    record_id=11,
    system="ERP",
    source_key="100234",
    version=3,
    updated_at=datetime(2024, 1, 15, tzinfo=UTC),
    fields={
        "name": "Acme Industrial Supply GmbH",
        "organization": "Acme Industrial Supply GmbH",
        "tax_id": "DE811234567",
        "credit_limit": "50000.00",
        "payment_terms": "NET30",
        "email": "ap@acme-supply.de",
        "address_line1": "Industriestr. 12",
        "city": "Köln",
        "postal_code": "50667",
        "country": "DE",
        "status": "active",
    },
)
CRM = MemberRecord(
    record_id=12,
    system="CRM",
    source_key="0015g00000XyZab",
    updated_at=datetime(2024, 5, 2, tzinfo=UTC),
    fields={
        "name": "ACME Industrial Supply",
        "organization": "ACME Industrial Supply",
        "given_name": "Anna",
        "family_name": "Schmidt",
        "email": "anna.schmidt@acme-supply.de",
        "phone": "+4922112345",
        "credit_limit": "75000",
        "segment": "key account",
        "account_owner": "j.weber",
        "address_line1": "Industriestrasse 12",
        "city": "Koeln",
        "postal_code": "50667",
        "country": "DE",
    },
)
WMS = MemberRecord(
    record_id=13,
    system="WMS",
    source_key="SHIP-77",
    updated_at=datetime(2024, 3, 9, tzinfo=UTC),
    fields={
        "name": "Acme Ind. Supply",
        "address_line1": "Hafenweg 4",
        "address_line2": "Tor 3",
        "city": "Neuss",
        "postal_code": "41460",
        "country": "DE",
    },
)
MEMBERS = [ERP, CRM, WMS]


def pin(attribute, value, **extra):
    return Override(
        attribute=attribute, value=value, reason="confirmed by phone", actor="steward.kim",
        pinned_at=datetime(2024, 5, 20, tzinfo=UTC), **extra,
    )


@pytest.mark.parametrize(
    ("attribute", "system"),
    [
        ("organization", "ERP"),
        ("tax_id", "ERP"),
        ("credit_limit", "ERP"),
        ("payment_terms", "ERP"),
        ("email", "CRM"),
        ("phone", "CRM"),
        ("given_name", "CRM"),
        ("family_name", "CRM"),
        ("segment", "CRM"),
        ("account_owner", "CRM"),
        ("address_line1", "WMS"),
        ("address_line2", "WMS"),
    ],
)
def test_the_bundled_customer_rules_give_each_attribute_to_its_owning_system(attribute, system):
    golden = build_golden(CUSTOMER, MEMBERS, now=NOW)
    assert golden.decisions[attribute].winner.system == system


def test_the_whole_ship_to_address_comes_from_the_record_that_won_address_line1():
    golden = build_golden(CUSTOMER, MEMBERS, now=NOW)
    assert {a: golden.attributes[a] for a in ("address_line1", "city", "postal_code")} == {
        "address_line1": "Hafenweg 4",
        "city": "Neuss",
        "postal_code": "41460",
    }
    assert golden.decisions["city"].strategy == "same_source_as"


def test_attributes_without_an_owner_take_the_most_recent_value():
    golden = build_golden(CUSTOMER, MEMBERS, now=NOW)
    assert golden.attributes["name"] == "ACME Industrial Supply"
    assert golden.decisions["name"].rule == "customer.name[0]: most_recent (default chain)"


def test_every_domain_attribute_is_in_the_golden_record_even_without_a_value():
    golden = build_golden(CUSTOMER, MEMBERS, now=NOW)
    assert golden.attributes["date_of_birth"] is None
    assert set(golden.attributes) == set(golden.decisions)


def test_the_bundled_item_rules_take_pack_quantity_weight_and_its_unit_from_wms_and_base_uom_from_erp():
    erp = {"name": "Hex bolt M8", "base_uom": "EA", "uom": "BX", "pack_qty": 100, "weight_kg": "5.2"}
    wms = {"name": "HEX BOLT M8", "base_uom": "PC", "uom": "CS", "pack_qty": 50, "weight_kg": "2.6"}
    members = [
        MemberRecord(record_id=1, system="ERP", source_key="MAT-1", updated_at=NOW, fields=erp),
        MemberRecord(record_id=2, system="WMS", source_key="SKU-9", updated_at=datetime(2023, 1, 1, tzinfo=UTC), fields=wms),
    ]
    golden = build_golden(ITEM, members, now=NOW).attributes
    assert (golden["pack_qty"], golden["uom"], golden["weight_kg"], golden["base_uom"]) == (50, "CS", "2.6", "EA")


def test_a_pinned_steward_override_wins_over_every_source():
    golden = build_golden(CUSTOMER, MEMBERS, now=NOW, overrides={"credit_limit": pin("credit_limit", "60000.00")})
    decision = golden.decisions["credit_limit"]
    assert golden.attributes["credit_limit"] == "60000.00"
    assert decision.strategy == "steward_override"
    assert decision.override.actor == "steward.kim"
    assert {t.reason for t in decision.candidates} == {"steward override by steward.kim: confirmed by phone"}


def test_a_steward_override_wins_even_when_no_source_has_a_value():
    golden = build_golden(CUSTOMER, MEMBERS, now=NOW, overrides={"date_of_birth": pin("date_of_birth", "1970-04-02")})
    assert golden.attributes["date_of_birth"] == "1970-04-02"


def test_an_unpinned_steward_override_no_longer_wins():
    override = pin("credit_limit", "60000.00", unpinned_at=datetime(2024, 5, 25, tzinfo=UTC))
    golden = build_golden(CUSTOMER, MEMBERS, now=NOW, overrides={"credit_limit": override})
    assert golden.attributes["credit_limit"] == "50000.00"
    assert golden.decisions["credit_limit"].strategy == "source_priority"


def test_an_override_pinned_in_the_future_does_not_win_yet():
    golden = build_golden(CUSTOMER, MEMBERS, now=datetime(2024, 5, 1, tzinfo=UTC),
                          overrides={"credit_limit": pin("credit_limit", "60000.00")})
    assert golden.attributes["credit_limit"] == "50000.00"


def test_attributes_following_an_overridden_attribute_fall_back():
    golden = build_golden(CUSTOMER, MEMBERS, now=NOW, overrides={"address_line1": pin("address_line1", "Hafenweg 4a")})
    city = golden.decisions["city"]
    assert city.fallbacks[0].endswith("could not decide: address_line1 has no winning source record")
    assert city.strategy == "most_recent"


def test_an_override_for_an_unknown_attribute_is_refused():
    with pytest.raises(ValueError, match="overrides for unknown customer attributes: shoe_size"):
        build_golden(CUSTOMER, MEMBERS, now=NOW, overrides={"shoe_size": pin("shoe_size", "44")})


def test_duplicate_member_record_ids_are_refused():
    with pytest.raises(ValueError, match="member record ids must be unique"):
        build_golden(CUSTOMER, [ERP, ERP], now=NOW)


def test_lineage_is_json_ready_and_names_source_rule_and_beaten_candidates():
    lineage = build_golden(CUSTOMER, MEMBERS, now=NOW).lineage_json()
    credit = json.loads(json.dumps(lineage))["credit_limit"]
    assert credit["value"] == "50000.00"
    assert credit["winner"]["system"] == "ERP"
    assert credit["winner"]["source_key"] == "100234"
    assert credit["winner"]["version"] == 3
    assert credit["rule"] == "customer.credit_limit[0]: source_priority [ERP, CRM]"
    crm = credit["candidates"][1]
    assert (crm["candidate"]["system"], crm["outcome"]) == ("CRM", "lost")
    assert crm["reason"] == "lower source priority: CRM after ERP"


def test_explain_rows_give_value_source_rule_and_why_others_lost():
    golden = build_golden(CUSTOMER, MEMBERS, now=NOW)
    row = next(r for r in explain_rows(golden.decisions) if r["attribute"] == "credit_limit")
    assert tuple(row) == EXPLAIN_COLUMNS
    assert row == {
        "attribute": "credit_limit",
        "value": "50000.00",
        "system": "ERP",
        "source_key": "100234",
        "rule": "customer.credit_limit[0]: source_priority [ERP, CRM]",
        "tie_breaker": "",
        "candidates": "lost CRM:0015g00000XyZab '75000': lower source priority: CRM after ERP",
    }


def test_explain_rows_show_a_steward_override_as_its_source():
    golden = build_golden(CUSTOMER, MEMBERS, now=NOW, overrides={"segment": pin("segment", "strategic")})
    row = next(r for r in explain_rows(golden.decisions) if r["attribute"] == "segment")
    assert (row["value"], row["system"], row["source_key"]) == ("strategic", "steward", "steward.kim")
