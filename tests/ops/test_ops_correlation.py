"""One correlation id followed end to end: a GraphQL upsert with an
X-Correlation-ID header -> source record version -> golden change -> outbox
event -> webhook at a real receiver process -> `mdm trace`."""

from __future__ import annotations

import pytest
from ops_support import drain, subscribe
from receivers.harness import WebhookReceiver
from sqlalchemy import select
from starlette.testclient import TestClient

from mdm.api import create_app
from mdm.store.tables import GoldenRecordVersion, OutboxEvent, SourceRecordVersion

UPSERT = """mutation Push($records: [JSON!]!) {
  upsertSourceRecords(system: "WEB", domain: CUSTOMER, records: $records) { correlationId records { goldenId } }
}"""
ROBERT_AGAIN = {"key": "W-77", "given_name": "Robert", "family_name": "Smith", "email": "rob.smith@mail.example",
                "phone": "+1 617 555 0101", "address_line1": "12 Main Street", "city": "Boston", "region": "MA",
                "postal_code": "02110"}


@pytest.fixture
def receiver(tmp_path):
    with WebhookReceiver(tmp_path / "received.jsonl") as r:
        yield r


def push(client: TestClient, key: str, headers: dict[str, str], records: list[dict]):
    return client.post("/graphql", json={"query": UPSERT, "variables": {"records": records}},
                       headers={"Authorization": f"Bearer {key}", **headers})


def test_one_correlation_id_from_upsert_to_webhook_and_trace(hub, receiver, cli):
    cid = "order-sync-2024-42"
    subscribe(hub, "erp-sync", receiver.url("/ok"))  # from now on: only what this upsert causes
    with TestClient(create_app(hub)) as client:
        response = push(client, hub.keys["publisher"], {"X-Correlation-ID": cid}, [ROBERT_AGAIN])
    assert response.headers["X-Correlation-ID"] == cid
    body = response.json()["data"]["upsertSourceRecords"]
    assert body["correlationId"] == cid and body["records"][0]["goldenId"]

    with hub.session() as session:
        versions = session.scalars(select(SourceRecordVersion.correlation_id).where(SourceRecordVersion.correlation_id == cid)).all()
        changes = session.scalars(select(GoldenRecordVersion).where(GoldenRecordVersion.correlation_id == cid)).all()
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.correlation_id == cid)).all()
    assert len(versions) == 1
    assert [c.golden_id for c in changes] == [body["records"][0]["goldenId"]]
    assert [e.subject for e in events] == [body["records"][0]["goldenId"]]

    drain(hub)
    received = receiver.wait_for(len(events))
    assert [r["id"] for r in received] == [e.event_id for e in events]
    assert all(r["correlation_header"] == cid and r["correlationid"] == cid for r in received)

    out = cli("trace", cid).output
    assert "source record" in out and "WEB customer W-77 version 1" in out
    assert f"{events[0].type} {events[0].subject}" in out
    assert "erp-sync: delivered" in out


def test_the_trace_id_of_a_traceparent_becomes_the_correlation_id(hub):
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    with TestClient(create_app(hub)) as client:
        response = push(client, hub.keys["publisher"], {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
                        [{**ROBERT_AGAIN, "key": "W-78"}])
    assert response.headers["X-Correlation-ID"] == trace_id
    assert response.json()["data"]["upsertSourceRecords"]["correlationId"] == trace_id


def test_without_a_header_the_hub_makes_one_up_and_says_which(hub):
    with TestClient(create_app(hub)) as client:
        first = push(client, hub.keys["publisher"], {}, [{**ROBERT_AGAIN, "key": "W-79"}])
        second = push(client, hub.keys["publisher"], {"X-Correlation-ID": "bad id with spaces"},
                      [{**ROBERT_AGAIN, "key": "W-80"}])
    for response in (first, second):
        cid = response.headers["X-Correlation-ID"]
        assert cid.startswith("api-") and response.json()["data"]["upsertSourceRecords"]["correlationId"] == cid
    assert first.headers["X-Correlation-ID"] != second.headers["X-Correlation-ID"]


def test_trace_of_an_unknown_id_fails_with_a_clear_message(hub, cli):
    result = cli("trace", "no-such-id", ok=False)
    assert result.exit_code == 1 and "nothing carries the correlation id 'no-such-id'" in result.output


def test_a_delete_carries_the_callers_correlation_id_into_the_golden_change(hub, cli):
    delete = 'mutation { deleteSourceRecord(system: "WEB", domain: CUSTOMER, key: "W-81") { goldenStatus } }'
    with TestClient(create_app(hub)) as client:
        push(client, hub.keys["publisher"], {}, [{**ROBERT_AGAIN, "key": "W-81", "email": "someone.else@mail.example"}])
        response = client.post("/graphql", json={"query": delete}, headers={
            "Authorization": f"Bearer {hub.keys['publisher']}", "X-Correlation-ID": "cleanup-7"})
    assert response.headers["X-Correlation-ID"] == "cleanup-7" and not response.json().get("errors")
    out = cli("trace", "cleanup-7").output
    assert "WEB customer W-81 version 2" in out and "golden change" in out
