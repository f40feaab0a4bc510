"""Source systems pushing and deleting records through the API."""

from __future__ import annotations

from sqlalchemy import func, select

from api_data import customer_rows, person
from mdm.store.tables import SourceRecord, SourceRecordVersion

UPSERT = """
mutation($system: String!, $domain: Domain! = CUSTOMER, $records: [JSON!]!, $key: String) {
  upsertSourceRecords(system: $system, domain: $domain, records: $records, idempotencyKey: $key) {
    replayed stored unchanged rejected
    records { index key outcome goldenId decision errors { field message value } warnings { field message } }
  }
}
"""
DELETE = """
mutation($system: String!, $key: String!) {
  deleteSourceRecord(system: $system, domain: CUSTOMER, key: $key) { alreadyDeleted goldenId goldenStatus }
}
"""
def upsert(api, records, system="WEB", key=None) -> dict:
    return api.data(UPSERT, {"system": system, "records": records, "key": key})["upsertSourceRecords"]


def as_record(row: list[str], key: str) -> dict:
    names = ["organization", "given_name", "family_name", "email", "phone", "address_line1", "city", "region", "postal_code", "country"]
    return {"key": key, **{n: v for n, v in zip(names, row[1:]) if v}}


def versions(store, system: str, key: str) -> int:
    with store.session() as s:
        return s.scalar(
            select(func.count())
            .select_from(SourceRecordVersion)
            .join(SourceRecord)
            .where(SourceRecord.system == system, SourceRecord.source_key == key)
        )


def test_a_new_customer_gets_a_new_golden_record_within_the_call(api):
    result = upsert(api["publisher"], [person(0)])
    record = result["records"][0]
    assert (result["stored"], record["outcome"], record["decision"]) == (1, "STORED", "NEW")
    found = api["reader"].data(
        'query($id: ID!) { customer(id: $id) { attributes { givenName email phone } sourceRecords { system key } } }',
        {"id": record["goldenId"]},
    )["customer"]
    assert found["attributes"] == {"givenName": "Zelda", "email": "zelda.quimby@people.example", "phone": "+17205553000"}
    assert found["sourceRecords"] == [{"system": "WEB", "key": "QUIMBY-1"}]


def test_a_duplicate_of_a_known_customer_merges_into_its_golden_record(api):
    crm, _ = customer_rows()
    existing = api["reader"].data('{ bySourceKey(system: "CRM", domain: CUSTOMER, key: "C5") { id } }')["bySourceKey"]["id"]
    record = upsert(api["publisher"], [as_record(crm[5], "X5")])["records"][0]
    assert (record["decision"], record["goldenId"]) == ("MERGED", existing)


def test_the_same_content_again_stores_no_new_version(api, fresh):
    record = person(1)
    upsert(api["publisher"], [record])
    again = upsert(api["publisher"], [record])
    assert (again["stored"], again["unchanged"], again["records"][0]["outcome"]) == (0, 1, "UNCHANGED")
    assert again["records"][0]["goldenId"] and versions(fresh, "WEB", record["key"]) == 1


def test_an_idempotency_key_replays_the_first_response(api, fresh):
    record = person(2)
    first = upsert(api["publisher"], [record], key="batch-1")
    replay = upsert(api["publisher"], [record], key="batch-1")
    assert replay["replayed"] and not first["replayed"]
    assert replay["records"] == first["records"] and replay["stored"] == 1
    assert versions(fresh, "WEB", record["key"]) == 1


def test_an_idempotency_key_reused_for_other_records_is_a_conflict(api):
    upsert(api["publisher"], [person(3)], key="batch-2")
    body = api["publisher"](UPSERT, {"system": "WEB", "records": [person(3, key="OTHER")], "key": "batch-2"})
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert "different request" in body["errors"][0]["message"]


