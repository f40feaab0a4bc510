"""/metrics: the hub's numbers read from the store at scrape time (the same
from every worker), plus per-process GraphQL latency."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ops_support import drain, subscribe
from prometheus_client.parser import text_string_to_metric_families
from receivers.harness import free_port
from sqlalchemy import select
from starlette.testclient import TestClient

from mdm.api import create_app
from mdm.ops.metrics import HubCollector
from mdm.publish import subscribers as service
from mdm.store import Store
from mdm.store.tables import MatchCandidate, SourceRecord


def scrape(client: TestClient) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value, parsed the way Prometheus does."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def plant_review_item(store, hours_ago: float) -> None:
    with store.session() as session:
        ids = session.scalars(select(SourceRecord.id).order_by(SourceRecord.id).limit(2)).all()
        session.add(MatchCandidate(
            domain="customer", kind="match", left_record_id=ids[0], right_record_id=ids[1], match_weight=1.0,
            match_probability=0.6, explanation={}, status="pending",
            created_at=datetime.now(timezone.utc) - timedelta(hours=hours_ago),
        ))
        session.commit()


def test_ingest_match_and_golden_numbers_come_from_the_store(hub):
    with TestClient(create_app(hub)) as client:
        m = scrape(client)
    ingested = lambda system, outcome: value(  # noqa: E731
        m, "mdm_records_ingested_total", system=system, domain="customer", outcome=outcome)
    assert (ingested("CRM", "stored"), ingested("CRM", "rejected"), ingested("ERP", "stored")) == (6, 1, 3)
    assert value(m, "mdm_rejects_total", system="CRM", kind="row") == 1
    assert value(m, "mdm_golden_records", domain="customer", status="active") == 6
    assert value(m, "mdm_source_records", domain="customer") == 9
    assert value(m, "mdm_match_links", domain="customer", decided_by="auto") == 6
    assert value(m, "mdm_last_load_timestamp_seconds", system="ERP", domain="customer") > 0
    assert value(m, "mdm_store_up") == 1


def test_review_queue_size_and_age(hub):
    plant_review_item(hub, hours_ago=5)
    with TestClient(create_app(hub)) as client:
        m = scrape(client)
    assert value(m, "mdm_review_queue_size", domain="customer", kind="match") == 1
    assert 5 * 3600 - 60 < value(m, "mdm_review_queue_oldest_age_seconds", domain="customer", kind="match") < 5 * 3600 + 60
    assert value(m, "mdm_match_candidates_total", domain="customer", kind="match", status="pending") == 1


def test_backlog_lag_failures_and_dead_letters_per_subscriber(hub):
    subscribe(hub, "down", f"http://127.0.0.1:{free_port()}/ok", max_attempts=1, from_sequence=1)
    subscribe(hub, "paused", f"http://127.0.0.1:{free_port()}/ok", from_sequence=1)
    with hub.session() as session:
        service.pause_subscriber(session, "paused", now=datetime.now(timezone.utc))
    drain(hub)
    with TestClient(create_app(hub)) as client:
        m = scrape(client)
    events = value(m, "mdm_outbox_sequence")
    assert events == 6
    assert value(m, "mdm_subscriber_dead_letters", subscriber="down") == events
    assert value(m, "mdm_delivery_failed_attempts", subscriber="down") == events
    assert value(m, "mdm_subscriber_backlog", subscriber="down") == 0
    assert value(m, "mdm_subscriber_backlog", subscriber="paused") == events
    assert value(m, "mdm_subscriber_paused", subscriber="paused") == 1
    assert value(m, "mdm_subscriber_lag_seconds", subscriber="paused") > 0
    assert value(m, "mdm_subscriber_delivered_total", subscriber="down") == 0


def test_two_workers_report_the_same_numbers_after_one_of_them_ingests(hub):
    upsert = "mutation($r: [JSON!]!) { upsertSourceRecords(system: \"WEB\", domain: CUSTOMER, records: $r) { stored } }"
    with TestClient(create_app(hub)) as a, TestClient(create_app(hub)) as b:
        response = a.post("/graphql", headers={"Authorization": f"Bearer {hub.keys['publisher']}"}, json={
            "query": upsert, "variables": {"r": [{"key": "W1", "given_name": "Olga", "family_name": "Ivanova",
                                                  "email": "olga@mail.example"}]}})
        assert response.json()["data"]["upsertSourceRecords"]["stored"] == 1
        ingested_by, other = scrape(a), scrape(b)
    per_process = ("mdm_graphql_", "mdm_hub_metrics_read_seconds")
    assert {k: v for k, v in other.items() if not k[0].startswith(per_process)} == {
        k: v for k, v in ingested_by.items() if not k[0].startswith(per_process)}
    assert value(other, "mdm_records_ingested_total", system="WEB", domain="customer", outcome="stored") == 1
    assert value(other, "mdm_golden_records", domain="customer", status="active") == 7


def test_scrapes_within_the_cache_window_do_not_read_the_store(hub):
    clock = [100.0]
    collector = HubCollector(hub, cache_seconds=2, clock=lambda: clock[0])
    reads = []
    original = collector._read
    collector._read = lambda: reads.append(1) or original()
    list(collector.collect())
    clock[0] += 1.5
    list(collector.collect())
    assert len(reads) == 1
    clock[0] += 1
    list(collector.collect())
    assert len(reads) == 2


def test_an_unreachable_store_is_a_metric_not_a_failed_scrape(tmp_path):
    store = Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with TestClient(create_app(store)) as client:
        m = scrape(client)
    store.close()
    assert value(m, "mdm_store_up") == 0
    assert not any(name == "mdm_golden_records" for name, _ in m)


def test_graphql_latency_by_operation_is_still_reported(hub):
    with TestClient(create_app(hub)) as client:
        client.post("/graphql", headers={"Authorization": f"Bearer {hub.keys['reader']}"},
                    json={"query": "query WhoAmI { me { role } }", "operationName": "WhoAmI"})
        m = scrape(client)
    assert value(m, "mdm_graphql_operation_seconds_count", type="query", operation="WhoAmI", outcome="ok") == 1
