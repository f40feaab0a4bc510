"""Reading golden records over GraphQL, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from api_data import TYPO_MPN

CUSTOMER_BY_KEY = """
query($system: String!, $key: String!) {
  bySourceKey(system: $system, domain: CUSTOMER, key: $key) {
    id status domain resolvedFrom mergedInto values
    ... on Customer { attributes { organization givenName familyName email phone city postalCode country } }
    sourceRecords { id system key version deleted fields raw extra linkedBy goldenId }
  }
}
"""


def golden_id(api, system: str, key: str, domain: str = "CUSTOMER") -> str:
    data = api.data(
        "query($s: String!, $d: Domain!, $k: String!) { bySourceKey(system: $s, domain: $d, key: $k) { id } }",
        {"s": system, "d": domain, "k": key},
    )
    return data["bySourceKey"]["id"]


def test_by_source_key_returns_the_golden_record_with_its_source_records(reader):
    record = reader.data(CUSTOMER_BY_KEY, {"system": "CRM", "key": "C3"})["bySourceKey"]
    assert record["status"] == "ACTIVE" and record["domain"] == "CUSTOMER"
    assert record["attributes"]["email"] == record["values"]["email"]
    members = {(m["system"], m["key"]) for m in record["sourceRecords"]}
    assert ("CRM", "C3") in members and ("ERP", "E3") in members
    crm = next(m for m in record["sourceRecords"] if m["key"] == "C3")
    assert crm["raw"]["Id"] == "C3" and crm["fields"]["phone"].startswith("+1617555")
    assert crm["goldenId"] == record["id"] and crm["version"] == 1 and not crm["deleted"]


def test_customer_and_golden_record_by_id_agree(reader):
    gid = golden_id(reader, "CRM", "C3")
    data = reader.data(
        "query($id: ID!) { customer(id: $id) { id attributes { email } } "
        "goldenRecord(id: $id) { id ... on Customer { attributes { email } } } item(id: $id) { id } }",
        {"id": gid},
    )
    assert data["customer"] == data["goldenRecord"]
    assert data["item"] is None  # a customer id asked for as an item


def test_unknown_ids_and_keys_resolve_to_null(reader):
    data = reader.data(
        '{ customer(id: "CUS-NOPE") { id } bySourceKey(system: "CRM", domain: CUSTOMER, key: "nope") { id } }'
    )
    assert data == {"customer": None, "bySourceKey": None}


def test_item_lookup_has_typed_item_attributes(reader):
    gid = golden_id(reader, "ERP", "S-XJ", "ITEM")
    item = reader.data("query($id: ID!) { item(id: $id) { attributes { mpn manufacturer name } prices { id } } }", {"id": gid})["item"]
    assert item["attributes"]["mpn"] == TYPO_MPN
    assert item["prices"] == []


def test_pages_walk_every_customer_once(reader):
    seen, after, pages = [], None, 0
    while True:
        conn = reader.data(
            "query($after: String) { customers(first: 7, after: $after) { edges { cursor node { id updatedAt } } "
            "pageInfo { hasNextPage hasPreviousPage endCursor } } }",
            {"after": after},
        )["customers"]
        seen += [e["node"]["id"] for e in conn["edges"]]
        assert conn["pageInfo"]["hasPreviousPage"] == (after is not None)
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    total = reader.data('{ goldenRecords(domain: CUSTOMER, first: 200) { edges { node { id } } } }')
    assert len(seen) == len(set(seen)) == len(total["goldenRecords"]["edges"])
    assert pages > 1


def test_filters_by_source_system_review_state_and_update_time(reader):
    def ids(filter_):
        conn = reader.data(
            "query($f: GoldenRecordFilter) { customers(first: 200, filter: $f) { edges { node { id "
            "sourceRecords { system } matchCandidates { id } } } } }",
            {"f": filter_},
        )["customers"]
        return [e["node"] for e in conn["edges"]]

    erp = ids({"sourceSystem": "ERP"})
    assert erp and all(any(m["system"] == "ERP" for m in n["sourceRecords"]) for n in erp)
    pending = ids({"reviewState": "PENDING"})
    assert pending and all(n["matchCandidates"] for n in pending)
    assert all(not n["matchCandidates"] for n in ids({"reviewState": "NONE"}))
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    assert ids({"updatedSince": future}) == []
    assert ids({"status": "DELETED"}) == []


def test_a_bad_cursor_or_page_size_is_a_readable_error(reader):
    body = reader('{ customers(after: "garbage") { edges { cursor } } }')
    assert "not a cursor" in body["errors"][0]["message"]
    body = reader("{ customers(first: 5000) { edges { cursor } } }")
    assert "first must be between" in body["errors"][0]["message"]


def test_search_finds_acme_by_a_short_name(reader):
    hits = reader.data('{ search(domain: CUSTOMER, text: "acme corp", first: 3) { score matchedOn record { values } } }')["search"]
    assert hits[0]["record"]["values"]["organization"] in ("ACME Corporation, Inc.", "Acme Corp")
    assert hits[0]["matchedOn"] == "organization" and hits[0]["score"] >= 90


def test_search_finds_an_item_despite_a_typo_in_its_mpn(reader):
    hits = reader.data('{ search(domain: ITEM, text: "XJ-4401-B", first: 3) { matchedOn record { ... on Item { attributes { mpn } } } } }')["search"]
    assert hits[0]["record"]["attributes"]["mpn"] == TYPO_MPN
    assert hits[0]["matchedOn"] == "mpn"


def test_search_finds_a_person_by_name(reader):
    hits = reader.data('{ search(domain: CUSTOMER, text: "maria johnson", first: 5) { record { values } } }')["search"]
    assert any(h["record"]["values"].get("given_name", "").lower() == "maria" for h in hits)


def test_lineage_names_the_source_and_rule_of_every_attribute(reader):
    gid = golden_id(reader, "CRM", "C3")
    record = reader.data(
        "query($id: ID!) { goldenRecord(id: $id) { values lineage { attribute value system sourceKey "
        "sourceRecordId rule strategy trace sourceRecord { system key } } } }",
        {"id": gid},
    )["goldenRecord"]
    by_attr = {entry["attribute"]: entry for entry in record["lineage"]}
    assert set(by_attr) == set(record["values"])
    email = by_attr["email"]
    assert email["value"] == record["values"]["email"]
    assert email["system"] in ("CRM", "ERP") and email["rule"] and email["strategy"]
    assert email["sourceRecord"] == {"system": email["system"], "key": email["sourceKey"]}
    one = reader.data('query($id: ID!) { goldenRecord(id: $id) { lineage(attribute: "email") { attribute } } }', {"id": gid})
    assert one["goldenRecord"]["lineage"] == [{"attribute": "email"}]


def test_history_and_as_of_show_earlier_versions(reader):
    gid = golden_id(reader, "CRM", "C3")
    record = reader.data(
        "query($id: ID!, $before: DateTime!, $now: DateTime!) { goldenRecord(id: $id) { version "
        "history { version changeType changedAt values members } "
        "before: asOf(time: $before) { version } now: asOf(time: $now) { version values } } }",
        {"id": gid, "before": "2000-01-01T00:00:00Z", "now": datetime.now(timezone.utc).isoformat()},
    )["goldenRecord"]
    assert [v["version"] for v in record["history"]] == list(range(1, record["version"] + 1))
    assert record["history"][0]["changeType"] == "created" and record["history"][0]["members"]
    assert record["before"] is None
    assert record["now"]["version"] == record["version"]


def test_open_match_candidates_show_both_records(reader):
    node = reader.data(
        '{ customers(first: 1, filter: {reviewState: PENDING}) { edges { node { id matchCandidates '
        "{ status matchProbability explanation left { system key goldenId } right { system key } } } } } }"
    )["customers"]["edges"][0]["node"]
    candidate = node["matchCandidates"][0]
    assert candidate["status"] == "pending" and 0 <= candidate["matchProbability"] <= 1
    assert candidate["left"]["key"] and candidate["right"]["key"] and candidate["explanation"]


def test_price_is_null_while_no_price_records_exist(reader):
    gid = golden_id(reader, "ERP", "S-XJ", "ITEM")
    assert reader.data('query($id: ID!) { price(item: $id, currency: "USD") { id } }', {"id": gid}) == {"price": None}


def test_me_names_the_role_of_the_key(reader):
    assert reader.data("{ me { role system } }") == {"me": {"role": "reader", "system": None}}