def test_invalid_records_are_rejected_one_by_one_and_the_rest_stored(api):
    records = [person(4), {"key": "B1", "email": "x@y.example"}, "not an object", {"given_name": "No Key"},
               {"key": "B2", "given_name": "Ann", "country": "Narnia"}, {"key": "B3", "given_name": "Al", "tags": ["a"]}]
    result = upsert(api["publisher"], records)
    outcomes = [r["outcome"] for r in result["records"]]
    assert outcomes[0] == "STORED" and outcomes[1:4] == ["REJECTED"] * 3 and outcomes[5] == "REJECTED"
    assert "needs a name" in result["records"][1]["errors"][0]["message"]
    assert "JSON object" in result["records"][2]["errors"][0]["message"]
    assert "key" in result["records"][3]["errors"][0]["field"]
    assert "tags" in result["records"][5]["errors"][0]["message"]
    country = result["records"][4]
    problems = country["errors"] + country["warnings"]
    assert any("country" in (p["field"] or "") + p["message"] for p in problems)
    assert [r["index"] for r in result["records"]] == list(range(6))


def test_deleting_the_only_member_deletes_the_golden_record(api):
    record = person(5)
    gid = upsert(api["publisher"], [record])["records"][0]["goldenId"]
    deleted = api["publisher"].data(DELETE, {"system": "WEB", "key": record["key"]})["deleteSourceRecord"]
    assert deleted == {"alreadyDeleted": False, "goldenId": gid, "goldenStatus": "DELETED"}
    again = api["publisher"].data(DELETE, {"system": "WEB", "key": record["key"]})["deleteSourceRecord"]
    assert again["alreadyDeleted"]
    found = api["reader"].data('query($id: ID!) { customer(id: $id) { status sourceRecords { key } } }', {"id": gid})
    assert found["customer"] == {"status": "DELETED", "sourceRecords": []}


def test_deleting_one_member_keeps_the_golden_record_for_the_others(api):
    crm, _ = customer_rows()
    gid = upsert(api["publisher"], [as_record(crm[5], "X5")])["records"][0]["goldenId"]
    deleted = api["publisher"].data(DELETE, {"system": "WEB", "key": "X5"})["deleteSourceRecord"]
    assert (deleted["goldenId"], deleted["goldenStatus"]) == (gid, "ACTIVE")
    members = api["reader"].data('query($id: ID!) { customer(id: $id) { sourceRecords { system key } } }', {"id": gid})
    assert {"system": "WEB", "key": "X5"} not in members["customer"]["sourceRecords"]


def test_a_deleted_record_sent_again_comes_back(api):
    record = person(6)
    upsert(api["publisher"], [record])
    api["publisher"].data(DELETE, {"system": "WEB", "key": record["key"]})
    back = upsert(api["publisher"], [record])["records"][0]
    assert (back["outcome"], back["decision"]) == ("STORED", "NEW")


def test_deleting_an_unknown_record_is_not_found(api):
    body = api["publisher"](DELETE, {"system": "WEB", "key": "nope"})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_two_golden_records_that_become_one_leave_an_alias(api):
    """A (G1), then two copies of B (G2); both copies turn into A: G2 merges into G1."""
    a, b = person(7), person(8)
    g1 = upsert(api["publisher"], [dict(a, key="N1")])["records"][0]["goldenId"]
    second = upsert(api["publisher"], [dict(b, key="N2"), dict(b, key="N3")])["records"]
    g2 = second[0]["goldenId"]
    assert second[1]["goldenId"] == g2 != g1
    merged = upsert(api["publisher"], [dict(a, key="N2"), dict(a, key="N3")])["records"]
    assert {r["goldenId"] for r in merged} == {g1}
    found = api["reader"].data(
        'query($id: ID!) { customer(id: $id) { id resolvedFrom mergedInto sourceRecords { key } } }', {"id": g2}
    )["customer"]
    assert (found["id"], found["resolvedFrom"], found["mergedInto"]) == (g1, g2, g1)
    assert {m["key"] for m in found["sourceRecords"]} == {"N1", "N2", "N3"}


def test_items_and_prices_are_accepted_too(api):
    item = {"key": "P-1", "name": "Hinge 8mm", "mpn": "HG-8", "weight_lb": "2.2"}
    result = api["admin"].data(UPSERT, {"system": "PIM", "domain": "ITEM", "records": [item]})["upsertSourceRecords"]
    assert result["records"][0]["decision"] in ("NEW", "MERGED")
    price = {"key": "PR-1", "item_key": "P-1", "currency": "usd", "unit_price": "9.50"}
    priced = api["admin"].data(UPSERT, {"system": "PIM", "domain": "PRICE", "records": [price]})["upsertSourceRecords"]
    assert priced["records"][0]["outcome"] == "STORED"
